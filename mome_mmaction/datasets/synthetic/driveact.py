"""A small synthetic dataset with the exact Drive&Act layout.

Each participant has one long recording seen by three views
(``kinect_color`` 80x64 colour, ``kinect_ir`` and ``kinect_depth`` 64x64
grey). A square "actor" moves according to the current activity
(:data:`SYNTHETIC_DRIVEACT_MOTIONS`; the default five classes, down, up,
growing, shrinking, wobbling, are all unchanged by a horizontal flip), drawn
at the same relative position in every view. The motion restarts with every
chunk of an annotation, so each chunk shows it whole (a tiny model learns
it in minutes; spread over a long annotation, a chunk moved by ~2
pixels). Views start recording at different instants, so the same chunk
has different frame numbers per view.
In some annotations one view is corrupted (dark or noisy), so fusing views
helps.

``difficulty`` > 0 makes the data harder (:data:`SYNTHETIC_DRIVEACT_HARD`
is the benchmark setting): the motions shrink by ``1 - difficulty / 2``, the
actor loses contrast and varies in size and place per annotation, distractor
squares drift in every view, camera noise grows, and the failures differ per
camera (:data:`VIEW_FAILURES`: low light or glare in colour, noise or a
frozen image under live noise in IR, dropout holes or a frozen image in
depth) and may mislead: a ``replay`` view shows another activity (a stale
stream, torn across a random row), in some clips two views at once so that
only the third is right. Each chunk's ``condition`` in the metadata names
what happened (:func:`chunk_condition`).

Every frame carries its recording instant as a binary band in its top
rows (:func:`decode_instant`), so tests can check that decoded frames of all
views show the same instant.
"""
import csv
import json
import numpy as np
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from ...utils.progress import LogFriendlyProgressBar
from ..driveact_dataset import DRIVEACT_CSV_COLUMNS, driveact_csv_path
from .video_writer import write_video

#: Activity -> motion of the actor.
SYNTHETIC_DRIVEACT_MOTIONS: Dict[str, str] = {
    'fastening_seat_belt': 'down',
    'unfastening_seat_belt': 'up',
    'opening_laptop': 'grow',
    'closing_laptop': 'shrink',
    'looking_or_moving_around (e.g. searching)': 'wobble',
    'fetching_an_object': 'left',
    'placing_an_object': 'right',
    'drinking': 'nod',
    'pressing_automation_button': 'pulse',
    'sitting_still': 'still',
}
#: Default class list of the synthetic data (labels = positions); all
#: flip-invariant.
SYNTHETIC_DRIVEACT_CLASSES: Tuple[str,
                                  ...] = tuple(SYNTHETIC_DRIVEACT_MOTIONS)[:5]
#: Every synthetic class, for the harder data (left / right: no ``Flip``).
SYNTHETIC_DRIVEACT_HARD_CLASSES: Tuple[str,
                                       ...] = tuple(SYNTHETIC_DRIVEACT_MOTIONS)
#: View -> frame (height, width); colour is wider, as in Drive&Act.
SYNTHETIC_VIEW_SIZES: Dict[str, Tuple[int, int]] = {
    'kinect_color': (64, 80),
    'kinect_ir': (64, 64),
    'kinect_depth': (64, 64),
}
CORRUPTIONS = ('dark', 'noise')
#: View -> the failures it can have when ``difficulty`` > 0, besides
#: ``replay`` (any view: another activity, torn frames).
VIEW_FAILURES: Dict[str, Tuple[str, ...]] = {
    'kinect_color': ('dark', 'glare'),
    'kinect_ir': ('noise', 'freeze'),
    'kinect_depth': ('dropout', 'freeze'),
}
#: Keyword arguments of :func:`make_synthetic_driveact` for the benchmark
#: data (``tools/data/make_synthetic_driveact.py OUT --preset hard``): 10
#: classes, 6 participants, 7 annotations of each class per recording:
#: 123-124 test chunks per split, so that one clip is under 1 point Top-1
#: (6 gave 95 on split 0). Difficulty 0.5: at 1, the pretrained tiny
#: experts fine-tuned 10 epochs reach 23-36% Top-1 alone (rgb 28.0, ir
#: 36.4, depth 23.4 on split 0 with 6 annotations); at 0.5, 28-48%.
SYNTHETIC_DRIVEACT_HARD: Dict = dict(
    difficulty=0.5,
    classes=SYNTHETIC_DRIVEACT_HARD_CLASSES,
    annotations_per_class=7,
    corrupt_prob=0.6)
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


def _actor_state(motion: str,
                 progress: float,
                 anchor: np.ndarray,
                 amplitude: float = 1.,
                 side: float = 0.22) -> Tuple[float, float, float]:
    """Relative (centre y, centre x, side) of the actor; progress in [0, 1],
    ``amplitude`` scales every motion's range around its middle."""
    centre_y, centre_x = anchor
    half_way = progress - 0.5
    if motion == 'down':
        centre_y = 0.525 + 0.55 * amplitude * half_way
    elif motion == 'up':
        centre_y = 0.525 - 0.55 * amplitude * half_way
    elif motion == 'grow':
        side += 0.055 + 0.35 * amplitude * half_way
    elif motion == 'shrink':
        side += 0.055 - 0.35 * amplitude * half_way
    elif motion == 'wobble':
        centre_x += 0.2 * amplitude * np.sin(progress * 2 * np.pi)
    elif motion == 'left':
        centre_x -= 0.45 * amplitude * half_way
    elif motion == 'right':
        centre_x += 0.45 * amplitude * half_way
    elif motion == 'nod':
        centre_y += 0.15 * amplitude * np.sin(progress * 4 * np.pi)
    elif motion == 'pulse':
        side += 0.1 * amplitude * np.sin(progress * 4 * np.pi)
    elif motion != 'still':
        raise ValueError(f'unknown motion {motion!r}')
    return centre_y, centre_x, side


#: Grey level of each view's background, toward which ``difficulty`` pulls
#: the actor's value (lower contrast).
_BACKGROUND_LEVEL = {
    'kinect_color': 35.,
    'kinect_ir': 40.,
    'kinect_depth': 60.
}


def _render(
    view: str,
    size: Tuple[int, int],
    state: Tuple[float, float, float],
    colour: np.ndarray,
    corruption: Optional[str],
    rng: np.random.Generator,
    difficulty: float = 0.,
    distractors: Sequence[Tuple[float, float, float]] = ()
) -> np.ndarray:
    """One BGR frame of ``view`` showing the actor at ``state``.

    ``distractors`` are squares (centre y, centre x, side), relative, drawn
    behind the actor at 60% of its contrast; ``corruption`` is a pixel-level
    failure (``dark``, ``noise``, ``glare``, ``dropout`` or ``tear``, the
    mark of a replayed stream).
    """
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
    level = _BACKGROUND_LEVEL[view]
    value = level + (value - level) * (1 - 0.5 * difficulty)
    for box, box_value in [(box, level + (value - level) * 0.6)
                           for box in distractors] + [(state, value)]:
        centre_y, centre_x, side = box
        half = max(2, int(round(side * height / 2)))
        y, x = int(centre_y * height), int(centre_x * width)
        frame[max(0, y - half):y + half, max(0, x - half):x + half] = box_value
    if difficulty:
        frame += rng.normal(0, 12 * difficulty, frame.shape)
    if corruption == 'dark':
        frame = frame * 0.1 + rng.normal(0, 6, frame.shape)
    elif corruption == 'noise':
        frame = frame * 0.3 + rng.uniform(0, 180, frame.shape)
    elif corruption == 'glare':  # a saturated blob over the actor's area
        yy, xx = np.mgrid[:height, :width] / np.array([height, width])[:, None,
                                                                       None]
        blob = np.exp(-((yy - state[0])**2 + (xx - state[1])**2) / 0.03)
        frame = frame + 400 * blob[..., None]
    elif corruption == 'dropout':  # holes: 8x8 cells read as 0, per frame
        cells = rng.random((height // 8 + 1, width // 8 + 1)) < 0.6
        holes = np.kron(cells, np.ones((8, 8), bool))[:height, :width]
        frame[holes] = 0
    elif corruption == 'tear':  # rows below a random one shifted sideways
        row = int(rng.integers(height // 4, 3 * height // 4))
        frame[row:] = np.roll(frame[row:], width // 8, axis=1)
    elif corruption is not None:
        raise ValueError(f'unknown corruption {corruption!r}')
    frame = np.clip(frame, 0, 255).astype(np.uint8)
    return frame if frame.shape[2] == 3 else np.repeat(frame, 3, axis=2)


def chunk_condition(chunk: Dict) -> str:
    """The sensing condition of a chunk of ``synthetic_driveact.json``:
    ``'clean'``, ``'<view>:<failure>'`` or, for two views,
    ``'<view>+<view>:<failure>'`` (e.g. ``'kinect_color+kinect_ir:replay'``).
    """
    failures = chunk.get('failures', {})
    if not failures:
        return 'clean'
    return '+'.join(failures) + ':' + '/'.join(sorted(set(failures.values())))


def synthetic_conditions(data_root: Union[str, Path]) -> Dict[tuple, str]:
    """(participant_id, recording, annotation_id, chunk_id) -> sensing
    condition (:func:`chunk_condition`) of every chunk of the synthetic
    data at ``data_root`` (its ``synthetic_driveact.json``)."""
    meta_file = Path(data_root) / 'synthetic_driveact.json'
    if not meta_file.is_file():
        raise FileNotFoundError(
            f'{meta_file} does not exist: sensing conditions are known only '
            'for data written by tools/data/make_synthetic_driveact.py')
    keys = ('participant_id', 'recording', 'annotation_id', 'chunk_id')
    return {
        tuple(chunk[key] for key in keys): chunk_condition(chunk)
        for chunk in json.loads(meta_file.read_text())['chunks']
    }


def _draw_failures(rng: np.random.Generator, views: Sequence[str],
                   corrupt_prob: float, difficulty: float) -> Dict[str, str]:
    """View -> failure of one annotation of the harder data (empty: clean).

    A failing annotation has, with probability ``1 - difficulty / 2``, one
    view failing in its own way (:data:`VIEW_FAILURES`), else one or (as
    often) two views replaying another activity.
    """
    if rng.random() >= corrupt_prob:
        return {}
    kind = rng.choice(
        3, p=[1 - difficulty / 2, difficulty / 4, difficulty / 4])
    if kind == 0:
        view = str(rng.choice(views))
        return {view: str(rng.choice(VIEW_FAILURES[view]))}
    chosen = rng.choice(
        len(views), size=min(kind,
                             len(views) - 1), replace=False)
    return {views[index]: 'replay' for index in sorted(chosen)}


def make_synthetic_driveact(
        out_dir: Union[str, Path],
        seed: int = 0,
        num_participants: int = 6,
        annotations_per_class: int = 2,
        chunk_len: int = 16,
        corrupt_prob: float = 0.5,
        classes: Sequence[str] = SYNTHETIC_DRIVEACT_CLASSES,
        views: Sequence[str] = tuple(SYNTHETIC_VIEW_SIZES),
        difficulty: float = 0.,
        progress: bool = False) -> Dict:
    """Write videos and chunk CSVs in the Drive&Act layout.

    Writes ``OUT/<view>/vp<P>/run1b_<timestamp>.<view>.mp4`` (one recording
    per participant and view) and ``OUT/activities_3s/<view>/
    midlevel.chunks_90.split_{0,1,2}.{train,val,test}.csv``. Split ``s``
    validates on participant ``2s`` and tests on ``2s + 1`` (0-based, modulo
    the count) and trains on the others. Each annotation (one activity,
    ``chunk_len`` to ``2.5 * chunk_len`` frames) is cut into chunks of
    ``chunk_len`` frames (a shorter last chunk is kept if at least half as
    long). ``OUT/synthetic_driveact.json`` records the classes, the
    difficulty, every view's delay per recording and every chunk's failing
    views (``failures``: view -> failure), ``condition``
    (:func:`chunk_condition`) and, for one failing view, ``corrupted_view``
    and ``corruption``.

    Args:
        out_dir (str | Path): Output folder.
        seed (int): Random seed; the same seed writes the same data.
        num_participants (int): Participants (>= 3; each split needs one for
            val and one for test and some to train).
        annotations_per_class (int): Annotations of each class per recording.
        chunk_len (int): Frames per chunk (Drive&Act uses 90).
        corrupt_prob (float): Chance that an annotation has failing views
            (one view dark or noisy when ``difficulty`` is 0).
        classes (Sequence[str]): Activities, keys of
            :data:`SYNTHETIC_DRIVEACT_MOTIONS`.
        views (Sequence[str]): Views to write, keys of
            :data:`SYNTHETIC_VIEW_SIZES`.
        difficulty (float): 0 (the default: the demo data of old, every
            random draw unchanged) to 1; see the module's docstring. The
            harder draws come from their own generator.
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
    if not 0 <= difficulty <= 1:
        raise ValueError(f'difficulty must be in [0, 1], got {difficulty}')
    if difficulty and len(classes) < 2:
        raise ValueError('difficulty > 0 needs >= 2 classes (a replayed '
                         'view shows another activity)')
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    hard_rng = np.random.default_rng([seed, 1])
    rows = {view: {} for view in views}  # view -> participant -> rows
    meta = dict(
        seed=seed,
        difficulty=difficulty,
        classes=list(classes),
        recordings={},
        chunks=[])
    bar = (
        LogFriendlyProgressBar(num_participants, desc='synthetic Drive&Act')
        if progress else None)
    for participant in range(1, num_participants + 1):
        stem = (f'vp{participant}/run1b_2018-05-{participant % 28 + 1:02d}'
                f'-14-02-{participant % 60:02d}')
        activities = list(classes) * annotations_per_class
        rng.shuffle(activities)
        # Timeline: annotations separated by small gaps after a lead-in.
        annotations, instant = [], _LEAD_IN
        for annotation_id, activity in enumerate(activities):
            length = int(rng.integers(chunk_len, int(2.5 * chunk_len) + 1))
            annotation = dict(
                annotation_id=annotation_id,
                activity=activity,
                start=instant,
                length=length)
            if difficulty:
                annotation.update(
                    failures=_draw_failures(hard_rng, views, corrupt_prob,
                                            difficulty),
                    decoy=str(
                        hard_rng.choice([c for c in classes
                                         if c != activity])),
                    side=0.22 * hard_rng.uniform(1 - 0.3 * difficulty,
                                                 1 + 0.3 * difficulty),
                    shift=hard_rng.uniform(-0.1, 0.1, 2) * difficulty)
            else:
                corrupted = (
                    str(rng.choice(views))
                    if rng.random() < corrupt_prob else None)
                corruption = str(rng.choice(CORRUPTIONS))
                annotation.update(
                    failures={corrupted: corruption} if corrupted else {})
            annotations.append(annotation)
            instant += length + int(rng.integers(2, 7))
        num_instants = instant + 4
        delays = {
            view: 0 if position == 0 else int(rng.integers(1, _LEAD_IN))
            for position, view in enumerate(views)
        }
        meta['recordings'][stem] = dict(
            delays=delays, num_instants=num_instants)
        _write_recording(out_dir, stem, views, delays, annotations,
                         num_instants, chunk_len, rng, difficulty, hard_rng)
        if bar:
            bar.update()
        for view in views:
            rows[view][participant] = []
        for annotation in annotations:
            start, end = annotation['start'], (
                annotation['start'] + annotation['length'])
            failures = annotation['failures']
            first_failure = next(iter(failures.items()), (None, None))
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
                chunk = dict(
                    participant_id=participant,
                    recording=stem,
                    annotation_id=annotation['annotation_id'],
                    chunk_id=chunk_id,
                    activity=annotation['activity'],
                    instants=[chunk_start, chunk_end],
                    failures=failures,
                    corrupted_view=first_failure[0],
                    corruption=first_failure[1])
                if 'replay' in failures.values():
                    chunk['replayed_activity'] = annotation['decoy']
                chunk['condition'] = chunk_condition(chunk)
                meta['chunks'].append(chunk)
    if bar:
        bar.finish()
    meta['splits'] = _write_csvs(out_dir, rows, views, num_participants)
    (out_dir /
     'synthetic_driveact.json').write_text(json.dumps(meta, indent=1))
    return meta


def _distractor_paths(rng: np.random.Generator, count: int,
                      num_instants: int) -> np.ndarray:
    """(count, num_instants, 3) relative (centre y, centre x, side) of
    squares drifting at constant speed, bouncing off the frame's edges."""
    start = rng.uniform(0.1, 0.9, (count, 1, 2))
    velocity = rng.uniform(-0.03, 0.03, (count, 1, 2))
    travel = start - 0.1 + velocity * np.arange(num_instants)[:, None]
    # Reflect into [0.1, 0.9]: a triangle wave of period 1.6.
    centres = 0.1 + 0.8 - np.abs(np.mod(travel, 1.6) - 0.8)
    sides = np.broadcast_to(
        rng.uniform(0.08, 0.2, (count, 1, 1)), (count, num_instants, 1))
    return np.concatenate([centres, sides], axis=2)


def _write_recording(out_dir: Path, stem: str, views: Sequence[str],
                     delays: Dict[str, int], annotations: List[dict],
                     num_instants: int, chunk_len: int,
                     rng: np.random.Generator, difficulty: float,
                     hard_rng: np.random.Generator) -> None:
    """Render and encode one recording in every view."""
    colour = rng.integers(120, 256, 3).astype(np.float32)
    anchor = rng.uniform(0.4, 0.6, 2)
    amplitude = 1 - difficulty / 2
    # Per instant: the actor's true state, and each failing view's (state,
    # corruption, instant of the distractors it shows).
    states, failing = [], []
    state = _actor_state('wobble', 0., anchor)
    annotation_iter = iter(annotations)
    current = next(annotation_iter, None)
    for instant in range(num_instants):
        while current and instant >= current['start'] + current['length']:
            current = next(annotation_iter, None)
        views_failing = {}
        if current and instant >= current['start']:
            progress = (instant - current['start']) % chunk_len / (
                chunk_len - 1)
            place = anchor + current.get('shift', 0.)
            side = current.get('side', 0.22)
            state = _actor_state(
                SYNTHETIC_DRIVEACT_MOTIONS[current['activity']], progress,
                place, amplitude, side)
            for view, failure in current['failures'].items():
                if failure == 'replay':
                    views_failing[view] = (_actor_state(
                        SYNTHETIC_DRIVEACT_MOTIONS[current['decoy']], progress,
                        place, amplitude, side), 'tear', instant)
                elif failure == 'freeze':  # the annotation's first image
                    views_failing[view] = (_actor_state(
                        SYNTHETIC_DRIVEACT_MOTIONS[current['activity']], 0.,
                        place, amplitude, side), None, current['start'])
                else:
                    views_failing[view] = (state, failure, instant)
        states.append(state)
        failing.append(views_failing)
    for view in views:
        distractors = _distractor_paths(hard_rng, round(3 * difficulty),
                                        num_instants)
        frames = []
        for instant in range(delays[view], num_instants):
            view_state, corruption, scene_instant = failing[instant].get(
                view, (states[instant], None, instant))
            frame = _render(view, SYNTHETIC_VIEW_SIZES[view], view_state,
                            colour, corruption, rng, difficulty,
                            distractors[:, scene_instant])
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
