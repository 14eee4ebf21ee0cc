"""A learned bag-of-words encoder of class descriptions."""
import re
import torch
import torch.nn.functional as F
from itertools import chain
from mmaction.registry import MODELS
from torch import nn
from typing import List, Sequence

#: Words dropped before the vocabulary is built: articles, pronouns,
#: conjunctions and auxiliaries, which name no object and no motion.
#: Particles that tell motions apart (on / off, up / down, into / from /
#: out) are kept: they separate putting on from taking off.
STOP_WORDS = frozenset(
    ('a', 'an', 'and', 'are', 'as', 'at', 'be', 'been', 'being', 'both', 'but',
     'by', 'each', 'for', 'he', 'her', 'him', 'his', 'if', 'is', 'it', 'its',
     'itself', 'of', 'or', 'she', 'so', 'some', 'than', 'that', 'the', 'their',
     'them', 'themselves', 'then', 'there', 'these', 'they', 'this', 'those',
     'to', 'was', 'were', 'which', 'while', 'who', 'with'))

#: Words are runs of lowercase letters and digits (after lowercasing).
WORD_PATTERN = re.compile(r'[a-z0-9]+')


def description_words(description: str) -> List[str]:
    """Lowercase words of ``description``, stop words dropped, in order
    (repeated words kept)."""
    return [
        word for word in WORD_PATTERN.findall(description.lower())
        if word not in STOP_WORDS
    ]


@MODELS.register_module()
class BagOfWordsTextEncoder(nn.Module):
    """Class descriptions embedded as the mean of learned word embeddings.

    A text encoder that needs no download (no pretrained language model, no
    tokenizer files): each description is split into lowercase words
    (:data:`WORD_PATTERN`, :data:`STOP_WORDS` dropped), the words of all
    descriptions form one shared vocabulary, and a class is embedded as
    ``Linear(mean of its word embeddings)``. Sharing ties classes that
    share objects or motions: "laptop" is one embedding used by every
    laptop activity, so what the head learns about it is shared by all of
    them, while the motion words ("opening" / "closing", "on" / "off") keep
    them apart. It is trained with the head that uses it.

    Args:
        descriptions (Sequence[str]): One description per class, K in all,
            in label order.
        out_channels (int): Width D of the description embeddings.
        embed_channels (int): Width of the word embeddings. Defaults to 64.

    Raises:
        ValueError: No description, or a description with no word left
            after the stop words are dropped.
    """

    def __init__(self,
                 descriptions: Sequence[str],
                 out_channels: int,
                 embed_channels: int = 64) -> None:
        super().__init__()
        if not descriptions:
            raise ValueError('BagOfWordsTextEncoder needs one description '
                             'per class, got none')
        class_words = [
            description_words(description) for description in descriptions
        ]
        empty = {
            index: descriptions[index]
            for index, words in enumerate(class_words) if not words
        }
        if empty:
            raise ValueError(
                'BagOfWordsTextEncoder: descriptions with no word left after '
                f'dropping stop words (class index: description): {empty}')
        self._vocabulary = sorted(set(chain.from_iterable(class_words)))
        word_index = {
            word: index
            for index, word in enumerate(self.vocabulary)
        }
        lengths = torch.tensor([len(words) for words in class_words])
        # Class k's words: word_ids[word_offsets[k]:word_offsets[k + 1]]
        self.register_buffer(
            'word_ids',
            torch.tensor([
                word_index[word] for word in chain.from_iterable(class_words)
            ]),
            persistent=False)
        self.register_buffer(
            'word_offsets', lengths.cumsum(0) - lengths, persistent=False)
        self.word_embedding = nn.Embedding(
            len(self.vocabulary), embed_channels)
        self.proj = nn.Linear(embed_channels, out_channels)

    @property
    def vocabulary(self) -> List[str]:
        """list[str]: The words, sorted; word i has embedding row i."""
        return list(self._vocabulary)

    def forward(self) -> torch.Tensor:
        """Embed every description.

        Returns:
            torch.Tensor: Description embeddings (K, out_channels).
        """
        bags = F.embedding_bag(
            self.word_ids,
            self.word_embedding.weight,
            self.word_offsets,
            mode='mean')  # (K, embed_channels)
        return self.proj(bags)
