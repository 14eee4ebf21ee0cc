"""Step-time and memory overhead of Holistic Token Learning (HTL).

Training steps (forward, backward, AdamW step) of one ``MoMERecognizer`` on
one batch, with its HTL loss (``htl``) and without (``mome``: the same
model and weights with ``htl_loss`` set to None), timed in turns
(mome htl mome htl ...) in one process, so that the machine's drifting
speed affects both alike. Rounds go on until the mean of the per-round
ratios (htl / mome of the same round) is known to ``--tolerance`` (1%,
standard error), or ``--budget`` seconds pass; the output says which. Min
and median per variant, the ratio of mins and the mean paired ratio are
printed.

Memory: the bytes of the distinct storages autograd keeps for backward in
one step (weights included), per variant: a deterministic activation-memory
figure that allocator noise does not blur. On a GPU also each variant's
CUDA peak allocated (over its own steps); on CPU the process's peak
resident set size (both variants share the process).

The model is ``MoMERecognizer`` built from
``configs/synthetic/mome_htl_synthetic.py`` (tiny: 3 pretrained-size tiny
UniFormerV2 experts, no weights loaded) or ``configs/mome_htl_driveact.py``
(full: 3 x UniFormerV2-B16, 12 blocks, 8 x 224 x 224; no weights loaded).
``--with-cp`` checkpoints the expert blocks (``with_cp=True``).

Examples::

    python benchmarks/htl_overhead.py --size tiny
    python benchmarks/htl_overhead.py --size full --batch-size 1   # CPU
    python benchmarks/htl_overhead.py --size both --amp fp16       # GPU
"""
import argparse
import resource
import statistics
import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from pathlib import Path
from timing import describe_stop, interleaved_until_stable
from typing import Callable, Dict, Tuple

import mome_mmaction  # noqa: F401  (registers our models, fixes the stack)

REPO_ROOT = Path(__file__).resolve().parents[1]

#: The model config measured per size.
SIZES = dict(
    tiny='configs/synthetic/mome_htl_synthetic.py',
    full='configs/mome_htl_driveact.py')


def build_model(size: str,
                with_cp: bool = False) -> Tuple[nn.Module, Tuple[int, ...]]:
    """``MoMERecognizer`` of the size's config (with its HTL, no weights).

    Returns the model and its input shape (C, T, H, W) per modality.
    """
    cfg = Config.fromfile(REPO_ROOT / SIZES[size])
    cfg.model.with_cp = with_cp
    backbone = cfg.model.backbone
    return MODELS.build(cfg.model), (3, backbone.t_size,
                                     backbone.input_resolution,
                                     backbone.input_resolution)


class SavedBytes:
    """Counts the distinct storages autograd saves for backward."""

    def __init__(self) -> None:
        self.storages: Dict[int, int] = {}

    def pack(self, tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        self.storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    @property
    def mib(self) -> float:
        return sum(self.storages.values()) / 2**20


def training_step(model: nn.Module, htl_loss: nn.Module, inputs: dict,
                  data_samples: list, optimizer: torch.optim.Optimizer,
                  scaler: torch.amp.GradScaler, amp_dtype,
                  device: torch.device) -> Callable[..., Dict[str, float]]:
    """One step of the model with ``htl_loss`` (None: MoME alone)."""

    def step(saved: SavedBytes = None) -> Dict[str, float]:
        model.htl_loss = htl_loss
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=amp_dtype,
                            enabled=amp_dtype is not None), \
                torch.autograd.graph.saved_tensors_hooks(
                    saved.pack if saved else (lambda t: t), lambda t: t):
            losses = model(inputs, data_samples, mode='loss')
        loss = sum(value for key, value in losses.items() if 'loss' in key)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        return {key: float(value.detach()) for key, value in losses.items()}

    return step


def measure(args: argparse.Namespace, size: str, budget_s: float) -> None:
    """Build, count saved bytes, time interleaved, print one size."""
    torch.manual_seed(0)
    device = torch.device(args.device)
    model, clip_shape = build_model(size, args.with_cp)
    model = model.to(device).train()
    htl_loss = model.htl_loss
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=1e-5, weight_decay=0.05)
    amp_dtype = dict(fp16=torch.float16, bf16=torch.bfloat16).get(args.amp)
    scaler = torch.amp.GradScaler(device.type, enabled=args.amp == 'fp16')
    generator = torch.Generator().manual_seed(0)
    batch_size = args.batch_size[size]
    # Normalized clips (B, num_clips=1, C, T, H, W) per modality, as the
    # data preprocessor hands them over.
    inputs = {
        modality:
        torch.randn(batch_size, 1, *clip_shape, generator=generator).to(device)
        for modality in model.modalities
    }
    data_samples = [
        ActionDataSample().set_gt_label(int(label)) for label in torch.randint(
            0, model.cls_head.num_classes, (batch_size, ), generator=generator)
    ]
    steps = {
        variant:
        training_step(model, loss, inputs, data_samples, optimizer, scaler,
                      amp_dtype, device)
        for variant, loss in (('mome', None), ('htl', htl_loss))
    }
    saved = {variant: SavedBytes() for variant in steps}
    first_losses = {
        variant: step(saved[variant])
        for variant, step in steps.items()
    }
    peaks = {}
    if device.type == 'cuda':
        steps = {
            variant: cuda_peak_recorded(step, peaks, variant)
            for variant, step in steps.items()
        }
    timing = interleaved_until_stable(
        steps,
        baseline='mome',
        tolerance=args.tolerance,
        max_rounds=args.max_rounds,
        budget_s=budget_s,
        device=device)
    print(f'\n[{size}] MoMERecognizer of {SIZES[size]}, batch {batch_size}'
          f'{", checkpointed blocks" if args.with_cp else ""}')
    print('  ' + describe_stop(timing, args.tolerance))
    for variant, times in timing.times.items():
        line = (f'  {variant:5s} step min {min(times):8.3f} s  median '
                f'{statistics.median(times):8.3f} s  saved for backward '
                f'{saved[variant].mib:9.1f} MiB')
        if variant in peaks:
            line += f'  CUDA peak {peaks[variant] / 2**20:9.1f} MiB'
        if variant != 'mome':
            line += (f'  | time x{timing.ratios[variant]:.3f} (ratio of mins)'
                     f'  saved x{saved[variant].mib / saved["mome"].mib:.3f}')
        print(line)
        print('        step times (s) ' + ' '.join(f'{t:.3f}' for t in times))
        print('        first-step losses ' +
              ', '.join(f'{key}={value:.4g}'
                        for key, value in first_losses[variant].items()))
    if device.type != 'cuda':
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f'  peak RSS of the process (both variants): {peak_rss:.1f} MiB')


def cuda_peak_recorded(step: Callable, peaks: Dict[str, int],
                       variant: str) -> Callable:
    """``step``, recording the largest CUDA peak of its calls."""

    def recorded() -> None:
        torch.cuda.reset_peak_memory_stats()
        step()
        peaks[variant] = max(
            peaks.get(variant, 0), torch.cuda.max_memory_allocated())

    return recorded


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
        '--tolerance',
        type=float,
        default=0.01,
        help='stop when the mean paired ratio is known to this '
        '(relative standard error; default 0.01)')
    parser.add_argument(
        '--budget',
        type=float,
        default=None,
        help='seconds of timing per size (default: 120 tiny, 900 full)')
    parser.add_argument(
        '--max-rounds', type=int, default=50, help='round budget')
    parser.add_argument(
        '--with-cp',
        action='store_true',
        help='activation checkpointing of the expert blocks')
    parser.add_argument(
        '--device', default=None, help='default: cuda if available, else cpu')
    parser.add_argument(
        '--amp',
        choices=['none', 'fp16', 'bf16'],
        default=None,
        help='default: fp16 on GPU, none on CPU')
    args = parser.parse_args(argv)
    if args.device is None:
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if args.amp is None:
        args.amp = 'fp16' if args.device.startswith('cuda') else 'none'
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    sizes = ['tiny', 'full'] if args.size == 'both' else [args.size]
    on_gpu = args.device.startswith('cuda')
    args.batch_size = {
        size: args.batch_size or (2 if size == 'tiny' else
                                  (8 if on_gpu else 1))
        for size in sizes
    }
    print(f'device={args.device} amp={args.amp} '
          f'threads={torch.get_num_threads()}')
    for size in sizes:
        measure(args, size, args.budget or (120. if size == 'tiny' else 900.))


if __name__ == '__main__':
    main()
