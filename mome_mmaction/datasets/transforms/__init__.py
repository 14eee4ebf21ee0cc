from .synchronized_modality_transforms import (FrameRangeError,
                                               SynchronizedModalityTransforms,
                                               VideoReadError)

__all__ = [
    'FrameRangeError', 'SynchronizedModalityTransforms', 'VideoReadError'
]
