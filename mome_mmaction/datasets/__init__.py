from .driveact_dataset import (DEFAULT_DRIVEACT_MODALITIES,
                               DRIVEACT_MIDLEVEL_CLASSES,
                               DriveActAnnotationError, DriveActDataset,
                               load_driveact_samples)
from .sample_seeded_dataset import SampleSeededDataset
from .samplers import SampleSeededSampler, SeededIndex, sample_seed
from .transforms import (CachedDecordInit, CachedPyAVInit, CorruptModality,
                         DropModality, FrameRangeError, ModalityDropout,
                         SeekingPyAVDecode, SynchronizedModalityTransforms,
                         VideoReadError)

__all__ = [
    'CachedDecordInit', 'CachedPyAVInit', 'CorruptModality',
    'DEFAULT_DRIVEACT_MODALITIES', 'DRIVEACT_MIDLEVEL_CLASSES',
    'DriveActAnnotationError', 'DriveActDataset', 'DropModality',
    'FrameRangeError', 'ModalityDropout', 'SampleSeededDataset',
    'SampleSeededSampler', 'SeededIndex', 'sample_seed', 'SeekingPyAVDecode',
    'SynchronizedModalityTransforms', 'VideoReadError', 'load_driveact_samples'
]
