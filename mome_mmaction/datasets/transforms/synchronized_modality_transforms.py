"""Run ordinary MMAction2 transforms on every modality of a sample, in sync."""
import numpy as np
from mmaction.datasets.transforms import (DecordDecode, DecordInit, ImgAug,
                                          OpenCVDecode, OpenCVInit, PIMSDecode,
                                          PIMSInit, PyAVDecode, PyAVInit,
                                          RandomCrop)
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from typing import Dict, List, Optional, Sequence, Tuple, Union

from ...utils.random_states import random_states, set_random_states

#: Transforms that open a video and set ``total_frames`` to its length.
READER_INIT_TRANSFORMS = (DecordInit, PyAVInit, OpenCVInit, PIMSInit)
#: Transforms that read frames from an opened video.
READER_DECODE_TRANSFORMS = (DecordDecode, PyAVDecode, OpenCVDecode, PIMSDecode)
#: Random transforms whose draws come from a generator of their own (imgaug's
#: global RNG), which cannot be saved and restored per modality.
UNSYNCHRONIZABLE_TRANSFORMS = (ImgAug, )
#: Per-modality results not copied into ``results['modality_metas']``.
_HEAVY_KEYS = ('imgs', 'video_reader', 'modality_infos')


class VideoReadError(RuntimeError):
    """A video is missing or cannot be decoded; names the path and CSV row.

    Args:
        message (str): What failed, with the path and row.
        filename (str, optional): The video's path.
    """

    def __init__(self, message: str, filename: Optional[str] = None) -> None:
        super().__init__(message)
        self.filename = filename


class FrameRangeError(ValueError):
    """A chunk's frame range lies outside its video; names path and row."""


def describe_modality(key: str, info: Dict) -> str:
    """One line naming a modality's view, video and annotation row.

    Args:
        key (str): Model-side modality key, e.g. ``'ir'``.
        info (dict): The sample's ``modality_infos[key]``.

    Returns:
        str: e.g. ``"modality 'ir' (view kinect_ir): video X, row 3 of F"``.
    """
    text = f"modality '{key}'"
    if 'view' in info:
        text += f" (view {info['view']})"
    text += f": video {info.get('filename')}"
    if 'ann_file' in info:
        text += f", row {info.get('ann_row')} of {info['ann_file']}"
    return text


def _build_synchronizable(transform: Union[dict, callable]) -> callable:
    """Build a transform config, refusing the ones that cannot be replayed.
    """
    transform_type = (
        TRANSFORMS.get(transform['type'])
        if isinstance(transform, dict) else type(transform))
    if isinstance(transform_type, type) and issubclass(
            transform_type, UNSYNCHRONIZABLE_TRANSFORMS):
        raise TypeError(
            f'{transform_type.__name__} draws from its own random generator, '
            'which SynchronizedModalityTransforms cannot replay per modality '
            '(the views would get different augmentations); use a transform '
            "drawing from NumPy, Python or torch, e.g. PytorchVideoWrapper("
            "op='RandAugment')")
    if isinstance(transform, dict):
        transform = TRANSFORMS.build(transform)
    if not callable(transform):
        raise TypeError('transforms must be dicts or callables, got '
                        f'{type(transform)}')
    return transform


@TRANSFORMS.register_module()
class SynchronizedModalityTransforms(BaseTransform):
    """Apply MMAction2 transforms to each modality with shared random choices.

    The sample holds one entry per modality in ``results['modality_infos']``
    (``filename``, ``start_index`` and ``total_frames`` of the chunk in that
    modality's own video, as :class:`DriveActDataset` provides). The
    transforms are ordinary MMAction2 transforms (``DecordInit``,
    ``SampleFrames`` / ``UniformSample``, ``DecordDecode``, ``Resize``,
    ``RandomResizedCrop``, ``MultiScaleCrop``, ``CenterCrop``, ``Flip``,
    ``FormatShape``, ...). They run step by step in lockstep over the
    modalities; before each step the NumPy, Python and torch (CPU) random
    states are saved and restored for every modality, so every modality sees
    the same random draws (frame offsets, crop box, flip, the choices of
    ``PytorchVideoWrapper(op='RandAugment')`` or ``TorchVisionWrapper``), and
    after the step the state is the one the first (reference) modality left.
    A transform drawing from a generator of its own cannot be replayed and
    is refused when the pipeline is built (``ImgAug``, see
    :data:`UNSYNCHRONIZABLE_TRANSFORMS`). Besides:

    - After a reader-init transform (``DecordInit``, ...), which sets
      ``total_frames`` to the whole recording's length, the chunk's
      ``total_frames`` is restored (kept as ``video_total_frames``) and the
      chunk range is checked against the video (:class:`FrameRangeError`).
    - A sampling step (the one that first sets ``frame_inds``) gives every
      modality the reference's offsets inside the chunk; where a modality's
      chunk has another length the offsets are mapped proportionally
      (``floor((offset + 0.5) * len_m / len_ref)``), identical when lengths
      agree.
    - Random crops (``RandomCrop`` and its subclasses ``RandomResizedCrop``,
      ``MultiScaleCrop``, ``CenterCrop``) need the same ``img_shape`` in all
      modalities, so the same draws give the same box; views of different
      resolution (Drive&Act colour 1280x1024 vs IR/depth 512x424) must be
      resized to a common size first, e.g. ``Resize(scale=(256, 256),
      keep_ratio=False)``. A mismatch raises a ``ValueError`` instead of
      producing different crops.
    - After each step ``crop_bbox``, ``flip`` and the chunk-relative
      ``frame_inds`` are compared across modalities; a difference raises a
      ``RuntimeError`` naming the transform.
    - Errors of reader transforms become :class:`VideoReadError` naming the
      modality, video path and annotation row.

    The output for modality ``key`` is ``results[key]`` (the modality's
    ``imgs`` after the transforms, e.g. (num_clips, C, T, H, W) after
    ``FormatShape('NCTHW')``), so ``PackActionInputs(collect_keys=...)``
    builds the inputs dict for ``MultiModalDataPreprocessor``.
    ``results['modality_metas'][key]`` keeps the modality's other results
    (``frame_inds``, ``crop_bbox``, ``flip``, ``img_shape``, ...), and the
    top-level ``img_shape`` is the reference modality's.

    Args:
        transforms (list[dict | callable]): The per-modality transforms.
        modalities (Sequence[str], optional): Keys of
            ``results['modality_infos']`` to process, the first being the
            reference. Defaults to None (all, in the dataset's order).
    """

    def __init__(self,
                 transforms: List[Union[dict, callable]],
                 modalities: Optional[Sequence[str]] = None) -> None:
        self.transforms = [
            _build_synchronizable(transform) for transform in transforms
        ]
        self.modalities = None if modalities is None else tuple(modalities)

    def transform(self, results: Dict) -> Optional[Dict]:
        """Run the transforms on every modality of ``results``.

        Args:
            results (dict): A sample with ``modality_infos``.

        Returns:
            dict | None: ``results`` with one array per modality key and
            ``modality_metas``; None where a transform dropped the sample.
        """
        if 'modality_infos' not in results:
            raise KeyError('SynchronizedModalityTransforms needs '
                           "results['modality_infos'] (key -> dict with "
                           'filename, start_index, total_frames)')
        infos = results['modality_infos']
        keys = self.modalities or tuple(infos)
        missing = [key for key in keys if key not in infos]
        if missing:
            raise KeyError(f'modalities {missing} not in the sample '
                           f'(it has {list(infos)})')
        shared = {
            name: value
            for name, value in results.items()
            if name not in ('modality_infos',
                            'modality_metas') and name not in infos
        }
        # Every view is decoded as a 3-channel image video ('RGB' for
        # MMAction2's transforms, e.g. Flip), IR and depth included.
        shared.setdefault('modality', 'RGB')
        per_modality = {
            key: {
                **shared, 'filename': infos[key]['filename'],
                'start_index': infos[key]['start_index'],
                'total_frames': infos[key]['total_frames']
            }
            for key in keys
        }
        for transform in self.transforms:
            if not self._run_step(transform, keys, infos, per_modality):
                return None
        results['modality_metas'] = {}
        for key in keys:
            modality_results = per_modality[key]
            results[key] = modality_results['imgs']
            results['modality_metas'][key] = {
                name: value
                for name, value in modality_results.items()
                if name not in _HEAVY_KEYS
            }
        results['img_shape'] = per_modality[keys[0]].get('img_shape')
        return results

    def _run_step(self, transform, keys: Tuple[str], infos: Dict,
                  per_modality: Dict) -> bool:
        """Apply one transform to every modality with the same draws."""
        if isinstance(transform, RandomCrop):
            shapes = {key: per_modality[key].get('img_shape') for key in keys}
            if len(set(shapes.values())) > 1:
                raise ValueError(
                    f'{type(transform).__name__} needs the same img_shape '
                    f'in every modality for identical crops, got {shapes}; '
                    'resize first, e.g. dict(type="Resize", scale=(256, 256),'
                    ' keep_ratio=False)')
        states = random_states()
        after_reference = None
        for position, key in enumerate(keys):
            if position > 0:
                set_random_states(states)
            modality_results = per_modality[key]
            had_frame_inds = 'frame_inds' in modality_results
            output = self._apply(transform, key, infos[key], modality_results)
            if output is None:
                return False
            per_modality[key] = output
            if isinstance(transform, READER_INIT_TRANSFORMS):
                self._restore_chunk(key, infos[key], output)
            if (position and not had_frame_inds and 'frame_inds' in output
                    and output['total_frames']
                    != per_modality[keys[0]]['total_frames']):
                self._map_offsets(per_modality[keys[0]], output)
            if position == 0:
                after_reference = random_states()
        set_random_states(after_reference)
        self._check_synchronized(transform, keys, per_modality)
        return True

    @staticmethod
    def _apply(transform, key: str, info: Dict,
               modality_results: Dict) -> Optional[Dict]:
        """Run ``transform`` on one modality, naming the video on errors."""
        try:
            return transform(modality_results)
        except Exception as error:
            if isinstance(transform,
                          READER_INIT_TRANSFORMS + READER_DECODE_TRANSFORMS):
                kind = ('missing' if isinstance(error, FileNotFoundError) else
                        'unreadable')
                raise VideoReadError(
                    f'{kind} video, {type(transform).__name__} failed on '
                    f'{describe_modality(key, info)}: '
                    f'{type(error).__name__}: {error}',
                    info.get('filename')) from error
            error.add_note(f'in {type(transform).__name__} on '
                           f'{describe_modality(key, info)}')
            raise

    @staticmethod
    def _restore_chunk(key: str, info: Dict, modality_results: Dict) -> None:
        """Keep the chunk's frame count; check the chunk lies in the video."""
        video_frames = modality_results['total_frames']
        start, length = info['start_index'], info['total_frames']
        if start < 0 or start + length > video_frames:
            raise FrameRangeError(
                f'frames [{start}, {start + length}) outside the video '
                f'({video_frames} frames) in {describe_modality(key, info)}')
        modality_results['video_total_frames'] = video_frames
        modality_results['total_frames'] = length

    @staticmethod
    def _map_offsets(reference: Dict, modality_results: Dict) -> None:
        """Map the reference's chunk-relative offsets to a longer/shorter
        chunk of another modality (same relative instants)."""
        offsets = reference['frame_inds'] - reference['start_index']
        length, reference_length = (modality_results['total_frames'],
                                    reference['total_frames'])
        offsets = np.floor(
            (offsets + 0.5) * length / reference_length).astype(np.int64)
        offsets = np.clip(offsets, 0, length - 1)
        frame_inds = offsets + modality_results['start_index']
        modality_results['frame_inds'] = frame_inds.astype(
            modality_results['frame_inds'].dtype)

    @staticmethod
    def _check_synchronized(transform, keys: Tuple[str],
                            per_modality: Dict) -> None:
        """Raise if crop box, flip or frame offsets differ across views."""
        reference = per_modality[keys[0]]
        for key in keys[1:]:
            other = per_modality[key]
            for name in ('crop_bbox', 'flip'):
                if name in reference and not np.array_equal(
                        np.asarray(reference[name]), np.asarray(
                            other.get(name))):
                    raise RuntimeError(
                        f'{type(transform).__name__} gave {name} '
                        f'{reference[name]} for {keys[0]!r} but '
                        f'{other.get(name)} for {key!r}')
            if ('frame_inds' in reference
                    and reference['total_frames'] == other['total_frames']):
                reference_offsets = (
                    reference['frame_inds'] - reference['start_index'])
                offsets = other['frame_inds'] - other['start_index']
                if not np.array_equal(reference_offsets, offsets):
                    raise RuntimeError(
                        f'{type(transform).__name__} gave frame offsets '
                        f'{reference_offsets} for {keys[0]!r} but {offsets} '
                        f'for {key!r}')

    def __repr__(self) -> str:
        transforms = ', '.join(
            repr(transform) for transform in self.transforms)
        return (f'{self.__class__.__name__}(transforms=[{transforms}], '
                f'modalities={self.modalities})')
