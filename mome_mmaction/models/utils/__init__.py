from .channel_inflation import inflate_input_channels, tile_input_channels
from .pretrained import check_pretrained_files, load_report
from .token_tap import (TokenTap, block_class_token, block_frame_class_tokens,
                        block_st_tokens)

__all__ = [
    'TokenTap', 'block_class_token', 'block_frame_class_tokens',
    'block_st_tokens',
    'check_pretrained_files', 'inflate_input_channels', 'load_report',
    'tile_input_channels'
]
