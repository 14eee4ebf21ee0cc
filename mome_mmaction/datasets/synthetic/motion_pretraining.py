"""A generic synthetic motion corpus to pretrain tiny video backbones.

The paper's experts start from a Kinetics-710 checkpoint; CPU-sized experts
need a video-pretrained start too. This corpus is generic (nothing about
cars or cabins): a textured shape moves over a cluttered, moving background
(half of the clips are plain: one-colour shape, one-colour background).

**Label** = (shape, motion), :data:`MOTION_PRETRAINING_CLASSES`:

- shape: :data:`SHAPES` (disc, square, triangle, ring, cross, bar);
- motion: :data:`MOTIONS`, six trajectories each played forwards and
  backwards in time (right / left, down / up, clockwise / anticlockwise,
  zig-zag right / left, damped / growing bounce, approach / recede). A
  class's clips played backwards are exactly clips of its time-reversed
  class (:func:`time_reversed_class`): every nuisance below is drawn the
  same way forwards and backwards, so only temporal order tells the two
  apart (and no class is told from another by a flip alone; do not
  pretrain with ``Flip``).

**Nuisance**, drawn per clip: speed (:data:`SPEEDS`, slow or fast, +-20%),
the shape's size, rotation, start position and phase, its texture
(:data:`TEXTURES`: plain, stripes, checker, noise) and colours (kept at a
luminance contrast of at least 80 to the background's mean), the
background (a colour gradient, 2-5 drifting blobs and, in half the clips,
drifting lines), a global brightness flicker, camera noise, and colour versus
grey: half the clips are grey replicated to 3 channels, as infrared and
depth frames are. Half of the clips are *plain*: the shape in one colour
over the background's mean colour, flicker and noise kept. From scratch,
the tiny UniFormerV2 stays at chance on the cluttered clips alone for
thousands of steps of batch 16 (its class token averages over the frame,
and the clutter's colours swamp a small shape at first), while on plain
clips it starts learning within a few hundred; the plain half lets it
start.

:func:`make_motion_pretraining` writes MMAction2's ``VideoDataset`` format;
every clip has its own seed, so the same arguments always write the same
frames and a rerun only writes what is missing.
"""
import json
import multiprocessing
import numpy as np
import os
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Tuple, Union

from ...utils.progress import LogFriendlyProgressBar
from .video_writer import write_video

SHAPES: Tuple[str,
              ...] = ('disc', 'square', 'triangle', 'ring', 'cross', 'bar')
#: Motion -> (trajectory, played backwards in time).
MOTIONS: Dict[str, Tuple[str, bool]] = {
    'right': ('linear_x', False),
    'left': ('linear_x', True),
    'down': ('linear_y', False),
    'up': ('linear_y', True),
    'clockwise': ('circle', False),
    'anticlockwise': ('circle', True),
    'zigzag_right': ('zigzag', False),
    'zigzag_left': ('zigzag', True),
    'bounce_damped': ('bounce', False),
    'bounce_growing': ('bounce', True),
    'approach': ('scale', False),
    'recede': ('scale', True),
}
TEXTURES: Tuple[str, ...] = ('plain', 'stripes', 'checker', 'noise')
#: Speed -> factor on every trajectory's rate (a nuisance, not the label).
SPEEDS: Dict[str, float] = {'slow': 1., 'fast': 2.}
#: The default class table, ``'<shape>_<motion>'``; label = position.
MOTION_PRETRAINING_CLASSES: Tuple[str, ...] = tuple(f'{shape}_{motion}'
                                                    for shape in SHAPES
                                                    for motion in MOTIONS)
#: Bumped whenever the rendering changes, so that an old corpus is not
#: silently mixed with new clips (the manifest records it).
CORPUS_VERSION = 2
MANIFEST_NAME = 'motion_pretraining.json'
_SUBSETS = ('train', 'val')
_BGR_LUMA = np.array([0.114, 0.587, 0.299], dtype=np.float32)


def split_class_name(name: str) -> Tuple[str, str]:
    """``'disc_zigzag_right'`` -> ``('disc', 'zigzag_right')``.

    Raises:
        ValueError: ``name`` is not in :data:`MOTION_PRETRAINING_CLASSES`.
    """
    shape, _, motion = name.partition('_')
    if shape not in SHAPES or motion not in MOTIONS:
        raise ValueError(f'unknown motion pretraining class {name!r}; '
                         'choose from MOTION_PRETRAINING_CLASSES')
    return shape, motion


def time_reversed_class(name: str) -> str:
    """The class whose clips are ``name``'s clips played backwards."""
    shape, motion = split_class_name(name)
    trajectory, backwards = MOTIONS[motion]
    reverse, = [
        other
        for other, (other_trajectory, other_backwards) in MOTIONS.items()
        if other_trajectory == trajectory and other_backwards != backwards
    ]
    return f'{shape}_{reverse}'


def _trajectory(rng: np.random.Generator, trajectory: str, speed: float,
                radius: float, size: int,
                num_frames: int) -> Tuple[np.ndarray, np.ndarray]:
    """Centre (T, 2) as (y, x) pixels and radius (T, ) of the shape."""
    t = np.arange(num_frames, dtype=np.float32)
    centred = t - (num_frames - 1) / 2
    unit = size / 64  # every length below is for 64x64 frames
    radii = np.full(num_frames, radius, dtype=np.float32)
    margin = radius + 2
    free = size - 2 * margin  # room for the centre along each axis
    if trajectory in ('linear_x', 'linear_y', 'zigzag'):
        rate = min(1.2 * unit * speed, free / (num_frames - 1))
        travel = rate * (num_frames - 1)
        along = margin + rng.uniform() * max(free - travel, 0) + rate * t
        if trajectory == 'zigzag':
            amplitude = rng.uniform(0.08, 0.14) * size
            period = 8 / speed
            phase = rng.uniform(0, 1) + t / period
            wave = 4 * np.abs(phase - np.floor(phase + 0.5)) - 1  # [-1, 1]
            across = rng.uniform(margin + amplitude,
                                 size - margin - amplitude) + amplitude * wave
        else:
            across = np.full(num_frames, rng.uniform(margin, size - margin))
        centre = (
            np.stack([across, along], 1)
            if trajectory != 'linear_y' else np.stack([along, across], 1))
    elif trajectory == 'circle':
        circle = rng.uniform(0.16, 0.24) * size
        middle = rng.uniform(margin + circle, size - margin - circle, 2)
        angle = rng.uniform(0, 2 * np.pi) + 0.2 * speed * t
        # y grows downwards: increasing angle turns clockwise on screen.
        centre = middle + circle * np.stack([-np.cos(angle), np.sin(angle)], 1)
    elif trajectory == 'bounce':
        height = rng.uniform(0.4, 0.55) * size
        hop = 8 / speed  # frames from one floor contact to the next
        decay = np.log(5) / (num_frames - 1)  # height / 5 over the clip
        phase = rng.uniform(0, 1) + t / hop
        lift = height * np.exp(-decay * t) * np.abs(np.sin(np.pi * phase))
        drift = rng.uniform(-1, 1) * min(0.6 * unit, free / 2 /
                                         (num_frames - 1))
        start = margin + rng.uniform() * (free - abs(drift) * (num_frames - 1))
        start -= min(drift, 0) * (num_frames - 1)
        centre = np.stack([size - margin - lift, start + drift * t], 1)
    elif trajectory == 'scale':
        # Radius x2 per 15 frames (slow), at most x4 over the clip.
        growth = min(np.log(2) / 15 * speed, 0.7 / centred[-1])
        radii = (0.13 * size * np.exp(growth * centred)).astype(np.float32)
        room = size / 2 - radii.max() - 2  # for the centre's drift
        drift = rng.uniform(-1, 1, 2) * min(0.3 * unit, room / num_frames)
        reach = radii.max() + 2 + np.abs(drift) * (num_frames - 1) / 2
        centre = rng.uniform(reach, size - reach) + drift * centred[:, None]
    else:
        raise ValueError(f'unknown trajectory {trajectory!r}')
    return centre.astype(np.float32), radii


def _shape_mask(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inside-mask of ``shape`` in its own unit coordinates (any shape)."""
    if shape == 'disc':
        return u**2 + v**2 <= 1
    if shape == 'square':
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8
    if shape == 'triangle':  # apex up: v runs from -1 (apex) to 0.8 (base)
        return (v <= 0.8) & (np.abs(u) <= (v + 1) * 0.55)
    if shape == 'ring':
        return (u**2 + v**2 <= 1) & (u**2 + v**2 >= 0.3)
    if shape == 'cross':
        across_u, across_v = np.abs(u) <= 0.3, np.abs(v) <= 0.3
        return (across_u & (np.abs(v) <= 1)) | (across_v & (np.abs(u) <= 1))
    if shape == 'bar':
        return (np.abs(u) <= 1) & (np.abs(v) <= 0.3)
    raise ValueError(f'unknown shape {shape!r}')


def _texture(rng: np.random.Generator, texture: str, u: np.ndarray,
             v: np.ndarray) -> np.ndarray:
    """Texture in [0, 1], fixed to the shape (it moves and scales along)."""
    if texture == 'plain':
        return np.ones_like(u)
    frequency = rng.uniform(1.5, 2.5) * np.pi
    if texture == 'stripes':
        return (np.sin(frequency * u + rng.uniform(0, 2 * np.pi))
                > 0).astype(np.float32)
    if texture == 'checker':
        return (np.sin(frequency * u) * np.sin(frequency * v)
                > 0).astype(np.float32)
    if texture == 'noise':
        cells = rng.uniform(0, 1, (6, 6)).astype(np.float32)
        row = np.clip((v + 1) * 3, 0, 5).astype(int)
        column = np.clip((u + 1) * 3, 0, 5).astype(int)
        return cells[row, column]
    raise ValueError(f'unknown texture {texture!r}')


def _background(rng: np.random.Generator, size: int,
                num_frames: int) -> np.ndarray:
    """Cluttered moving background (T, H, W, 3), float32 in about [0, 255].

    A colour gradient, 2-5 Gaussian blobs drifting in their own directions
    and, in half the clips, a drifting grating of lines.
    """
    grid = np.arange(size, dtype=np.float32)
    yy, xx = grid[:, None], grid[None, :]
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx + np.sin(angle) * yy) / size
    ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
    low, high = rng.uniform(20, 200, (2, 3)).astype(np.float32)
    background = low + (high - low) * ramp[..., None]  # (H, W, 3)
    background = np.repeat(background[None], num_frames, 0)
    t = np.arange(num_frames, dtype=np.float32)[None, :, None, None]
    num_blobs = rng.integers(2, 6)
    start = rng.uniform(0, size, (num_blobs, 2, 1, 1, 1)).astype(np.float32)
    velocity = (rng.uniform(-0.8, 0.8, (num_blobs, 2, 1, 1, 1)) * size /
                64).astype(np.float32)
    sigma = (rng.uniform(0.08, 0.2,
                         (num_blobs, 1, 1, 1)) * size).astype(np.float32)
    centre = start + velocity * t[:, None]  # (K, 2, T, 1, 1)
    blobs = np.exp(-((yy - centre[:, 0])**2 + (xx - centre[:, 1])**2) /
                   (2 * sigma**2))  # (K, T, H, W)
    colours = rng.uniform(-50, 50, (num_blobs, 3)).astype(np.float32)
    background += np.tensordot(blobs, colours, axes=(0, 0))  # (T, H, W, 3)
    if rng.random() < 0.5:
        orientation = rng.uniform(0, np.pi)
        wave_number = 2 * np.pi / (rng.uniform(6, 16) * size / 64)
        phase = (
            wave_number *
            (np.cos(orientation) * xx + np.sin(orientation) * yy) +
            rng.uniform(0, 2 * np.pi) + rng.uniform(-0.4, 0.4) * t[0])
        colour = rng.uniform(8, 20) * rng.uniform(0.3, 1, 3)
        background += np.sin(phase)[..., None] * colour.astype(np.float32)
    return background


def render_motion_clip(rng: np.random.Generator,
                       class_name: str,
                       size: int = 64,
                       num_frames: int = 16) -> np.ndarray:
    """One clip of ``class_name`` with every nuisance drawn from ``rng``.

    Args:
        rng (np.random.Generator): Source of every random choice; the same
            state gives the same clip.
        class_name (str): One of :data:`MOTION_PRETRAINING_CLASSES`.
        size (int): Frame height and width. Defaults to 64.
        num_frames (int): Frames T (>= 2). Defaults to 16.

    Returns:
        np.ndarray: uint8 frames of shape (T, size, size, 3), BGR.
    """
    shape, motion = split_class_name(class_name)
    trajectory, backwards = MOTIONS[motion]
    speed = SPEEDS[str(rng.choice(list(SPEEDS)))] * rng.uniform(0.8, 1.2)
    radius = rng.uniform(0.11, 0.16) * size
    centre, radii = _trajectory(rng, trajectory, speed, radius, size,
                                num_frames)
    background = _background(rng, size, num_frames)
    plain = rng.random() < 0.5
    if plain:  # one colour, the cluttered background's mean
        background = np.broadcast_to(
            background.mean(axis=(0, 1, 2)), background.shape).copy()
    # The shape's own coordinates, (T, H, W) each: unit radius, rotated.
    rotation = rng.uniform(0, np.pi) if shape == 'bar' else rng.uniform(
        -np.pi / 6, np.pi / 6)
    grid = np.arange(size, dtype=np.float32)
    inverse_radii = 1 / radii[:, None, None]  # (T, 1, 1)
    dy = (grid[None, :, None] - centre[:, 0, None, None]) * inverse_radii
    dx = (grid[None, None, :] - centre[:, 1, None, None]) * inverse_radii
    u = np.cos(rotation) * dx + np.sin(rotation) * dy
    v = -np.sin(rotation) * dx + np.cos(rotation) * dy
    mask = _shape_mask(shape, u, v)[..., None]
    texture = _texture(rng, 'plain' if plain else str(rng.choice(TEXTURES)), u,
                       v)[..., None]
    # Colours: the shape's luminance is >= 80 away from the background's.
    background_luma = float(background[0].mean(axis=(0, 1)) @ _BGR_LUMA)
    if background_luma < 128:
        luma = rng.uniform(background_luma + 80, 255)
    else:
        luma = rng.uniform(0, background_luma - 80)
    colour = rng.uniform(0, 255, 3).astype(np.float32)
    colour = np.clip(colour - colour @ _BGR_LUMA + luma, 0, 255)
    second = colour * 0.45 if luma > 127 else colour + (255 - colour) * 0.55
    shape_pixels = second + (colour - second) * texture
    frames = np.where(mask, shape_pixels, background)
    # Global brightness flicker, then camera noise.
    t = np.arange(num_frames, dtype=np.float32)
    gain = (1 + rng.uniform(0, 0.15) *
            np.sin(2 * np.pi * t / rng.uniform(4, 16) + rng.uniform(0, 6.3)) +
            rng.normal(0, 0.02, num_frames))
    frames = frames * gain[:, None, None, None].astype(np.float32)
    grey = rng.random() < 0.5
    if grey:
        frames = frames @ _BGR_LUMA[:, None]  # (T, H, W, 1)
    frames += rng.uniform(2, 8) * rng.standard_normal(
        frames.shape, dtype=np.float32)
    frames = np.clip(frames, 0, 255).astype(np.uint8)
    if grey:
        frames = np.repeat(frames, 3, axis=3)
    return frames[::-1].copy() if backwards else frames


def clip_seed(seed: int, class_name: str, subset: str,
              index: int) -> List[int]:
    """Entropy of one clip's generator: the same for every run and worker
    and independent of which other classes are written."""
    return [
        seed,
        MOTION_PRETRAINING_CLASSES.index(class_name),
        _SUBSETS.index(subset), index
    ]


def _write_clip(task: Tuple[str, str, str, int, int, int, int]) -> bool:
    """Render and write one clip unless it exists; True if written."""
    path, class_name, subset, index, seed, size, num_frames = task
    if os.path.isfile(path):
        return False
    rng = np.random.default_rng(clip_seed(seed, class_name, subset, index))
    frames = render_motion_clip(rng, class_name, size, num_frames)
    # Write next to the target and rename, so an interrupted run never
    # leaves a truncated file under the final name.
    partial = path[:-len('.mp4')] + '.partial.mp4'
    write_video(partial, frames)
    os.replace(partial, path)
    return True


def _check_manifest(manifest_file: Path, manifest: Dict) -> None:
    """Raise if ``manifest_file`` records other arguments than ours."""
    if not manifest_file.is_file():
        return
    existing = json.loads(manifest_file.read_text())
    if existing == manifest:
        return
    differences = sorted(
        key for key in set(existing) | set(manifest)
        if existing.get(key) != manifest.get(key))
    raise ValueError(
        f'{manifest_file} was written with other arguments (different: '
        f'{", ".join(differences)}; there: '
        f'{ {key: existing.get(key) for key in differences} }). Rerun with '
        'the same arguments to complete that corpus, or write to another '
        'folder (or delete that one).')


def make_motion_pretraining(
        out_dir: Union[str, Path],
        videos_per_class: int = 120,
        val_videos_per_class: int = 8,
        seed: int = 0,
        size: int = 64,
        num_frames: int = 16,
        classes: Sequence[str] = MOTION_PRETRAINING_CLASSES,
        workers: int = 1,
        progress: bool = False) -> Dict:
    """Write the corpus in MMAction2's ``VideoDataset`` format.

    Writes ``OUT/videos/<class>/{train,val}_<i>.mp4``, ``OUT/train.txt`` and
    ``OUT/val.txt`` (``<class>/<subset>_<i>.mp4 <label>`` per line, label =
    position in ``classes``), ``OUT/classes.txt`` (one name per line, in
    label order) and the manifest ``OUT/motion_pretraining.json`` (the
    arguments that define the frames). Existing clips are kept (each is
    written under a temporary name and renamed when complete) and the lists
    are rewritten, so rerunning with the same arguments completes an
    interrupted corpus.

    Args:
        out_dir (str | Path): Output folder (the config's ``data_root``).
        videos_per_class (int): Training clips per class. Defaults to 120.
        val_videos_per_class (int): Validation clips per class.
            Defaults to 8.
        seed (int): Random seed; the same seed writes the same frames.
        size (int): Frame height and width, >= 64 (decord misreads smaller
            ``mp4v`` videos). Defaults to 64.
        num_frames (int): Frames per clip. Defaults to 16.
        classes (Sequence[str]): Classes to write, from
            :data:`MOTION_PRETRAINING_CLASSES` (default: all of them).
        workers (int): Processes rendering and encoding. Defaults to 1.
        progress (bool): Show a progress bar over the clips.
            Defaults to False.

    Returns:
        dict: The manifest, plus ``written`` and ``skipped`` clip counts.

    Raises:
        ValueError: Bad arguments, or ``OUT`` holds a corpus written with
            other arguments (the message names its manifest).
    """
    for name in classes:
        split_class_name(name)
    if len(set(classes)) != len(classes):
        raise ValueError('classes must be distinct')
    if size < 64:
        raise ValueError(f'size must be >= 64 (decord misreads smaller mp4v '
                         f'videos), got {size}')
    if num_frames < 2 or videos_per_class < 1 or val_videos_per_class < 0:
        raise ValueError('need num_frames >= 2, videos_per_class >= 1 and '
                         'val_videos_per_class >= 0')
    out_dir = Path(out_dir)
    manifest = dict(
        version=CORPUS_VERSION,
        classes=list(classes),
        videos_per_class=videos_per_class,
        val_videos_per_class=val_videos_per_class,
        seed=seed,
        size=size,
        num_frames=num_frames)
    manifest_file = out_dir / MANIFEST_NAME
    _check_manifest(manifest_file, manifest)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_file.write_text(json.dumps(manifest, indent=1) + '\n')

    counts = dict(train=videos_per_class, val=val_videos_per_class)
    tasks, lines = [], {subset: [] for subset in _SUBSETS}
    for label, class_name in enumerate(classes):
        (out_dir / 'videos' / class_name).mkdir(parents=True, exist_ok=True)
        for subset in _SUBSETS:
            for index in range(counts[subset]):
                relative = f'{class_name}/{subset}_{index:04d}.mp4'
                lines[subset].append(f'{relative} {label}')
                tasks.append((str(out_dir / 'videos' / relative), class_name,
                              subset, index, seed, size, num_frames))
    written = _run_tasks(tasks, workers, progress)
    for subset, subset_lines in lines.items():
        (out_dir /
         f'{subset}.txt').write_text(''.join(f'{line}\n'
                                             for line in subset_lines))
    (out_dir / 'classes.txt').write_text(''.join(f'{name}\n'
                                                 for name in classes))
    return dict(
        manifest, written=sum(written), skipped=len(tasks) - sum(written))


def _run_tasks(tasks: List[tuple], workers: int, progress: bool) -> List[bool]:
    """:func:`_write_clip` over ``tasks`` in ``workers`` processes."""

    def consume(results: Iterable[bool]) -> List[bool]:
        bar = (
            LogFriendlyProgressBar(len(tasks), desc='motion corpus')
            if progress and tasks else None)
        written = []
        for result in results:
            written.append(result)
            if bar:
                bar.update()
        if bar:
            bar.finish()
        return written

    if workers <= 1:
        return consume(map(_write_clip, tasks))
    with multiprocessing.Pool(workers) as pool:
        return consume(pool.imap(_write_clip, tasks, chunksize=8))
