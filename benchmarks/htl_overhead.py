"""Step-time and peak-memory overhead of Holistic Token Learning (HTL).

One training step (forward, backward, AdamW step) of a MoME-like model with
and without HTL, on the same model and batch, each variant in a fresh
subprocess so that peak memory is its own. Prints absolute figures and the
HTL / MoME ratios for the tiny and/or the full-size model.

Memory: CUDA peak allocated on a GPU; on CPU the process's peak resident set
size (``ru_maxrss``, which also counts the interpreter, the weights and the
optimizer state) and its growth during the timed steps. Both devices also
report the bytes of the distinct storages autograd keeps for backward in the
first step (weights included), a deterministic activation-memory figure that
CPU allocator noise does not blur. CPU step times on a shared machine are
noisy: the ratio uses the fastest timed step (the least disturbed); the
median and every step time are printed too.

The model is ``MoMERecognizer`` built from
``configs/synthetic/mome_htl_synthetic.py`` (tiny: 3 UniFormerV2 experts of
width 64, 2 blocks) or ``configs/mome_htl_driveact.py`` (full: 3 x
UniFormerV2-B16, 12 blocks, 8 x 224 x 224; no weights are loaded), with its
``htl_loss`` removed for the ``mome`` variant.

Examples::

    python benchmarks/htl_overhead.py --size tiny
    python benchmarks/htl_overhead.py --size full --batch-size 1   # CPU
    python benchmarks/htl_overhead.py --size both --amp fp16       # GPU
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from typing import Dict, Tuple

import mome_mmaction  # noqa: F401  (registers our models, fixes the stack)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: The model configs measured; the variants differ only in ``htl_loss``.
SIZES = dict(
    tiny=dict(config='configs/synthetic/mome_htl_synthetic.py'),
    full=dict(config='configs/mome_htl_driveact.py'))


def build_model(size: str, htl: bool) -> Tuple[nn.Module, Tuple[int, ...]]:
    """``MoMERecognizer`` of the size's config, with or without its HTL.

    Returns the model and its input shape (C, T, H, W) per modality.
    """
    cfg = Config.fromfile(os.path.join(REPO_ROOT, SIZES[size]['config']))
    if not htl:
        cfg.model.htl_loss = None
    backbone = cfg.model.backbone
    return MODELS.build(cfg.model), (3, backbone.t_size,
                                     backbone.input_resolution,
                                     backbone.input_resolution)


def current_rss_mib() -> float:
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def measure_variant(args: argparse.Namespace) -> dict:
    """Run warm-up and timed steps of one variant in this process."""
    torch.manual_seed(0)
    device = torch.device(args.device)
    variant = args.variant
    model, clip_shape = build_model(args.size, variant != 'mome')
    model = model.to(device)
    model.train()
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=1e-5, weight_decay=0.05)
    use_amp = args.amp != 'none'
    amp_dtype = dict(fp16=torch.float16, bf16=torch.bfloat16).get(args.amp)
    scaler = torch.amp.GradScaler(device.type, enabled=args.amp == 'fp16')
    generator = torch.Generator().manual_seed(0)
    # Normalized clips (B, num_clips=1, C, T, H, W) per modality, as the
    # data preprocessor hands them over.
    inputs = {
        modality:
        torch.randn(args.batch_size, 1, *clip_shape,
                    generator=generator).to(device)
        for modality in model.modalities
    }
    num_classes = model.cls_head.num_classes
    data_samples = [
        ActionDataSample().set_gt_label(int(label)) for label in torch.randint(
            0, num_classes, (args.batch_size, ), generator=generator)
    ]

    saved_storages: Dict[int, int] = {}

    def record_saved(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        saved_storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    def step(count_saved: bool = False) -> Dict[str, float]:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=amp_dtype, enabled=use_amp), \
                torch.autograd.graph.saved_tensors_hooks(
                    record_saved if count_saved else (lambda t: t),
                    lambda t: t):
            losses = model(inputs, data_samples, mode='loss')
        loss = sum(value for key, value in losses.items() if 'loss' in key)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        return {key: float(value) for key, value in losses.items()}

    def synchronize():
        if device.type == 'cuda':
            torch.cuda.synchronize()

    # Same model and batch in every variant. Also counts the distinct
    # storages autograd keeps for backward (weights included): a
    # device-independent activation-memory figure.
    first_step_losses = step(count_saved=True)
    saved_for_backward_mib = sum(saved_storages.values()) / 2**20
    for _ in range(args.warmup - 1):
        step()
    synchronize()
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats()
        memory_before = torch.cuda.memory_allocated() / 2**20
    else:
        memory_before = current_rss_mib()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        synchronize()
        times.append(time.perf_counter() - start)
    if device.type == 'cuda':
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(
        variant=variant,
        step_time_s=min(times),
        median_step_time_s=statistics.median(times),
        step_times_s=times,
        peak_mib=peak,
        step_growth_mib=peak - memory_before,
        saved_for_backward_mib=saved_for_backward_mib,
        first_step_losses=first_step_losses)


def run_child(args: argparse.Namespace, size: str, variant: str) -> dict:
    command = [
        sys.executable,
        os.path.abspath(__file__), '--child', '--size', size, '--variant',
        variant, '--batch-size',
        str(args.batch_size[size]), '--steps',
        str(args.steps or (20 if size == 'tiny' else 3)), '--warmup',
        str(args.warmup), '--device', args.device, '--amp', args.amp
    ]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f'{size}/{variant} failed:\n{completed.stderr}')
    return json.loads(completed.stdout.strip().splitlines()[-1])


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--size', choices=['tiny', 'full', 'both'], default='tiny')
    parser.add_argument(
        '--batch-size',
        type=int,
        default=None,
        help='default: 2 tiny; full 8 on GPU, 1 on CPU')
    parser.add_argument(
        '--steps',
        type=int,
        default=None,
        help='timed steps; the fastest is compared, the median shown '
        '(default: 20 tiny, 3 full)')
    parser.add_argument(
        '--warmup',
        type=int,
        default=1,
        help='untimed steps first (at least 1)')
    parser.add_argument(
        '--device', default=None, help='default: cuda if available, else cpu')
    parser.add_argument(
        '--amp',
        choices=['none', 'fp16', 'bf16'],
        default=None,
        help='default: fp16 on GPU, none on CPU')
    parser.add_argument(
        '--variants',
        default='mome,htl',
        help='comma list of mome (no HTL) and htl')
    parser.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--variant', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.warmup = max(args.warmup, 1)
    if args.device is None:
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if args.amp is None:
        args.amp = 'fp16' if args.device.startswith('cuda') else 'none'
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(measure_variant(args)))
        return
    sizes = ['tiny', 'full'] if args.size == 'both' else [args.size]
    on_gpu = args.device.startswith('cuda')
    args.batch_size = {
        size: args.batch_size or (2 if size == 'tiny' else
                                  (8 if on_gpu else 1))
        for size in sizes
    }
    memory_name = 'CUDA peak allocated' if on_gpu else 'peak RSS'
    variants = args.variants.split(',')
    print(f'device={args.device} amp={args.amp} '
          f'threads={torch.get_num_threads()} warmup={args.warmup}')
    for size in sizes:
        print(f'\n[{size}] MoMERecognizer of {SIZES[size]["config"]}, '
              f'batch {args.batch_size[size]}, '
              f'{args.steps or (20 if size == "tiny" else 3)} timed steps')
        results = {
            variant: run_child(args, size, variant)
            for variant in variants
        }
        base = results.get('mome')
        for variant, result in results.items():
            line = (f'  {variant:12s} step {result["step_time_s"]:8.3f} s '
                    f'(median {result["median_step_time_s"]:.3f} s)  '
                    f'{memory_name} {result["peak_mib"]:9.1f} MiB  '
                    f'step growth {result["step_growth_mib"]:8.1f} MiB  '
                    f'saved for backward '
                    f'{result["saved_for_backward_mib"]:8.1f} MiB')
            if base is not None and variant != 'mome':
                time_ratio = result['step_time_s'] / base['step_time_s']
                memory_ratio = result['peak_mib'] / base['peak_mib']
                saved_ratio = (
                    result['saved_for_backward_mib'] /
                    base['saved_for_backward_mib'])
                line += (f'  | time x{time_ratio:.3f}'
                         f'  memory x{memory_ratio:.3f}'
                         f'  saved x{saved_ratio:.3f}')
            print(line)
            print(f'  {"":12s} step times (s) ' +
                  ' '.join(f'{value:.3f}' for value in result['step_times_s']))
            print(f'  {"":12s} first-step losses ' + ', '.join(
                f'{key}={value:.4g}'
                for key, value in result['first_step_losses'].items()))


if __name__ == '__main__':
    main()
