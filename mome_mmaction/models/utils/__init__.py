from .bag_of_words_text_encoder import BagOfWordsTextEncoder
from .channel_inflation import inflate_input_channels, tile_input_channels
from .expert_checkpoint import expert_state_dict, load_expert_checkpoint
from .frame_token_embedding import FrameTokenEmbedding, select_frame_tokens
from .label_descriptions import (DEFAULT_LABEL_DESCRIPTIONS,
                                 load_label_descriptions)
from .per_expert_classifiers import PerExpertClassifiers
from .pretrained import (check_pretrained_files, load_report,
                         missing_pretrained_skipped, pretrained_init_skipped)
from .sample_weights import attach_sample_weights
from .temporal_rus import (collect_frame_tokens, estimate_temporal_rus,
                           load_temporal_rus, save_temporal_rus)
from .token_tap import (TokenTap, block_class_token, block_frame_class_tokens,
                        block_st_tokens)

__all__ = [
    'BagOfWordsTextEncoder', 'DEFAULT_LABEL_DESCRIPTIONS',
    'load_label_descriptions', 'TokenTap', 'attach_sample_weights',
    'block_class_token', 'block_frame_class_tokens', 'block_st_tokens',
    'check_pretrained_files', 'collect_frame_tokens', 'estimate_temporal_rus',
    'expert_state_dict', 'FrameTokenEmbedding', 'inflate_input_channels',
    'load_expert_checkpoint', 'load_report', 'load_temporal_rus',
    'missing_pretrained_skipped', 'PerExpertClassifiers',
    'pretrained_init_skipped', 'save_temporal_rus', 'select_frame_tokens',
    'tile_input_channels'
]
