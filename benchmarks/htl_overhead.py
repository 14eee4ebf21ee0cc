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

Until ``MoMERecognizer`` exists this measures a clearly named stand-in,
:func:`build_mome_stand_in`: N MMAction2 ``UniFormerV2`` experts, a token
voting gate and a linear classifier, with forward hooks on
``backbone.transformer.resblocks`` producing the token-tap layout of the
recognizer contract. Replace that one function to measure the real model.

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
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

import mome_mmaction  # noqa: F401  (registers HTLLoss, fixes the stack)
from mmaction.registry import MODELS

TINY_BACKBONE = dict(
    type='UniFormerV2',
    input_resolution=32,
    patch_size=16,
    width=64,
    layers=2,
    heads=2,
    t_size=4,
    dw_reduction=1.5,
    backbone_drop_path_rate=0.,
    temporal_downsample=False,
    no_lmhra=True,
    double_lmhra=True,
    return_list=[0, 1],
    n_layers=2,
    n_dim=64,
    n_head=2,
    mlp_factor=4.,
    drop_path_rate=0.,
    mlp_dropout=[0.5, 0.5],
    clip_pretrained=False)
# UniFormerV2-B/16 as in MMAction2's k710-pretrained u8 configs.
FULL_BACKBONE = dict(
    type='UniFormerV2',
    input_resolution=224,
    patch_size=16,
    width=768,
    layers=12,
    heads=12,
    t_size=8,
    dw_reduction=1.5,
    backbone_drop_path_rate=0.,
    temporal_downsample=False,
    no_lmhra=True,
    double_lmhra=True,
    return_list=[8, 9, 10, 11],
    n_layers=4,
    n_dim=768,
    n_head=12,
    mlp_factor=4.,
    drop_path_rate=0.,
    mlp_dropout=[0.5, 0.5, 0.5, 0.5],
    clip_pretrained=False)
SIZES = dict(
    tiny=dict(backbone=TINY_BACKBONE, frames=4, resolution=32),
    full=dict(backbone=FULL_BACKBONE, frames=8, resolution=224))


class MoMEStandIn(nn.Module):
    """Stand-in for ``MoMERecognizer``: N UniFormerV2 experts + token gate.

    With ``htl_loss`` set, forward hooks on every
    ``backbone.transformer.resblocks[i]`` tap the block tokens
    ``x`` (1 + HW, B*T, C): class token ``x[0]`` viewed (B, T, C) and averaged
    over T -> (B, C); ST tokens ``x[1:]`` -> (B, T*HW, C)
    (``st_token_layout='contiguous'``, the contract layout, a copy per block)
    or the same entries as a strided (B, T, HW, C) view without a copy
    (``'strided'``).
    """

    def __init__(self, backbone_cfg: dict, num_experts: int, num_classes: int,
                 htl_loss: Optional[dict], st_token_layout: str) -> None:
        super().__init__()
        self.experts = nn.ModuleList(
            [MODELS.build(dict(backbone_cfg)) for _ in range(num_experts)])
        channels = backbone_cfg['width']
        self.gate = nn.Linear(channels, 1)
        self.classifier = nn.Sequential(
            nn.Linear(channels, channels), nn.GELU(),
            nn.Linear(channels, num_classes))
        self.htl_loss = MODELS.build(htl_loss) if htl_loss else None
        self.st_token_layout = st_token_layout
        self._tapped: List[List[tuple]] = [[] for _ in range(num_experts)]
        if self.htl_loss is not None:
            for index, expert in enumerate(self.experts):
                for block in expert.transformer.resblocks:
                    block.register_forward_hook(
                        self._make_tap(index, expert.transformer.T))

    def _make_tap(self, expert_index: int, num_frames: int):

        def tap(module, inputs, output):
            tokens = output  # (1 + HW, B*T, C)
            spatial, batch_frames, channels = tokens[1:].shape
            batch = batch_frames // num_frames
            cls_tokens = tokens[0].view(batch, num_frames, channels).mean(1)
            st_tokens = tokens[1:].view(spatial, batch, num_frames,
                                        channels).permute(1, 2, 0, 3)
            if self.st_token_layout == 'contiguous':
                st_tokens = st_tokens.reshape(batch, num_frames * spatial,
                                              channels)
            self._tapped[expert_index].append((cls_tokens, st_tokens))

        return tap

    def forward(self, inputs: torch.Tensor,
                labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """inputs: (B, N, 3, T, H, W); labels: (B,). Returns the losses."""
        for taps in self._tapped:
            taps.clear()
        expert_outputs = torch.stack([
            expert(inputs[:, index])
            for index, expert in enumerate(self.experts)
        ], 1)  # (B, N, C)
        gate_weights = self.gate(expert_outputs).squeeze(-1).softmax(-1)
        fused = (gate_weights.unsqueeze(-1) * expert_outputs).sum(1)
        losses = dict(
            loss_cls=F.cross_entropy(self.classifier(fused).float(), labels))
        if self.htl_loss is not None:
            block_cls = [[cls for cls, _ in taps] for taps in self._tapped]
            block_st = [[st for _, st in taps] for taps in self._tapped]
            losses.update(
                self.htl_loss(
                    block_cls, block_st, expert_outputs, labels=labels))
            for taps in self._tapped:
                taps.clear()
        return losses


def build_mome_stand_in(size: str, num_experts: int, num_classes: int,
                        htl: bool, st_token_layout: str) -> nn.Module:
    """The model under test; swap for ``MoMERecognizer`` once it exists."""
    backbone_cfg = SIZES[size]['backbone']
    htl_loss = dict(
        type='HTLLoss',
        num_blocks=backbone_cfg['layers'],
        alpha=0.01,
        beta=1.0) if htl else None
    return MoMEStandIn(backbone_cfg, num_experts, num_classes, htl_loss,
                       st_token_layout)


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
    model = build_mome_stand_in(
        args.size, args.num_experts, args.num_classes, variant != 'mome',
        'strided' if variant == 'htl_strided' else 'contiguous').to(device)
    model.train()
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=1e-5, weight_decay=0.05)
    use_amp = args.amp != 'none'
    amp_dtype = dict(fp16=torch.float16, bf16=torch.bfloat16).get(args.amp)
    scaler = torch.amp.GradScaler(device.type, enabled=args.amp == 'fp16')
    resolution = SIZES[args.size]['resolution']
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(
        args.batch_size,
        args.num_experts,
        3,
        args.frames,
        resolution,
        resolution,
        generator=generator).to(device)
    labels = torch.randint(
        0, args.num_classes, (args.batch_size, ),
        generator=generator).to(device)

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
            losses = model(inputs, labels)
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
        str(args.batch_size[size]), '--frames',
        str(args.frames[size]), '--steps',
        str(args.steps or (20 if size == 'tiny' else 3)), '--warmup',
        str(args.warmup), '--num-experts',
        str(args.num_experts), '--num-classes',
        str(args.num_classes), '--device', args.device, '--amp', args.amp
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
        '--frames',
        type=int,
        default=None,
        help='default: 4 tiny, 8 full (the t_size)')
    parser.add_argument('--num-experts', type=int, default=3)
    parser.add_argument('--num-classes', type=int, default=34)
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
        help='comma list of mome, htl (contract token '
        'layout), htl_strided (copy-free strided ST tokens)')
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
    args.frames = {
        size: args.frames or SIZES[size]['backbone']['t_size']
        for size in sizes
    }
    memory_name = 'CUDA peak allocated' if on_gpu else 'peak RSS'
    variants = args.variants.split(',')
    print(f'device={args.device} amp={args.amp} experts={args.num_experts} '
          f'threads={torch.get_num_threads()} warmup={args.warmup}')
    for size in sizes:
        backbone = SIZES[size]['backbone']
        print(f'\n[{size}] UniFormerV2 width {backbone["width"]}, '
              f'{backbone["layers"]} blocks, batch {args.batch_size[size]}, '
              f'{args.frames[size]} frames, {SIZES[size]["resolution"]}px, '
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
