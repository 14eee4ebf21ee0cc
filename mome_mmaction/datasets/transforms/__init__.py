from .cached_decord_init import CachedDecordInit
from .corrupt_modality import CorruptModality
from .drop_modality import DropModality
from .modality_dropout import ModalityDropout
from .synchronized_modality_transforms import (FrameRangeError,
                                               SynchronizedModalityTransforms,
                                               VideoReadError)

__all__ = [
    'CachedDecordInit', 'CorruptModality', 'DropModality', 'FrameRangeError',
    'ModalityDropout', 'SynchronizedModalityTransforms', 'VideoReadError'
]
