from .synthetic_videos import (MOTION_CLASSES, make_motion_videos,
                               moving_square_frames, write_video)
from .transforms import CorruptModality, DropModality, ModalityDropout

__all__ = [
    'CorruptModality', 'DropModality', 'ModalityDropout', 'MOTION_CLASSES',
    'make_motion_videos', 'moving_square_frames', 'write_video'
]
