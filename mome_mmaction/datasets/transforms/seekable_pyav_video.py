"""A PyAV video that decodes given frame indices by seeking (long videos)."""
import bisect
import numpy as np
from typing import BinaryIO, Dict, List, Sequence, Union


class SeekableVideo:
    """Frames of a constant-frame-rate video by index, read through PyAV.

    For each run of wanted frames it seeks to the keyframe before the run's
    first frame and decodes forward to its last one, as decord does, but
    without building decord's frame index. A wanted frame starts a new run
    when a keyframe lies after the previous wanted frame and at or before
    it (the seek then skips frames that decoding through would not), read
    from the container's index (the mp4 sync-sample table; in decode order,
    which is display order for the closed GOPs of x264 and of
    ``prepare_driveact``). Without an index, a gap of more than ``max_gap``
    frames starts a new run. Which frames start runs changes only the
    amount of decoding, never the frames: frame i is the frame whose
    presentation time is ``start + i / fps`` (``average_rate`` of the
    stream). A decoded frame off that grid (a variable frame rate) is an
    error naming the file, never a wrong frame. Frames come as RGB uint8
    (H, W, 3), as ``DecordDecode`` gives them.

    Args:
        source (str | BinaryIO): A file path, or a file object (e.g. the
            bytes of a remote file in ``io.BytesIO``).
        name (str): The file's name, for errors.
        max_gap (int): Without a keyframe index, wanted frames more than
            this many frames after the previous one start a new run (a new
            seek) instead of decoding through the gap. Defaults to 64.

    Attributes:
        decoded_frames (int): Frames decoded so far, wanted or not (what
            a read costs).
    """

    def __init__(self,
                 source: Union[str, BinaryIO],
                 name: str,
                 max_gap: int = 64) -> None:
        import av
        self.name = name
        self.max_gap = max_gap
        self.container = av.open(source)
        self.stream = self.container.streams.video[0]
        self.num_frames = self.stream.frames
        if not self.num_frames or not self.stream.average_rate:
            raise ValueError(
                f'{name}: the container gives no frame count or frame rate '
                f'(frames={self.num_frames}, '
                f'rate={self.stream.average_rate}); read it with DecordInit')
        #: Stream time units per frame and the first frame's time.
        self.ticks_per_frame = 1 / (
            self.stream.time_base * self.stream.average_rate)
        self.start = self.stream.start_time or 0
        #: Keyframe positions (decode order); empty without an index (or
        #: with a PyAV too old to expose it).
        self.keyframes = [
            position for position, entry in enumerate(
                getattr(self.stream, 'index_entries', ())) if entry.is_keyframe
        ]
        self.decoded_frames = 0

    def __len__(self) -> int:
        return self.num_frames

    def _index(self, pts: int) -> int:
        position = float((pts - self.start) / self.ticks_per_frame)
        index = round(position)
        if abs(position - index) > 0.25:
            raise ValueError(
                f'{self.name}: a frame at time {pts} (stream units) is off '
                'the constant frame rate grid (frame '
                f'{position:.2f}); read this video with DecordInit')
        return index

    def _starts_run(self, previous: int, index: int) -> bool:
        """Whether seeking to ``index`` decodes less than decoding on from
        ``previous``."""
        if not self.keyframes:
            return index - previous > self.max_gap
        before = bisect.bisect_right(self.keyframes, index)
        return before > 0 and self.keyframes[before - 1] > previous

    def _runs(self, wanted: List[int]) -> List[List[int]]:
        runs = [[wanted[0]]]
        for index in wanted[1:]:
            if self._starts_run(runs[-1][-1], index):
                runs.append([])
            runs[-1].append(index)
        return runs

    def read(self, frame_indices: Sequence[int]) -> List[np.ndarray]:
        """Decode frames by index.

        Args:
            frame_indices (Sequence[int]): Indices in [0, len(self)), any
                order, repeats allowed.

        Returns:
            list[np.ndarray]: RGB uint8 frames (H, W, 3), one per index.
        """
        wanted = sorted({int(index) for index in frame_indices})
        if not wanted:
            return []
        if wanted[0] < 0 or wanted[-1] >= self.num_frames:
            raise IndexError(
                f'{self.name}: frame indices {wanted[0]}..{wanted[-1]} are '
                f'outside the video\'s {self.num_frames} frames')
        frames: Dict[int, np.ndarray] = {}
        for run in self._runs(wanted):
            self.container.seek(
                int(self.start + run[0] * self.ticks_per_frame),
                stream=self.stream,
                backward=True)
            last, needed = run[-1], set(run)
            for frame in self.container.decode(self.stream):
                self.decoded_frames += 1
                index = self._index(frame.pts)
                if index in needed:
                    frames[index] = frame.to_ndarray(format='rgb24')
                if index >= last:
                    break
            missing = needed.difference(frames)
            if missing:
                raise ValueError(
                    f'{self.name}: the decoder gave no frame '
                    f'{sorted(missing)[:5]} (of {self.num_frames})')
        return [frames[int(index)] for index in frame_indices]

    def close(self) -> None:
        """Close the container."""
        self.container.close()
