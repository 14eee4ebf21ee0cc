"""What a trained token voting gate adds over the plain mean of its experts.

Usage: ``python tools/analysis/gate_ablation.py CONFIG CHECKPOINT
[--split test|val|train] [--cfg-options KEY=VALUE ...]``. Runs the model
once over the test (or validation, or training) set, keeps each clip's
expert output tokens (the input of its ``TokenVotingGateHead`` or
``LateFusionHead``) and prints, as a Markdown table, the Top-1 of the
same experts and classifier with the learned gate, with uniform weights,
and with each expert alone
(:func:`mome_mmaction.evaluation.gate_ablation_top1`). A gate that learned
nothing is no better than ``uniform``; late fusion's own prediction is
``uniform``. On synthetic data (a ``synthetic_driveact.json`` in the data
root, which records each chunk's sensing condition) it adds ``working
cameras``: uniform weights over the cameras that do not fail in the clip,
what a gate that knows which camera fails would give. A token-fusion head
is also scored as late fusion combines, its gate's and uniform weights
averaging each expert's probabilities (``learned gate, probabilities``,
``uniform, probabilities``). ``some expert right``: the clips at least one
expert alone gets right. ``--split train`` reads the training set through
the test pipeline (no augmentation): what the gate could learn from the
clips it is trained on.
"""
import argparse
import torch
from mmengine.runner import Runner

import mome_mmaction  # noqa: F401  (stack fixes, registries)
from mome_mmaction.evaluation import (gate_ablation_top1, recorded_conditions,
                                      to_markdown, working_experts)
from mome_mmaction.models.heads import LateFusionHead, TokenVotingGateHead
from mome_mmaction.utils.tool_config import (add_config_arguments,
                                             config_from_args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    parser.add_argument('checkpoint')
    parser.add_argument(
        '--split',
        choices=('test', 'val', 'train'),
        default='test',
        help='train: the training set through the test pipeline')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/gate_ablation',
        help="the runner's log directory")
    args = parser.parse_args()
    cfg = config_from_args(args)
    cfg.work_dir, cfg.load_from, cfg.launcher = args.work_dir, None, 'none'
    if args.split == 'train':
        cfg.test_dataloader.dataset = dict(
            cfg.train_dataloader.dataset,
            pipeline=cfg.test_dataloader.dataset.pipeline,
            test_mode=True)
    runner = Runner.from_cfg(cfg)
    runner.load_checkpoint(args.checkpoint, map_location='cpu')
    model = runner.model.eval()
    head = getattr(model, 'cls_head', None)
    if not isinstance(head, (TokenVotingGateHead, LateFusionHead)):
        raise SystemExit(
            f'{args.config}: gate_ablation needs a TokenVotingGateHead or '
            f'a LateFusionHead, the model has {type(head).__name__}')
    captured = []
    head.register_forward_pre_hook(
        lambda module, inputs: captured.append(inputs[0]))
    loader = runner.val_dataloader if args.split == 'val' \
        else runner.test_dataloader
    outputs, labels, metainfo = [], [], []
    with torch.no_grad():
        for data in loader:
            captured.clear()
            samples = model.test_step(data)
            tokens = captured[0]  # (B*K, N, C), sample-major
            outputs.append(tokens.view(len(samples), -1, *tokens.shape[1:]))
            labels += [int(s.gt_label.reshape(-1)[0]) for s in samples]
            metainfo += [s.metainfo for s in samples]
    dataset = loader.dataset
    conditions = recorded_conditions(metainfo, dataset.data_root)
    working = None if conditions is None else working_experts(
        conditions, [dataset.modalities[m] for m in model.modalities])
    results = gate_ablation_top1(head, torch.cat(outputs),
                                 torch.tensor(labels), model.modalities,
                                 working)
    print(f'{args.config}, {args.checkpoint}, {args.split} split, '
          f'{len(labels)} clips, Top-1 (%):')
    print(
        to_markdown(
            [list(results), [f'{value:.2f}' for value in results.values()]]))


if __name__ == '__main__':
    main()
