"""Memory and step time of the paper's recipe: batch size x precision x
activation checkpointing, and the largest batch that fits a GPU.

Each combination runs in its own subprocess (so peak memory is its own):
``MoMERecognizer`` of ``configs/mome_htl_driveact.py`` (3 x
UniFormerV2-B16 with HTL, no weights loaded; ``--size tiny`` for the
synthetic tiny config), AdamW, ``--steps`` training steps on one random
batch after one warm-up step, fp32 or mixed precision (float16 with a loss
scaler on CUDA, bfloat16 autocast on CPU) and ``with_cp`` off or on.
Printed per combination: the fastest and median step, clips/s (batch /
fastest step), peak memory (CUDA
max allocated, or the process's peak RSS on CPU, which also counts the
interpreter and libraries) and the bytes autograd keeps for backward
outside the parameters (activations, deterministic).

Then, per precision and checkpointing, the largest batch per GPU of 24 /
48 / 80 GiB: ``(GPU - 1 GiB CUDA context - fixed) / per-sample``, where
fixed is 16 bytes per parameter (fp32 weights, gradients, AdamW's two
moments; mixed precision adds a 2-byte cast copy) and per-sample is the
slope of CUDA peak memory between the two largest batches on a GPU, or on
CPU the saved activations per sample (RSS is too coarse for a slope).

Examples::

    python benchmarks/memory_recipe.py                      # CPU: batch 1, 2
    python benchmarks/memory_recipe.py --batch-sizes 1 2 4 8 --steps 10  # GPU
"""
import argparse
import itertools
import json
import math
import resource
import statistics
import subprocess
import sys
import time
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from pathlib import Path
from timing import synchronize
from typing import Dict, List

import mome_mmaction  # noqa: F401  (registers our models, fixes the stack)

REPO_ROOT = Path(__file__).resolve().parents[1]
SIZES = dict(
    full='configs/mome_htl_driveact.py',
    tiny='configs/synthetic/mome_htl_synthetic.py')
GPU_GIB = (24, 48, 80)
CUDA_CONTEXT_GIB = 1


def measure(size: str, batch_size: int, precision: str, with_cp: bool,
            steps: int, device: torch.device) -> dict:
    """Warm-up and timed steps of one combination, in this process."""
    torch.manual_seed(0)
    cfg = Config.fromfile(REPO_ROOT / SIZES[size])
    cfg.model.with_cp = with_cp
    model = MODELS.build(cfg.model).to(device).train()
    backbone = cfg.model.backbone
    clip_shape = (3, backbone.t_size, backbone.input_resolution,
                  backbone.input_resolution)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=1e-5, weight_decay=0.05)
    amp_dtype = None
    if precision == 'amp':
        amp_dtype = torch.float16 if device.type == 'cuda' else torch.bfloat16
    scaler = torch.amp.GradScaler(
        device.type, enabled=amp_dtype == torch.float16)
    generator = torch.Generator().manual_seed(0)
    inputs = {
        modality:
        torch.randn(batch_size, 1, *clip_shape, generator=generator).to(device)
        for modality in model.modalities
    }
    data_samples = [
        ActionDataSample().set_gt_label(index % model.cls_head.num_classes)
        for index in range(batch_size)
    ]
    parameter_storages = {
        param.untyped_storage().data_ptr()
        for param in model.parameters()
    }
    activations: Dict[int, int] = {}

    def record(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in parameter_storages:
            activations[storage.data_ptr()] = storage.nbytes()
        return tensor

    def step(count: bool = False) -> None:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=amp_dtype,
                            enabled=amp_dtype is not None), \
                torch.autograd.graph.saved_tensors_hooks(
                    record if count else (lambda t: t), lambda t: t):
            losses = model(inputs, data_samples, mode='loss')
        loss = sum(value for key, value in losses.items() if 'loss' in key)
        if not math.isfinite(float(loss)):
            raise RuntimeError(f'non-finite loss {float(loss)}')
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    step(count=True)
    times: List[float] = []
    for _ in range(steps):
        synchronize(device)
        start = time.perf_counter()
        step()
        synchronize(device)
        times.append(time.perf_counter() - start)
    if device.type == 'cuda':
        peak = torch.cuda.max_memory_allocated()
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return dict(
        batch_size=batch_size,
        precision=precision,
        with_cp=with_cp,
        step_min_s=min(times),
        step_median_s=statistics.median(times),
        peak_bytes=peak,
        activation_bytes=sum(activations.values()),
        parameters=sum(param.numel() for param in model.parameters()))


def run_child(args: argparse.Namespace, batch_size: int, precision: str,
              with_cp: bool) -> dict:
    command = [
        sys.executable, __file__, '--child', '--size', args.size,
        '--batch-sizes',
        str(batch_size), '--precisions', precision, '--cp',
        'on' if with_cp else 'off', '--steps',
        str(args.steps), '--device', args.device
    ]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        tail = completed.stderr.strip().splitlines()[-1:] or ['?']
        return dict(
            batch_size=batch_size,
            precision=precision,
            with_cp=with_cp,
            error=tail[0])
    return json.loads(completed.stdout.strip().splitlines()[-1])


def per_sample_bytes(rows: List[dict], on_gpu: bool) -> float:
    """Memory per sample of one precision / checkpointing setting."""
    rows = sorted(rows, key=lambda row: row['batch_size'])
    if on_gpu and len(rows) >= 2:
        small, large = rows[-2], rows[-1]
        return (large['peak_bytes'] - small['peak_bytes']) / (
            large['batch_size'] - small['batch_size'])
    return max(row['activation_bytes'] / row['batch_size'] for row in rows)


def print_fits(results: List[dict], on_gpu: bool) -> None:
    """Largest batch per GPU size, per precision and checkpointing."""
    print('\nlargest batch per GPU (fixed: 16 B/parameter, +2 with AMP; '
          f'{CUDA_CONTEXT_GIB} GiB CUDA context; per-sample: '
          f'{"slope of CUDA peak" if on_gpu else "saved activations"})')
    print(f'{"precision":>9} {"cp":>3} {"per sample":>11} {"fixed":>9}' +
          ''.join(f'{f"{gib} GiB":>8}' for gib in GPU_GIB))
    ok = [row for row in results if 'error' not in row]
    for (precision, with_cp), group in itertools.groupby(
            sorted(ok, key=lambda r: (r['precision'], r['with_cp'])),
            key=lambda r: (r['precision'], r['with_cp'])):
        group = list(group)
        per_sample = per_sample_bytes(group, on_gpu)
        fixed = group[0]['parameters'] * (16 +
                                          (2 if precision == 'amp' else 0))
        fits = [
            max(
                0,
                int((gib - CUDA_CONTEXT_GIB) * 2**30 - fixed) //
                int(per_sample)) for gib in GPU_GIB
        ]
        print(f'{precision:>9} {"on" if with_cp else "off":>3} '
              f'{per_sample / 2**30:>7.2f} GiB {fixed / 2**30:>5.2f} GiB' +
              ''.join(f'{fit:>8}' for fit in fits))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', choices=sorted(SIZES), default='full')
    parser.add_argument(
        '--batch-sizes',
        type=int,
        nargs='+',
        default=None,
        help='default: 1 2 on CPU, 1 2 4 8 on GPU')
    parser.add_argument(
        '--precisions',
        nargs='+',
        choices=['fp32', 'amp'],
        default=['fp32', 'amp'])
    parser.add_argument(
        '--cp', nargs='+', choices=['off', 'on'], default=['off', 'on'])
    parser.add_argument(
        '--steps', type=int, default=2, help='timed steps after a warm-up')
    parser.add_argument(
        '--device', default=None, help='default: cuda if available, else cpu')
    parser.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.device is None:
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if args.batch_sizes is None:
        args.batch_sizes = [1, 2, 4, 8
                            ] if args.device.startswith('cuda') else [1, 2]
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    device = torch.device(args.device)
    if args.child:
        print(
            json.dumps(
                measure(args.size, args.batch_sizes[0], args.precisions[0],
                        args.cp[0] == 'on', args.steps, device)))
        return
    on_gpu = device.type == 'cuda'
    memory_name = 'CUDA peak' if on_gpu else 'peak RSS'
    print(f'{SIZES[args.size]} on {args.device}, {torch.get_num_threads()} '
          f'threads, {args.steps} timed steps after 1 warm-up; AMP = '
          f'{"float16 + loss scaler" if on_gpu else "bfloat16 autocast"}')
    print(f'{"batch":>5} {"precision":>9} {"cp":>3} {"step min":>9} '
          f'{"median":>8} {"clips/s":>8} {memory_name:>11} '
          f'{"activations":>12}')
    results = []
    for batch_size, precision, cp in itertools.product(args.batch_sizes,
                                                       args.precisions,
                                                       args.cp):
        row = run_child(args, batch_size, precision, cp == 'on')
        results.append(row)
        if 'error' in row:
            print(f'{batch_size:>5} {precision:>9} {cp:>3}  failed: '
                  f'{row["error"]}')
            continue
        print(
            f'{batch_size:>5} {precision:>9} {cp:>3} '
            f'{row["step_min_s"]:>8.2f}s {row["step_median_s"]:>7.2f}s '
            f'{batch_size / row["step_min_s"]:>8.2f} '
            f'{row["peak_bytes"] / 2**30:>7.2f} GiB '
            f'{row["activation_bytes"] / 2**30:>8.2f} GiB',
            flush=True)
    print_fits(results, on_gpu)
    for precision, batch_size in itertools.product(args.precisions,
                                                   args.batch_sizes):
        pair = {
            row['with_cp']: row
            for row in results
            if 'error' not in row and row['precision'] == precision
            and row['batch_size'] == batch_size
        }
        if len(pair) == 2:
            saved = 1 - pair[True]['activation_bytes'] / pair[False][
                'activation_bytes']
            slower = pair[True]['step_min_s'] / pair[False]['step_min_s']
            print(f'checkpointing, {precision}, batch {batch_size}: '
                  f'{100 * saved:.1f}% fewer saved activations, step '
                  f'x{slower:.3f}')


if __name__ == '__main__':
    main()
