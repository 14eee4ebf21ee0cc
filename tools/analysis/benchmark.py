"""Inference speed of a config: videos/s end to end or of its model alone.

Usage::

    python tools/analysis/benchmark.py CONFIG [CHECKPOINT] [--num-iters N]
        [--warmup W] [--log-interval K] [--batch-size B] [--model-only]
        [--amp] [--fuse-conv-bn] [--shape T H W] [--out FILE]
        [--work-dir DIR] [--cfg-options KEY=VALUE ...]
        [--launcher {none,pytorch,slurm,mpi}]

MMAction2's ``tools/analysis_tools/benchmark.py CONFIG [--log-interval]
[--fuse-conv-bn]`` for any config, multimodal recognizers included (it
still imports mmcv 1.x APIs in mmaction2 1.2.0 and fails on every config).
The runner, model, test dataloader and launcher come from the config as in
``tools/test.py`` (``PortableRunner`` unless the config sets a
``runner_type``, so ``--launcher pytorch`` works on CPU too).

End to end (default), every timed batch is read from the config's test
dataloader (decoding and pipeline) and run through ``model.test_step``
(data preprocessor and ``predict``). ``--model-only`` first reads a few
batches, preprocesses them and holds them on the device, then times
``predict`` on them alone: nothing is decoded while timing. Without the
test data (the dataset cannot be built: its files are missing),
``--model-only`` synthesizes random batches of the shape the test pipeline
gives (clip length, clips, crops, crop size; ``--shape T H W`` or the
backbone's ``t_size`` / ``input_resolution`` where the pipeline names
none) and says so.

It prints videos/s and clips/s, ms per batch (median and p90 over the
timed batches, after ``--warmup`` untimed ones), peak memory (CUDA max
allocated, or the process's peak RSS while timing on CPU) and, for a head
with a ``gate`` (e.g. ``TokenVotingGateHead``), the time of the head alone
inside the same passes; the same figures go to a JSON file (``--out``,
default ``<work dir>/<timestamp>/benchmark.json``). Documented in
``docs/benchmark_tool.md``.
"""
import argparse
import json
import numpy as np
import os
import resource
import time
import torch
import torch.nn as nn
from contextlib import nullcontext
from mmaction.registry import RUNNERS
from mmaction.structures import ActionDataSample
from mmengine.dataset import COLLATE_FUNCTIONS
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from pathlib import Path
from typing import (Any, Dict, Iterable, Iterator, List, NamedTuple, Optional,
                    Sequence, Tuple)

import mome_mmaction  # noqa: F401  (stack fixes, safe loading, registries)
from mome_mmaction.utils.tool_config import (add_config_arguments,
                                             backbone_clip_size,
                                             config_from_args)

#: Batches ``--model-only`` reads from the test data and cycles through.
MODEL_ONLY_BATCHES = 4
#: Frame samplers of MMAction2's pipelines (and ours) that set ``clip_len``
#: and ``num_clips``.
SAMPLERS = ('SampleFrames', 'UniformSample', 'UniformSampleFrames',
            'DenseSampleFrames', 'SampleAVAFrames')
#: Crops that turn every clip into several views.
MULTI_CROPS = dict(ThreeCrop=3, TenCrop=10)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The command line above (``argv`` defaults to ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='weights to load; without, the model keeps random weights '
        '(the speed does not depend on them)')
    parser.add_argument(
        '--num-iters',
        type=int,
        default=200,
        help='timed batches (default 200); end to end, fewer when the test '
        'set ends first')
    parser.add_argument(
        '--warmup',
        type=int,
        default=5,
        help='untimed batches first (default 5, as MMAction2)')
    parser.add_argument(
        '--log-interval',
        type=int,
        default=10,
        help='log the running videos/s every K timed batches')
    parser.add_argument(
        '--batch-size',
        type=int,
        default=1,
        help='videos per batch (default 1, as MMAction2\'s benchmark)')
    parser.add_argument(
        '--model-only',
        action='store_true',
        help='time the model on preprocessed batches held in memory')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='autocast: float16 on CUDA, bfloat16 on CPU')
    parser.add_argument(
        '--fuse-conv-bn',
        action='store_true',
        help='fuse conv and bn layers first (as MMAction2)')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=3,
        metavar=('T', 'H', 'W'),
        help='clip size of synthesized inputs (--model-only without the '
        'test data), where the test pipeline names none')
    parser.add_argument('--out', help='JSON file of the figures')
    parser.add_argument(
        '--work-dir',
        help='runner work dir (logs); default ./work_dirs/<config name>')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher, as tools/test.py')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if min(args.num_iters, args.batch_size, args.log_interval) < 1 or \
            args.warmup < 0:
        parser.error('--num-iters, --batch-size and --log-interval must be '
                     'positive, --warmup at least 0')
    return args


class ClipLayout(NamedTuple):
    """What a test pipeline makes of one video.

    Attributes:
        num_clips (int): Clips sampled per video.
        clip_len (int): Frames per clip.
        num_crops (int): Views per clip (3 for ``ThreeCrop``, ...).
        size (tuple[int, int] | None): (H, W) of a view, None if unknown.
        input_format (str): ``FormatShape``'s ``input_format``.
    """
    num_clips: int = 1
    clip_len: int = 1
    num_crops: int = 1
    size: Optional[Tuple[int, int]] = None
    input_format: str = 'NCTHW'

    @property
    def views_per_video(self) -> int:
        """int: Clips the model sees per video (clips x crops)."""
        return self.num_clips * self.num_crops


def flat_transforms(pipeline: Iterable[dict]) -> Iterator[dict]:
    """Every transform of ``pipeline``, wrapped ones (``transforms=[...]``,
    e.g. ``SynchronizedModalityTransforms``) in place of their wrapper."""
    for transform in pipeline:
        inner = transform.get('transforms')
        if isinstance(inner, (list, tuple)):
            yield from flat_transforms(inner)
        else:
            yield transform


def pair(size: Any) -> Tuple[int, int]:
    """(H, W) of MMAction2's ``crop_size`` / ``scale``: an int, or (W, H)."""
    if isinstance(size, int):
        return size, size
    return int(size[1]), int(size[0])


def clip_layout(pipeline: Iterable[dict]) -> ClipLayout:
    """The :class:`ClipLayout` a test pipeline's config describes.

    The size is the last crop's ``crop_size``, or the last ``Resize`` to a
    fixed (W, H) (``keep_ratio=False``) after it; unknown otherwise.
    """
    layout = ClipLayout()
    for transform in flat_transforms(pipeline):
        kind = str(transform.get('type', ''))
        if kind in SAMPLERS:
            layout = layout._replace(
                num_clips=int(transform.get('num_clips', 1)),
                clip_len=int(transform.get('clip_len', 1)))
        elif kind in MULTI_CROPS or kind == 'CenterCrop':
            layout = layout._replace(
                num_crops=MULTI_CROPS.get(kind, 1),
                size=pair(transform['crop_size']))
        elif kind == 'Resize' and not transform.get('keep_ratio', True):
            scale = transform['scale']
            if min(pair(scale)) > 0:
                layout = layout._replace(size=pair(scale))
        elif kind == 'FormatShape':
            layout = layout._replace(input_format=transform['input_format'])
    return layout


def input_keys(cfg, model: nn.Module) -> Optional[Tuple[str, ...]]:
    """Keys of a dict input (the recognizer's ``modalities``, or
    ``PackActionInputs(collect_keys=...)``), None for one clip tensor."""
    if getattr(model, 'modalities', None):
        return tuple(model.modalities)
    for transform in cfg.test_dataloader.dataset.get('pipeline', []):
        if transform.get('type') == 'PackActionInputs' and transform.get(
                'collect_keys'):
            return tuple(transform['collect_keys'])
    return None


def synthetic_batch(cfg, model: nn.Module, layout: ClipLayout,
                    batch_size: int) -> Dict[str, Any]:
    """A collated batch of random uint8 videos, as the test dataloader
    would give it (before the data preprocessor).

    Every sample's input is (num_clips * num_crops, 3, T, H, W) for
    ``NCTHW`` or (num_clips * num_crops * T, 3, H, W) for ``NCHW``; a dict
    of them for dict-input recognizers.

    Raises:
        ValueError: The clip size is unknown (``layout.size`` is None).
    """
    if layout.size is None:
        raise ValueError('the clip size is unknown: pass --shape T H W')
    height, width = layout.size
    if layout.input_format == 'NCHW':
        shape = (layout.views_per_video * layout.clip_len, 3, height, width)
    else:
        shape = (layout.views_per_video, 3, layout.clip_len, height, width)
    keys = input_keys(cfg, model)
    generator = torch.Generator().manual_seed(0)

    def video() -> torch.Tensor:
        return torch.randint(
            0, 256, shape, dtype=torch.uint8, generator=generator)

    samples = []
    for _ in range(batch_size):
        sample = ActionDataSample().set_gt_label(0)
        sample.set_metainfo(dict(img_shape=(height, width)))
        inputs = {key: video() for key in keys} if keys else video()
        samples.append(dict(inputs=inputs, data_samples=sample))
    collate = COLLATE_FUNCTIONS.get(
        cfg.test_dataloader.get('collate_fn', {}).get('type',
                                                      'pseudo_collate'))
    return collate(samples)


def videos_and_clips(data: Dict[str, Any],
                     layout: ClipLayout) -> Tuple[int, int]:
    """Videos and clips (views) in a collated, unprocessed batch."""
    inputs = data['inputs']
    if isinstance(inputs, dict):
        inputs = next(iter(inputs.values()))
    views = sum(int(sample.shape[0]) for sample in inputs)
    if layout.input_format == 'NCHW':
        views //= layout.clip_len
    return len(data['data_samples']), views


def synchronize(device: torch.device) -> None:
    """Wait for queued CUDA work (a no-op on CPU)."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


class HeadTimer:
    """Seconds the head spends in its forwards, read after every batch.

    Forward (pre-)hooks on ``head``; on CUDA they record events, so
    nothing is synchronized inside the pass.

    Args:
        head (nn.Module): The recognizer's ``cls_head``.
        device (torch.device): Where it runs.
    """

    def __init__(self, head: nn.Module, device: torch.device) -> None:
        self.device = device
        self.spans: List[Tuple[Any, Any]] = []
        self.handles = [
            head.register_forward_pre_hook(self._start),
            head.register_forward_hook(self._stop)
        ]

    def _now(self) -> Any:
        if self.device.type == 'cuda':
            event = torch.cuda.Event(enable_timing=True)
            event.record()
            return event
        return time.perf_counter()

    def _start(self, module: nn.Module, args: tuple) -> None:
        self.spans.append((self._now(), None))

    def _stop(self, module: nn.Module, args: tuple, output: Any) -> None:
        self.spans[-1] = (self.spans[-1][0], self._now())

    def pop_seconds(self) -> float:
        """Seconds in the head since the last call (call after a
        synchronize)."""
        if self.device.type == 'cuda':
            seconds = sum(
                start.elapsed_time(stop) / 1000 for start, stop in self.spans)
        else:
            seconds = sum(stop - start for start, stop in self.spans)
        self.spans = []
        return seconds

    def remove(self) -> None:
        """Remove the hooks."""
        for handle in self.handles:
            handle.remove()


def has_gate(head: Optional[nn.Module]) -> bool:
    """Whether ``head`` is a gate head (has a ``gate`` module)."""
    return isinstance(getattr(head, 'gate', None), nn.Module)


def reset_peak_memory(device: torch.device) -> None:
    """Start the peak memory count now (CUDA, or Linux's RSS high-water
    mark via ``/proc/self/clear_refs``)."""
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
        return
    try:
        with open('/proc/self/clear_refs', 'w') as stream:
            stream.write('5')
    except OSError:
        pass  # the process's peak since its start, then


def peak_memory(device: torch.device) -> Tuple[float, str]:
    """Peak memory in MiB since :func:`reset_peak_memory` and its kind."""
    if device.type == 'cuda':
        return (torch.cuda.max_memory_allocated(device) / 2**20,
                'CUDA max allocated')
    try:
        with open('/proc/self/status') as stream:
            for line in stream:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024, 'CPU peak RSS'
    except OSError:
        pass
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            'CPU peak RSS (process)')


class BatchTime(NamedTuple):
    """One timed batch: seconds in all, waiting for data, in the model
    (``test_step``, or ``predict`` with ``--model-only``), in the head."""
    total_s: float
    data_s: float
    model_s: float
    head_s: float
    videos: int
    clips: int


def timed_batches(batches: Iterator[Tuple[Any, int, int]], step,
                  num_iters: int, warmup: int, device: torch.device,
                  head_timer: Optional[HeadTimer],
                  log_interval: int) -> List[BatchTime]:
    """Run ``step(batch)`` on ``warmup`` + ``num_iters`` batches and time
    the last ``num_iters`` (fewer when ``batches`` ends first).

    Args:
        batches (Iterator): (batch, videos, clips), taken inside the timing.
        step (callable): Runs the model on one batch.

    Returns:
        list[BatchTime]: The timed batches.
    """
    times: List[BatchTime] = []
    for index in range(warmup + num_iters):
        synchronize(device)
        start = time.perf_counter()
        try:
            batch, videos, clips = next(batches)
        except StopIteration:
            break
        loaded = time.perf_counter()
        step(batch)
        synchronize(device)
        done = time.perf_counter()
        head_s = head_timer.pop_seconds() if head_timer else float('nan')
        if index < warmup:
            continue
        times.append(
            BatchTime(done - start, loaded - start, done - loaded, head_s,
                      videos, clips))
        if len(times) % log_interval == 0:
            seconds = sum(batch_time.total_s for batch_time in times)
            videos_done = sum(batch_time.videos for batch_time in times)
            print_log(
                f'Done batch [{len(times):<3}/ {num_iters}], '
                f'{videos_done / seconds:.4g} videos / s',
                logger='current')
    return times


def summarize(times: List[BatchTime]) -> Dict[str, float]:
    """Throughput and ms per batch (median, p90) of the timed batches."""

    def ms(values: List[float]) -> Dict[str, float]:
        return dict(
            median=float(np.median(values)) * 1000,
            p90=float(np.percentile(values, 90)) * 1000)

    seconds = sum(batch_time.total_s for batch_time in times)
    summary = dict(
        timed_batches=len(times),
        videos=sum(batch_time.videos for batch_time in times),
        clips=sum(batch_time.clips for batch_time in times),
        seconds=seconds)
    summary.update(
        videos_per_s=summary['videos'] / seconds,
        clips_per_s=summary['clips'] / seconds,
        batch_ms=ms([batch_time.total_s for batch_time in times]),
        data_ms=ms([batch_time.data_s for batch_time in times]),
        model_ms=ms([batch_time.model_s for batch_time in times]))
    head = [batch_time.head_s for batch_time in times]
    if not np.isnan(head).any():
        summary['head_ms'] = ms(head)
    return summary


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DDP / FSDP wrapper."""
    return model.module if is_model_wrapper(model) else model


def build_runner(args: argparse.Namespace):
    """The config's runner, as ``tools/test.py`` builds it."""
    cfg = config_from_args(args)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or str(
        Path('work_dirs') / Path(args.config).stem)
    cfg.load_from, cfg.resume = None, False
    cfg.setdefault('runner_type', 'PortableRunner')
    return RUNNERS.build(cfg), cfg


def model_only_batches(runner: Runner, cfg, model: nn.Module,
                       args: argparse.Namespace,
                       layout: ClipLayout) -> Tuple[list, str]:
    """Preprocessed batches for ``--model-only``, held on the device.

    Up to :data:`MODEL_ONLY_BATCHES` batches of the test data, or one
    synthetic batch (:func:`synthetic_batch`) when the test dataset cannot
    be built because its files are missing.

    Returns:
        tuple: [(preprocessed batch, videos, clips)] and where they come
        from (``'test dataloader'`` or ``'synthetic ...'``).
    """
    raw = []
    try:
        loader = runner.build_dataloader(
            dict(cfg.test_dataloader, batch_size=args.batch_size))
        for data in loader:
            raw.append(data)
            if len(raw) == min(MODEL_ONLY_BATCHES,
                               args.warmup + args.num_iters):
                break
        source = 'test dataloader'
    except FileNotFoundError as error:
        if args.shape:
            layout = layout._replace(
                clip_len=args.shape[0], size=tuple(args.shape[1:]))
        elif layout.size is None and backbone_clip_size(cfg):
            frames, height, width = backbone_clip_size(cfg)
            layout = layout._replace(clip_len=frames, size=(height, width))
        print_log(
            f'--model-only: no test data ({error}); timing random inputs of '
            f'the shape the config gives: {layout}',
            logger='current')
        raw = [synthetic_batch(cfg, model, layout, args.batch_size)]
        keys = input_keys(cfg, model)
        per = f'per video and input ({", ".join(keys)})' if keys else (
            'per video')
        source = (f'synthetic ({layout.views_per_video} x {layout.clip_len}'
                  f' x {layout.size[0]} x {layout.size[1]} uint8 {per}, the '
                  'test data is missing)')
    with torch.no_grad():
        return [(model.data_preprocessor(data, False),
                 *videos_and_clips(data, layout)) for data in raw], source


def cycle(items: Sequence[Any]) -> Iterator[Any]:
    """``items`` over and over."""
    while True:
        yield from items


def benchmark(args: argparse.Namespace) -> Dict[str, Any]:
    """Build the runner, time the batches and return the figures (this
    rank's; ``ranks`` holds every rank's on rank 0)."""
    runner, cfg = build_runner(args)
    if args.checkpoint:
        runner.load_checkpoint(args.checkpoint, map_location='cpu')
    model = unwrap(runner.model)
    if args.fuse_conv_bn:
        from mmcv.cnn import fuse_conv_bn
        fuse_conv_bn(model)
    model.eval()
    device = next(model.parameters()).device
    layout = clip_layout(cfg.test_dataloader.dataset.get('pipeline', []))
    head = getattr(model, 'cls_head', None)
    head_timer = HeadTimer(head, device) if has_gate(head) else None
    amp_dtype = torch.float16 if device.type == 'cuda' else torch.bfloat16
    autocast = (
        torch.autocast(device.type, dtype=amp_dtype)
        if args.amp else nullcontext())

    if args.model_only:
        batches, source = model_only_batches(runner, cfg, model, args, layout)

        def step(data: Dict[str, Any]) -> Any:
            return model(**data, mode='predict')

        batch_iter = cycle(batches)
    else:
        try:
            loader = runner.build_dataloader(
                dict(cfg.test_dataloader, batch_size=args.batch_size))
        except FileNotFoundError as error:
            raise FileNotFoundError(
                f'{error}; the end-to-end benchmark reads the test data: '
                'fix its path (--cfg-options test_dataloader.dataset....) or '
                'time the model alone on synthetic inputs with --model-only'
            ) from error
        source = 'test dataloader (decoding, pipeline, model)'
        step = runner.model.test_step
        batch_iter = ((data, *videos_and_clips(data, layout))
                      for data in loader)
    reset_peak_memory(device)
    with torch.no_grad(), autocast:
        times = timed_batches(batch_iter, step, args.num_iters, args.warmup,
                              device, head_timer, args.log_interval)
    if head_timer:
        head_timer.remove()
    if not times:
        raise RuntimeError(
            f'the test data ended within the {args.warmup} warm-up batches: '
            'lower --warmup')
    memory_mib, memory_kind = peak_memory(device)
    result = dict(
        config=args.config,
        weights=args.checkpoint or 'random (no checkpoint)',
        mode='model only' if args.model_only else 'end to end',
        inputs=source,
        device=str(device),
        amp=str(amp_dtype).split('.')[-1] if args.amp else None,
        batch_size=args.batch_size,
        warmup=args.warmup,
        requested_iters=args.num_iters,
        **summarize(times),
        peak_memory_mib=memory_mib,
        peak_memory_kind=memory_kind,
        head=type(head).__name__ if head is not None else None)
    ranks = all_gather_object(result)
    if len(ranks) > 1:
        result['ranks'] = ranks
        result['all_ranks_videos_per_s'] = sum(rank['videos_per_s']
                                               for rank in ranks)
        result['all_ranks_clips_per_s'] = sum(rank['clips_per_s']
                                              for rank in ranks)
    result['out'] = args.out or str(Path(runner.log_dir) / 'benchmark.json')
    return result


def report(result: Dict[str, Any]) -> str:
    """The figures as printed lines."""
    lines = [
        f'Config: {result["config"]}',
        f'Weights: {result["weights"]}',
        f'Mode: {result["mode"]}; inputs: {result["inputs"]}',
        f'Device: {result["device"]}, batch size {result["batch_size"]}, '
        f'amp {result["amp"] or "off"}, {result["warmup"]} warm-up + '
        f'{result["timed_batches"]} timed batches',
        f'Overall: {result["videos_per_s"]:.4g} videos / s, '
        f'{result["clips_per_s"]:.4g} clips / s',
        f'Batch: median {result["batch_ms"]["median"]:.1f} ms, '
        f'p90 {result["batch_ms"]["p90"]:.1f} ms',
    ]
    if result['mode'] == 'end to end':
        lines.append(f'  waiting for data: median '
                     f'{result["data_ms"]["median"]:.1f} ms, p90 '
                     f'{result["data_ms"]["p90"]:.1f} ms; model (test_step)'
                     f': median {result["model_ms"]["median"]:.1f} ms, p90 '
                     f'{result["model_ms"]["p90"]:.1f} ms')
    if 'head_ms' in result:
        lines.append(f'Gate head {result["head"]} alone: median '
                     f'{result["head_ms"]["median"]:.3f} ms, p90 '
                     f'{result["head_ms"]["p90"]:.3f} ms per batch')
    lines.append(f'Peak memory: {result["peak_memory_mib"]:.1f} MiB '
                 f'({result["peak_memory_kind"]})')
    if 'ranks' in result:
        lines.append(f'All {len(result["ranks"])} ranks (the lines above '
                     'are rank 0\'s): '
                     f'{result["all_ranks_videos_per_s"]:.4g} videos / s, '
                     f'{result["all_ranks_clips_per_s"]:.4g} clips / s')
    if result['timed_batches'] < result['requested_iters']:
        lines.append(f'Note: the test data ended after '
                     f'{result["timed_batches"]} of the '
                     f'{result["requested_iters"]} timed batches asked for')
    lines.append(f'Figures written to {result["out"]}')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Run the benchmark, print and write the figures (rank 0)."""
    args = parse_args(argv)
    result = benchmark(args)
    if get_dist_info()[0] == 0:
        out = Path(result['out'])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + '\n')
        print(report(result), flush=True)
    return result


if __name__ == '__main__':
    main()
