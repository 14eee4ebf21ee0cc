"""Parameter counts and CPU forward cost of MoME-B16 vs one UniFormerV2-B16.

Builds the model of ``configs/_base_/models/mome_uniformerv2_b16.py`` (no
weights loaded) and, from the same config, one UniFormerV2-B16 expert alone;
prints the parameters of each component and the median CPU forward time of
both at the same per-modality input, and their ratio (about N = 3: the gate
adds nothing measurable).

Usage::

    python benchmarks/mome_forward_cost.py [--repeats 5] [--batch-size 1]
"""
import argparse
import statistics
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from timing import interleaved_seconds

import mome_mmaction  # noqa: F401

CONFIG = 'configs/_base_/models/mome_uniformerv2_b16.py'


def count_parameters(module: torch.nn.Module) -> int:
    return sum(param.numel() for param in module.parameters())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch CPU threads (default: torch\'s choice)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    cfg = Config.fromfile(args.config)
    model = MODELS.build(cfg.model).eval()
    single_expert = MODELS.build(cfg.model.backbone).eval()
    backbone_cfg = cfg.model.backbone
    frames, size = backbone_cfg.t_size, backbone_cfg.input_resolution
    modalities = list(cfg.model.modalities)

    print(f'config: {args.config}')
    print('parameters:')
    for name, expert in model.backbone.experts.items():
        print(f'  expert {name:<8} {count_parameters(expert):>13,}')
    head_params = count_parameters(model.cls_head)
    print(f'  gate head      {head_params:>13,} '
          f'({type(model.cls_head).__name__})')
    for name, part in model.cls_head.named_children():
        if count_parameters(part):
            print(f'    {name:<12} {count_parameters(part):>13,}')
    own_params = [
        param for name, param in model.cls_head.named_parameters(recurse=False)
    ]
    if own_params:
        print(f'    {"(own)":<12} {sum(p.numel() for p in own_params):>13,}')
    print(f'  total          {count_parameters(model):>13,}')
    print(f'  single expert  {count_parameters(single_expert):>13,}')

    # MoME input: (B, num_clips=1, 3, T, H, W) per modality.
    inputs = {
        name: torch.randn(args.batch_size, 1, 3, frames, size, size)
        for name in modalities
    }
    clip = inputs[modalities[0]][:, 0]
    head_input = torch.randn(args.batch_size, len(modalities),
                             backbone_cfg.width)
    with torch.no_grad():
        times = interleaved_seconds(
            dict(
                mome=lambda: model(inputs, mode='tensor', stage='head'),
                expert=lambda: single_expert(clip),
                head=lambda: model.cls_head(head_input)), args.repeats)
        mome_times, expert_times, head_times = times.values()
    print(f'CPU forward, batch {args.batch_size} x {frames}x{size}x{size} per '
          f'modality, {torch.get_num_threads()} threads, {args.repeats} '
          'interleaved repeats:')
    print(f'  {"":<26}{"median":>10}{"min":>10}')
    for label, times, unit in [
        (f'MoME ({len(modalities)} experts + gate)', mome_times, 1),
        ('one UniFormerV2-B16', expert_times, 1),
        ('gate head alone (ms)', head_times, 1e3),
    ]:
        print(f'  {label:<26}{statistics.median(times) * unit:10.3f}'
              f'{min(times) * unit:10.3f}')
    median_ratio = statistics.median(mome_times) / statistics.median(
        expert_times)
    print(f'  {"ratio MoME / one expert":<26}'
          f'{median_ratio:10.2f}'
          f'{min(mome_times) / min(expert_times):10.2f}'
          f'   (expected ~{len(modalities)})')


if __name__ == '__main__':
    main()
