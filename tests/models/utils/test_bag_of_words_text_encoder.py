import pytest
import torch
from mmaction.registry import MODELS

from mome_mmaction.datasets.driveact_dataset import DRIVEACT_MIDLEVEL_CLASSES
from mome_mmaction.models.utils.bag_of_words_text_encoder import (
    STOP_WORDS, BagOfWordsTextEncoder)
from mome_mmaction.models.utils.label_descriptions import (
    DEFAULT_LABEL_DESCRIPTIONS, load_label_descriptions)

DESCRIPTIONS = ('Opening the laptop lid.', 'Closing the laptop lid',
                'Drinking from a bottle')


def build_encoder(descriptions=DESCRIPTIONS, **kwargs):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='BagOfWordsTextEncoder',
            descriptions=descriptions,
            out_channels=4,
            embed_channels=3,
            **kwargs))


def class_word_ids(encoder):
    """Each class's word ids, from the flat ids and the offsets."""
    return [
        ids.tolist()
        for ids in encoder.word_ids.tensor_split(encoder.word_offsets[1:])
    ]


def test_shared_vocabulary_without_stop_words():
    encoder = build_encoder()
    assert isinstance(encoder, BagOfWordsTextEncoder)
    assert encoder.vocabulary == sorted(
        ['opening', 'laptop', 'lid', 'closing', 'drinking', 'from', 'bottle'])
    assert {'the', 'a'} <= STOP_WORDS
    vocabulary = encoder.vocabulary
    words = [[vocabulary[index] for index in ids]
             for ids in class_word_ids(encoder)]
    assert words == [['opening', 'laptop', 'lid'],
                     ['closing', 'laptop', 'lid'],
                     ['drinking', 'from', 'bottle']]
    assert encoder.word_embedding.num_embeddings == 7
    assert encoder().shape == (3, 4)
    # Derived from the descriptions, not checkpoint entries.
    assert set(encoder.state_dict()) == {
        'word_embedding.weight', 'proj.weight', 'proj.bias'
    }


def test_classes_sharing_a_word_move_together():
    encoder = build_encoder()
    laptop = encoder.vocabulary.index('laptop')
    before = encoder().detach()
    shift = torch.tensor([1., -2., 0.5])
    with torch.no_grad():
        encoder.word_embedding.weight[laptop] += shift
    change = encoder().detach() - before
    # Mean of 3 words: both laptop classes move by proj(shift) / 3.
    expected = encoder.proj.weight.detach() @ shift / 3
    torch.testing.assert_close(change[0], expected)
    torch.testing.assert_close(change[1], expected)
    torch.testing.assert_close(change[2], torch.zeros(4))


def test_shipped_descriptions_share_object_words():
    descriptions = load_label_descriptions(DEFAULT_LABEL_DESCRIPTIONS,
                                           DRIVEACT_MIDLEVEL_CLASSES)
    encoder = build_encoder(descriptions)
    vocabulary = encoder.vocabulary
    assert len(vocabulary) == len(set(vocabulary))
    ids = dict(zip(DRIVEACT_MIDLEVEL_CLASSES, class_word_ids(encoder)))
    for word, classes in [
        ('laptop',
         ('opening_laptop', 'closing_laptop', 'working_on_laptop',
          'putting_laptop_into_backpack', 'taking_laptop_from_backpack')),
        ('belt', ('fastening_seat_belt', 'unfastening_seat_belt')),
        ('bottle', ('opening_bottle', 'closing_bottle', 'drinking')),
        ('door', ('opening_door_inside', 'closing_door_inside',
                  'opening_door_outside', 'closing_door_outside')),
        ('jacket', ('putting_on_jacket', 'taking_off_jacket')),
        ('sunglasses', ('putting_on_sunglasses', 'taking_off_sunglasses')),
        ('phone', ('interacting_with_phone', 'talking_on_phone')),
    ]:
        assert all(vocabulary.index(word) in ids[name]
                   for name in classes), word
    # Every class has its own bag of words.
    assert len({tuple(sorted(words)) for words in ids.values()}) == 34


def test_description_of_only_stop_words_is_refused():
    with pytest.raises(ValueError, match="no word left.*1: 'The and, of a'"):
        build_encoder(('The laptop', 'The and, of a'))
    with pytest.raises(ValueError, match='one description per class'):
        build_encoder(())
