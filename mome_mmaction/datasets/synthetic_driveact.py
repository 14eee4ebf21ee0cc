"""A small synthetic dataset with the exact Drive&Act layout.

Each participant has one long recording seen by three views
(``kinect_color`` 80x64 colour, ``kinect_ir`` and ``kinect_depth`` 64x64
grey). A square "actor" moves according to the current activity (down, up,
growing, shrinking, wobbling: all unchanged by a horizontal flip), drawn at
the same relative position in every view. The motion restarts with every
chunk of an annotation, so each chunk shows it whole (a tiny model learns
it in minutes; spread over a long annotation, a chunk moved by ~2
pixels). Views start recording at different instants, so the same chunk
has different frame numbers per view.
In some annotations one view is corrupted (dark or noisy), so fusing views
helps. Every frame carries its recording instant as a binary band in its top
rows (:func:`decode_instant`), so tests can check that decoded frames of all
views show the same instant.
"""
import csv
import json
import sys
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

import numpy as np
from mmengine.utils import ProgressBar

from .driveact_dataset import DRIVEACT_CSV_COLUMNS, driveact_csv_path
from .synthetic_videos import write_video

#: Activity -> motion of the actor; every motion survives a horizontal flip.
SYNTHETIC_DRIVEACT_MOTIONS: Dict[str, str] = {
    'fastening_seat_belt': 'down',
    'unfastening_seat_belt': 'up',
    'opening_laptop': 'grow',
    'closing_laptop': 'shrink',
    'looking_or_moving_around (e.g. searching)': 'wobble',
}
#: Default class list of the synthetic data (labels = positions).
SYNTHETIC_DRIVEACT_CLASSES: Tuple[str, ...] = tuple(SYNTHETIC_DRIVEACT_MOTIONS)
#: View -> frame (height, width); colour is wider, as in Drive&Act.
SYNTHETIC_VIEW_SIZES: Dict[str, Tuple[int, int]] = {
    'kinect_color': (64, 80),
    'kinect_ir': (64, 64),
    'kinect_depth': (64, 64),
}
CORRUPTIONS = ('dark', 'noise')
#: Rows at the top of each frame holding the instant, and its bit count.
INSTANT_BAND_ROWS = 8
INSTANT_BITS = 12
_LEAD_IN = 8  # instants before the first annotation (>= any view's delay)


def encode_instant(frame: np.ndarray, instant: int) -> None:
    """Write ``instant`` as black/white blocks into the frame's top rows.

    Args:
        frame (np.ndarray): uint8 frame of shape (H, W, 3), changed in place.
        instant (int): 0 <= instant < 2 ** INSTANT_BITS.
    """
    if not 0 <= instant < 2**INSTANT_BITS:
        raise ValueError(f'instant {instant} does not fit {INSTANT_BITS} bits')
    block = frame.shape[1] // INSTANT_BITS
    frame[:INSTANT_BAND_ROWS] = 0
    for bit in range(INSTANT_BITS):
        if instant >> bit & 1:
            frame[:INSTANT_BAND_ROWS, bit * block:(bit + 1) * block] = 255


def decode_instant(frame: np.ndarray) -> int:
    """Read the instant :func:`encode_instant` wrote (after video coding).

    Args:
        frame (np.ndarray): Decoded frame of shape (H, W, C), not resized.

    Returns:
        int: The instant.
    """
    block = frame.shape[1] // INSTANT_BITS
    instant = 0
    for bit in range(INSTANT_BITS):
        middle = bit * block + block // 2
        centre = frame[2:INSTANT_BAND_ROWS - 2, middle - 1:middle + 1]
        if centre.mean() > 127:
            instant |= 1 << bit
    return instant


def _actor_state(motion: str, progress: float,
                 anchor: np.ndarray) -> Tuple[float, float, float]:
    """Relative (centre y, centre x, side) of the actor; progress in [0, 1]."""
    centre_y, centre_x = anchor
    side = 0.22
    if motion == 'down':
        centre_y = 0.25 + 0.55 * progress
    elif motion == 'up':
        centre_y = 0.8 - 0.55 * progress
    elif motion == 'grow':
        side = 0.1 + 0.35 * progress
    elif motion == 'shrink':
        side = 0.45 - 0.35 * progress
    elif motion == 'wobble':
        centre_x += 0.2 * np.sin(progress * 2 * np.pi)
    else:
        raise ValueError(f'unknown motion {motion!r}')
    return centre_y, centre_x, side


def _render(view: str, size: Tuple[int, int],
            state: Tuple[float, float, float], colour: np.ndarray,
            corruption: str, rng: np.random.Generator) -> np.ndarray:
    """One BGR frame of ``view`` showing the actor at ``state``."""
    height, width = size
    if view == 'kinect_color':
        frame = rng.integers(0, 70, (height, width, 3)).astype(np.float32)
        value = colour
    elif view == 'kinect_ir':
        frame = rng.integers(20, 60, (height, width, 1)).astype(np.float32)
        value = np.array([220.])
    else:  # depth: a smooth ramp behind the actor
        ramp = np.linspace(30, 90, width, dtype=np.float32)
        frame = np.broadcast_to(ramp[None, :, None], (height, width, 1)).copy()
        frame += rng.normal(0, 4, frame.shape)
        value = np.array([170.])
    centre_y, centre_x, side = state
    half = max(2, int(round(side * height / 2)))
    y, x = int(centre_y * height), int(centre_x * width)
    frame[max(0, y - half):y + half, max(0, x - half):x + half] = value
    if corruption == 'dark':
        frame = frame * 0.1 + rng.normal(0, 6, frame.shape)
    elif corruption == 'noise':
        frame = frame * 0.3 + rng.uniform(0, 180, frame.shape)
    frame = np.clip(frame, 0, 255).astype(np.uint8)
    return frame if frame.shape[2] == 3 else np.repeat(frame, 3, axis=2)


def make_synthetic_driveact(
    out_dir: Union[str, Path],
    seed: int = 0,
    num_participants: int = 6,
    annotations_per_class: int = 2,
    chunk_len: int = 16,
    corrupt_prob: float = 0.5,
    classes: Sequence[str] = SYNTHETIC_DRIVEACT_CLASSES,
    views: Sequence[str] = tuple(SYNTHETIC_VIEW_SIZES),
    progress: bool = False) -> Dict:
    """Write videos and chunk CSVs in the Drive&Act layout.

    Writes ``OUT/<view>/vp<P>/run1b_<timestamp>.<view>.mp4`` (one recording
    per participant and view) and ``OUT/activities_3s/<view>/
    midlevel.chunks_90.split_{0,1,2}.{train,val,test}.csv``. Split ``s``
    validates on participant ``2s`` and tests on ``2s + 1`` (0-based, modulo
    the count) and trains on the others. Each annotation (one activity,
    ``chunk_len`` to ``2.5 * chunk_len`` frames) is cut into chunks of
    ``chunk_len`` frames (a shorter last chunk is kept if at least half as
    long). ``OUT/synthetic_driveact.json`` records the classes, every view's
    delay per recording and the corrupted view of every chunk.

    Args:
        out_dir (str | Path): Output folder.
        seed (int): Random seed; the same seed writes the same data.
        num_participants (int): Participants (>= 3; each split needs one for
            val and one for test and some to train).
        annotations_per_class (int): Annotations of each class per recording.
        chunk_len (int): Frames per chunk (Drive&Act uses 90).
        corrupt_prob (float): Chance that an annotation has one view
            corrupted (dark or noisy).
        classes (Sequence[str]): Activities, keys of
            :data:`SYNTHETIC_DRIVEACT_MOTIONS`.
        views (Sequence[str]): Views to write, keys of
            :data:`SYNTHETIC_VIEW_SIZES`.
        progress (bool): Show a progress bar over the recordings.
            Defaults to False.

    Returns:
        dict: The contents of ``synthetic_driveact.json``.
    """
    unknown = [
        name for name in classes if name not in SYNTHETIC_DRIVEACT_MOTIONS
    ]
    if unknown:
        raise ValueError(f'classes {unknown} have no synthetic motion; '
                         f'choose from {list(SYNTHETIC_DRIVEACT_MOTIONS)}')
    if num_participants < 3:
        raise ValueError('num_participants must be >= 3')
    if chunk_len < 4:
        raise ValueError('chunk_len must be >= 4')
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    rows = {view: {} for view in views}  # view -> participant -> rows
    meta = dict(seed=seed, classes=list(classes), recordings={}, chunks=[])
    bar = ProgressBar(
        num_participants, file=sys.stdout) if progress else None
    for participant in range(1, num_participants + 1):
        stem = (f'vp{participant}/run1b_2018-05-{participant % 28 + 1:02d}'
                f'-14-02-{participant % 60:02d}')
        activities = list(classes) * annotations_per_class
        rng.shuffle(activities)
        # Timeline: annotations separated by small gaps after a lead-in.
        annotations, instant = [], _LEAD_IN
        for annotation_id, activity in enumerate(activities):
            length = int(rng.integers(chunk_len, int(2.5 * chunk_len) + 1))
            corrupted = (
                str(rng.choice(views))
                if rng.random() < corrupt_prob else None)
            annotations.append(
                dict(
                    annotation_id=annotation_id,
                    activity=activity,
                    start=instant,
                    length=length,
                    corrupted_view=corrupted,
                    corruption=str(rng.choice(CORRUPTIONS))))
            instant += length + int(rng.integers(2, 7))
        num_instants = instant + 4
        delays = {
            view: 0 if position == 0 else int(rng.integers(1, _LEAD_IN))
            for position, view in enumerate(views)
        }
        meta['recordings'][stem] = dict(
            delays=delays, num_instants=num_instants)
        _write_recording(out_dir, stem, views, delays, annotations,
                         num_instants, chunk_len, rng)
        if bar:
            bar.update()
        for view in views:
            rows[view][participant] = []
        for annotation in annotations:
            start, end = annotation['start'], (
                annotation['start'] + annotation['length'])
            for chunk_id, chunk_start in enumerate(
                    range(start, end, chunk_len)):
                chunk_end = min(chunk_start + chunk_len, end)
                if chunk_end - chunk_start < max(2, chunk_len // 2):
                    continue
                for view in views:
                    rows[view][participant].append([
                        participant, f'{stem}.{view}',
                        annotation['annotation_id'],
                        chunk_start - delays[view], chunk_end - delays[view],
                        annotation['activity'], chunk_id
                    ])
                meta['chunks'].append(
                    dict(
                        participant_id=participant,
                        recording=stem,
                        annotation_id=annotation['annotation_id'],
                        chunk_id=chunk_id,
                        activity=annotation['activity'],
                        instants=[chunk_start, chunk_end],
                        corrupted_view=annotation['corrupted_view'],
                        corruption=(annotation['corruption'] if
                                    annotation['corrupted_view'] else None)))
    if bar:
        bar.file.write('\n')
    meta['splits'] = _write_csvs(out_dir, rows, views, num_participants)
    (out_dir / 'synthetic_driveact.json').write_text(
        json.dumps(meta, indent=1))
    return meta


def _write_recording(out_dir: Path, stem: str, views: Sequence[str],
                     delays: Dict[str, int], annotations: List[dict],
                     num_instants: int, chunk_len: int,
                     rng: np.random.Generator) -> None:
    """Render and encode one recording in every view."""
    colour = rng.integers(120, 256, 3).astype(np.float32)
    anchor = rng.uniform(0.4, 0.6, 2)
    # The actor's state and the corrupted view at every instant.
    states, corrupted = [], []
    state = _actor_state('wobble', 0., anchor)
    annotation_iter = iter(annotations)
    current = next(annotation_iter, None)
    for instant in range(num_instants):
        while current and instant >= current['start'] + current['length']:
            current = next(annotation_iter, None)
        if current and instant >= current['start']:
            progress = (instant - current['start']) % chunk_len / (
                chunk_len - 1)
            state = _actor_state(
                SYNTHETIC_DRIVEACT_MOTIONS[current['activity']], progress,
                anchor)
            corrupted.append(
                (current['corrupted_view'], current['corruption']))
        else:
            corrupted.append((None, None))
        states.append(state)
    for view in views:
        frames = []
        for instant in range(delays[view], num_instants):
            corrupted_view, corruption = corrupted[instant]
            frame = _render(view, SYNTHETIC_VIEW_SIZES[view], states[instant],
                            colour,
                            corruption if corrupted_view == view else None,
                            rng)
            encode_instant(frame, instant)
            frames.append(frame)
        write_video(out_dir / view / f'{stem}.{view}.mp4', np.stack(frames))


def _write_csvs(out_dir: Path, rows: Dict[str, Dict[int, list]],
                views: Sequence[str], num_participants: int) -> Dict:
    """Write the 3 participant splits of every view; returns the splits."""
    splits = {}
    participants = list(range(1, num_participants + 1))
    for split in range(3):
        val = participants[(2 * split) % num_participants]
        test = participants[(2 * split + 1) % num_participants]
        subsets = dict(
            train=[p for p in participants if p not in (val, test)],
            val=[val],
            test=[test])
        splits[split] = subsets
        for subset, members in subsets.items():
            for view in views:
                csv_file = driveact_csv_path(str(out_dir), view, split, subset)
                Path(csv_file).parent.mkdir(parents=True, exist_ok=True)
                with open(csv_file, 'w', newline='') as stream:
                    writer = csv.writer(stream)
                    writer.writerow(DRIVEACT_CSV_COLUMNS)
                    for participant in members:
                        writer.writerows(rows[view][participant])
    return splits
