"""Sharded training steps of a config's model as its ``FSDPStrategy`` wraps it.

Usage (GPUs only: torch's FSDP refuses to run without an accelerator)::

    torchrun --nproc_per_node=NGPUS benchmarks/fsdp_check.py \
        [--config configs/ablations/mome_htl_l14_driveact.py] \
        [--batch-size 1] [--steps 5] [--amp]

Builds the config's model (no weights loaded), wraps it in mmengine's
``MMFullyShardedDataParallel`` with the config's ``strategy.model_wrapper``
(size-based auto-wrap: one FSDP unit per expert block), runs ``--steps``
training steps (forward with HTL, backward, AdamW) on random clips and
prints, on rank 0: parameters, FSDP units, step time (min / median), clips/s
over all ranks, and the CUDA peak allocated per GPU.
"""
import argparse
import os
import statistics
import time
import torch
import torch.distributed as dist
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.model.wrappers import MMFullyShardedDataParallel
from pathlib import Path

import mome_mmaction  # noqa: F401  (registers our models, fixes the stack)

REPO_ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--config',
        default=str(REPO_ROOT / 'configs/ablations/mome_htl_l14_driveact.py'))
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--amp', action='store_true', help='bfloat16 autocast')
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit('fsdp_check.py needs CUDA GPUs: torch FSDP does not '
                         'run on CPU')
    local_rank = int(os.environ.get('LOCAL_RANK', 0))
    torch.cuda.set_device(local_rank)
    dist.init_process_group('nccl')
    cfg = Config.fromfile(args.config)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    parameters = sum(p.numel() for p in model.parameters())
    wrapper_cfg = dict(cfg.strategy.get('model_wrapper', {}))
    wrapper_cfg.pop('type', None)
    model = MMFullyShardedDataParallel(
        module=model.cuda(), device_id=local_rank, **wrapper_cfg)
    units = sum(
        isinstance(module, MMFullyShardedDataParallel)
        for module in model.modules())
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    backbone = cfg.model.backbone
    shape = (args.batch_size, 1, 3, backbone.t_size, backbone.input_resolution,
             backbone.input_resolution)
    inputs = {
        name: torch.randn(shape, device='cuda')
        for name in cfg.model.modalities
    }
    samples = [
        ActionDataSample().set_gt_label(index % cfg.model.cls_head.num_classes)
        for index in range(args.batch_size)
    ]

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast('cuda', dtype=torch.bfloat16, enabled=args.amp):
            losses = model(inputs, samples, mode='loss')
        loss = sum(v for k, v in losses.items() if k.startswith('loss'))
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    step()  # warm-up
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    times, losses = [], []
    for _ in range(args.steps):
        start = time.perf_counter()
        losses.append(step())
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated() / 2**30
    if dist.get_rank() == 0:
        world = dist.get_world_size()
        print(f'[fsdp_check] {args.config}: {parameters / 1e9:.2f}B '
              f'parameters, {units} FSDP units, {world} GPU(s), batch '
              f'{args.batch_size} per GPU, amp={args.amp}')
        print(f'[fsdp_check] step min {min(times):.3f} s, median '
              f'{statistics.median(times):.3f} s, '
              f'{world * args.batch_size / min(times):.2f} clips/s, CUDA '
              f'peak {peak:.2f} GiB per GPU, losses ' +
              ' '.join(f'{loss:.4f}' for loss in losses))
    dist.destroy_process_group()


if __name__ == '__main__':
    main()
