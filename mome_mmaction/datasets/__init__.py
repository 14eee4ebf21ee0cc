from .driveact_dataset import (DEFAULT_DRIVEACT_MODALITIES,
                               DRIVEACT_MIDLEVEL_CLASSES,
                               DriveActAnnotationError, DriveActDataset,
                               load_driveact_samples)
from .samplers import SampleSeededSampler, SeededIndex, sample_seed
from .transforms import (CachedDecordInit, CorruptModality, DropModality,
                         FrameRangeError, ModalityDropout,
                         SynchronizedModalityTransforms, VideoReadError)

__all__ = [
    'CachedDecordInit', 'CorruptModality', 'DEFAULT_DRIVEACT_MODALITIES',
    'DRIVEACT_MIDLEVEL_CLASSES', 'DriveActAnnotationError', 'DriveActDataset',
    'DropModality', 'FrameRangeError', 'ModalityDropout',
    'SampleSeededSampler', 'SeededIndex', 'sample_seed',
    'SynchronizedModalityTransforms', 'VideoReadError', 'load_driveact_samples'
]
