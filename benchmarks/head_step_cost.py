"""Training-step cost of the related-work heads vs the token voting gate.

Builds one ``MoMERecognizer`` from ``configs/_base_/models/
mome_uniformerv2_<size>.py`` (no weights loaded) and, on the *same* experts,
swaps in the heads of ``interaction_experts_uniformerv2_<size>.py``,
``rus_guided_moe_uniformerv2_<size>.py`` (the RUS head reads a random RUS
file of the right shape written to a temporary folder),
``asymmetric_moe_uniformerv2_<size>.py`` and
``anchor_semantic_uniformerv2_<size>.py``. For each head it
times full training steps (forward, backward, AdamW step) on the same
batch, interleaving the heads (A B C A B C ...) so load from other
processes spreads over all of them, until every mean per-round ratio to the
token voting gate's step is known to ``--tolerance`` (standard error) or
``--budget`` seconds pass (it says which), and prints min and median step
times, the ratio of mins (target at full size: <= 1.10x), the mean paired
ratios and the head's own parameters.
The InteractionExpertsHead is also timed with ``token_source='frame'``.

On a shared CPU whole steps vary by more than the heads cost, so each head
is also timed alone (forward + backward on tokens of the real shapes,
``--head-repeats`` times, medians) and the step ratio is estimated as
``1 + (head - gate head) / gate step``; both tables are printed.

Usage::

    python benchmarks/head_step_cost.py [--size tiny|b16] [--batch-size 8]
        [--tolerance 0.01] [--budget 300] [--device cpu] [--threads N]

Full size on CPU: ``--size b16 --batch-size 1 --budget 900`` (about 20 s
a step, needs ~10 GB of memory).
"""
import argparse
import copy
import statistics
import tempfile
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from pathlib import Path
from timing import describe_stop, interleaved_seconds, interleaved_until_stable
from typing import Callable, Dict

import mome_mmaction  # noqa: F401  (registers our components)
from mome_mmaction.models.utils import save_temporal_rus

MODEL_DIR = Path(__file__).resolve().parents[1] / 'configs/_base_/models'


def head_configs(size: str, rus_file: str) -> Dict[str, dict]:
    """Head configs by label, the token voting gate first."""
    heads = {
        label:
        Config.fromfile(str(MODEL_DIR /
                            f'{base}_uniformerv2_{size}.py')).model.cls_head
        for label, base in (
            ('TokenVotingGateHead', 'mome'),
            ('InteractionExpertsHead (class)', 'interaction_experts'),
            ('RUSGuidedMoEHead', 'rus_guided_moe'),
            ('AsymmetricMoEHead', 'asymmetric_moe'),
            ('AnchorSemanticHead', 'anchor_semantic'),
        )
    }
    heads['RUSGuidedMoEHead'].rus_file = rus_file
    frame_head = copy.deepcopy(heads['InteractionExpertsHead (class)'])
    frame_head.token_source = 'frame'
    heads['InteractionExpertsHead (frame)'] = frame_head
    return {label: cfg.to_dict() for label, cfg in heads.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', choices=['tiny', 'b16'], default='tiny')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument(
        '--tolerance',
        type=float,
        default=0.01,
        help='stop the whole-step timing when every mean paired ratio is '
        'known to this (relative standard error; default 0.01)')
    parser.add_argument(
        '--budget',
        type=float,
        default=300.,
        help='seconds of whole-step timing at most (default 300)')
    parser.add_argument(
        '--max-rounds', type=int, default=30, help='whole-step round budget')
    parser.add_argument('--head-repeats', type=int, default=50)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    init_default_scope('mmaction')
    device = torch.device(args.device)
    torch.manual_seed(0)

    mome_cfg = Config.fromfile(
        str(MODEL_DIR / f'mome_uniformerv2_{args.size}.py')).model
    modalities = list(mome_cfg.modalities)
    frames = mome_cfg.backbone.t_size
    size = mome_cfg.backbone.input_resolution
    with tempfile.TemporaryDirectory() as folder:
        rus_file = save_temporal_rus(
            Path(folder) / 'rus.npz',
            dict(
                U=torch.rand(len(modalities), frames),
                R=torch.rand(len(modalities), len(modalities), frames),
                S=torch.rand(len(modalities), len(modalities), frames)),
            modalities)
        heads = {
            label: MODELS.build(cfg)
            for label, cfg in head_configs(args.size, str(rus_file)).items()
        }
    model = MODELS.build(mome_cfg).to(device).train()
    heads = {label: head.to(device).train() for label, head in heads.items()}
    parameters = list(model.backbone.parameters()) + [
        param for head in heads.values() for param in head.parameters()
    ]
    optim_wrapper = OptimWrapper(torch.optim.AdamW(parameters, lr=1e-6))
    num_classes = mome_cfg.cls_head.num_classes
    generator = torch.Generator().manual_seed(0)
    batch = dict(
        inputs={
            name: [
                torch.randint(
                    0, 256, (1, 3, frames, size, size),
                    generator=generator).float().to(device)
                for _ in range(args.batch_size)
            ]
            for name in modalities
        },
        data_samples=[
            ActionDataSample().set_gt_label(index % num_classes)
            for index in range(args.batch_size)
        ])

    def train_step_with(head: torch.nn.Module) -> Callable[[], None]:

        def step() -> None:
            model.cls_head = head
            model.train_step(copy.copy(batch), optim_wrapper)

        return step

    timing = interleaved_until_stable(
        {
            label: train_step_with(head)
            for label, head in heads.items()
        },
        baseline='TokenVotingGateHead',
        tolerance=args.tolerance,
        max_rounds=args.max_rounds,
        budget_s=args.budget,
        device=device)
    times = timing.times
    gate_median = statistics.median(times['TokenVotingGateHead'])
    print(f'model: {args.size} ({len(modalities)} UniFormerV2 experts, '
          f'{sum(p.numel() for p in model.backbone.parameters()):,} '
          f'parameters), batch {args.batch_size} x {frames}x{size}x{size} '
          f'per modality, {device}, {torch.get_num_threads()} threads')
    print(describe_stop(timing, args.tolerance))
    print(f'{"head":<32}{"params":>12}{"min s":>10}{"median s":>10}'
          f'{"ratio":>8}{"extra s":>10}')
    gate_min = min(times['TokenVotingGateHead'])
    for label, head_times in times.items():
        params = sum(p.numel() for p in heads[label].parameters())
        print(f'{label:<32}{params:>12,}{min(head_times):>10.3f}'
              f'{statistics.median(head_times):>10.3f}'
              f'{timing.ratios[label]:>8.3f}'
              f'{min(head_times) - gate_min:>10.3f}')
    print('ratio: fastest training step / the token voting gate\'s fastest '
          '(target <= 1.10 at full size)')

    # Heads alone: forward + backward into the tokens, real shapes.
    width = mome_cfg.backbone.width
    expert_outputs = torch.randn(
        args.batch_size, len(modalities), width, device=device)
    frame_tokens = torch.randn(
        args.batch_size, len(modalities), frames, width, device=device)
    labels = [
        ActionDataSample().set_gt_label(index % num_classes)
        for index in range(args.batch_size)
    ]

    def head_step(head: torch.nn.Module) -> Callable[[], None]:

        def step() -> None:
            outputs = expert_outputs.clone().requires_grad_()
            tokens = frame_tokens.clone().requires_grad_()
            losses = head.loss(outputs, labels, frame_tokens=tokens)
            sum(value for key, value in losses.items()
                if 'loss' in key).backward()

        return step

    head_times = interleaved_seconds(
        {
            label: head_step(head)
            for label, head in heads.items()
        }, args.head_repeats, device)
    gate_head = statistics.median(head_times['TokenVotingGateHead'])
    print(f'heads alone (forward + backward), {args.head_repeats} '
          'interleaved repeats:')
    print(f'{"head":<32}{"median ms":>10}{"extra ms":>10}'
          f'{"est. step ratio":>16}')
    for label, times_of_head in head_times.items():
        median = statistics.median(times_of_head)
        extra = median - gate_head
        print(f'{label:<32}{median * 1e3:>10.2f}{extra * 1e3:>10.2f}'
              f'{1 + extra / gate_median:>16.4f}')
    print('est. step ratio: 1 + (head - gate head) / median gate step')


if __name__ == '__main__':
    main()
