"""Moving-square videos in MMAction2's ``VideoDataset`` format, for smoke
tests and demos of single-input recognizers."""
import numpy as np
from pathlib import Path
from typing import Dict, List, Sequence, Union

from .video_writer import write_video

#: Motion directions (dy, dx) per class of :func:`make_motion_videos`. No
#: mirrored pair is told apart by a horizontal flip alone, so do not train
#: these with ``Flip``.
MOTION_CLASSES: Dict[str, tuple] = {
    'moving_right': (0, 1),
    'moving_left': (0, -1),
    'moving_down': (1, 0),
    'moving_up': (-1, 0),
}


def moving_square_frames(rng: np.random.Generator,
                         direction: Sequence[int],
                         num_frames: int = 16,
                         size: int = 64,
                         square: int = 14,
                         speed: float = 2.5) -> np.ndarray:
    """A bright square crossing a noisy background in ``direction``.

    Returns:
        np.ndarray: uint8 frames of shape (num_frames, size, size, 3).
    """
    frames = rng.integers(0, 60, (num_frames, size, size, 3), dtype=np.uint8)
    travel = speed * (num_frames - 1)
    low, high = square // 2 + travel / 2, size - square // 2 - travel / 2
    center = rng.uniform(low, high, size=2)
    color = rng.integers(160, 256, size=3)
    for t in range(num_frames):
        offset = (t - (num_frames - 1) / 2) * speed
        cy, cx = (center + offset * np.asarray(direction)).astype(int)
        frames[t, cy - square // 2:cy + square // 2,
               cx - square // 2:cx + square // 2] = color
    return frames


def make_motion_videos(out_dir: Union[str, Path],
                       videos_per_class: int = 8,
                       num_frames: int = 16,
                       seed: int = 0) -> List[str]:
    """Write a 4-class moving-square video set in MMAction2's list format.

    Writes ``OUT/videos/<class>_<i>.mp4`` and ``OUT/train.txt`` /
    ``OUT/val.txt`` (``<file> <label>`` per line, every 4th video to val),
    for MMAction2's ``VideoDataset``.

    Returns:
        list[str]: The class names, in label order.
    """
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    lines = {'train': [], 'val': []}
    for label, (name, direction) in enumerate(MOTION_CLASSES.items()):
        for index in range(videos_per_class):
            file_name = f'{name}_{index}.mp4'
            write_video(out_dir / 'videos' / file_name,
                        moving_square_frames(rng, direction, num_frames))
            subset = 'val' if index % 4 == 3 else 'train'
            lines[subset].append(f'{file_name} {label}')
    for subset, subset_lines in lines.items():
        (out_dir / f'{subset}.txt').write_text('\n'.join(subset_lines) + '\n')
    return list(MOTION_CLASSES)
