from .cached_decord_init import CachedDecordInit
from .cached_pyav_init import CachedPyAVInit
from .corrupt_modality import CorruptModality
from .drop_modality import DropModality
from .modality_dropout import ModalityDropout
from .seeking_pyav_decode import SeekingPyAVDecode
from .synchronized_modality_transforms import (FrameRangeError,
                                               SynchronizedModalityTransforms,
                                               VideoReadError)

__all__ = [
    'CachedDecordInit', 'CachedPyAVInit', 'CorruptModality', 'DropModality',
    'FrameRangeError', 'ModalityDropout', 'SeekingPyAVDecode',
    'SynchronizedModalityTransforms', 'VideoReadError'
]
