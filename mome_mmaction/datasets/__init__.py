from .driveact_dataset import (DEFAULT_DRIVEACT_MODALITIES,
                               DRIVEACT_MIDLEVEL_CLASSES,
                               DriveActAnnotationError, DriveActDataset,
                               load_driveact_samples)
from .motion_pretraining import (MOTION_PRETRAINING_CLASSES,
                                 make_motion_pretraining, render_motion_clip,
                                 time_reversed_class)
from .synthetic_driveact import (SYNTHETIC_DRIVEACT_CLASSES,
                                 SYNTHETIC_DRIVEACT_HARD,
                                 SYNTHETIC_DRIVEACT_HARD_CLASSES,
                                 decode_instant, make_synthetic_driveact,
                                 synthetic_conditions)
from .synthetic_videos import (MOTION_CLASSES, make_motion_videos,
                               moving_square_frames, write_video)
from .transforms import (CorruptModality, DropModality, FrameRangeError,
                         ModalityDropout, SynchronizedModalityTransforms,
                         VideoReadError)

__all__ = [
    'CorruptModality', 'DEFAULT_DRIVEACT_MODALITIES',
    'DRIVEACT_MIDLEVEL_CLASSES', 'DriveActAnnotationError', 'DriveActDataset',
    'DropModality', 'FrameRangeError', 'ModalityDropout', 'MOTION_CLASSES',
    'MOTION_PRETRAINING_CLASSES', 'SYNTHETIC_DRIVEACT_CLASSES',
    'SYNTHETIC_DRIVEACT_HARD', 'SYNTHETIC_DRIVEACT_HARD_CLASSES',
    'SynchronizedModalityTransforms', 'VideoReadError', 'decode_instant',
    'load_driveact_samples', 'make_motion_pretraining', 'make_motion_videos',
    'make_synthetic_driveact', 'moving_square_frames', 'render_motion_clip',
    'synthetic_conditions', 'time_reversed_class', 'write_video'
]
