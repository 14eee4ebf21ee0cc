"""Synthetic data generators, written as real encoded videos: the
Drive&Act-format benchmark, the generic motion pretraining corpus and moving
squares. Tools, tests and benchmarks import them from here; ``import
mome_mmaction`` does not."""
from .driveact import (SYNTHETIC_DRIVEACT_CLASSES, SYNTHETIC_DRIVEACT_HARD,
                       SYNTHETIC_DRIVEACT_HARD_CLASSES, decode_instant,
                       make_synthetic_driveact, synthetic_conditions)
from .motion_pretraining import (MOTION_PRETRAINING_CLASSES,
                                 make_motion_pretraining, render_motion_clip,
                                 time_reversed_class)
from .moving_squares import (MOTION_CLASSES, make_motion_videos,
                             moving_square_frames)
from .video_writer import write_video

__all__ = [
    'decode_instant', 'make_motion_pretraining', 'make_motion_videos',
    'make_synthetic_driveact', 'MOTION_CLASSES', 'MOTION_PRETRAINING_CLASSES',
    'moving_square_frames', 'render_motion_clip', 'SYNTHETIC_DRIVEACT_CLASSES',
    'SYNTHETIC_DRIVEACT_HARD', 'SYNTHETIC_DRIVEACT_HARD_CLASSES',
    'synthetic_conditions', 'time_reversed_class', 'write_video'
]
