"""Encode frames as small, real videos that decord reads."""
import cv2
import numpy as np
from pathlib import Path
from typing import Union


def write_video(path: Union[str, Path],
                frames: np.ndarray,
                fps: float = 15.) -> None:
    """Encode frames as an MPEG-4 Part 2 (``mp4v``) file decord can read.

    Args:
        path (str | Path): Output ``.mp4`` path; parent folders are created.
        frames (np.ndarray): uint8 frames of shape (T, H, W, 3), BGR.
            H and W of at least 64: decord returned wrongly sized frames
            for smaller ``mp4v`` videos.
        fps (float): Frame rate written into the file.
    """
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError('frames must be uint8 of shape (T, H, W, 3), got '
                         f'{frames.dtype} {frames.shape} for {path}')
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f'OpenCV cannot open {path} for writing (mp4v)')
    try:
        for frame in frames:
            writer.write(np.ascontiguousarray(frame))
    finally:
        writer.release()
