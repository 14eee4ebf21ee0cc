"""Linear-probe accuracy of a frozen tiny expert on each synthetic camera.

How much of the synthetic Drive&Act task a pretrained expert already sees,
before any fine-tuning: the measure Peng et al. (OGM-GE, CVPR 2022) use for
how well a multimodal model's encoders are trained. For each backbone
checkpoint given (``none``: the expert at initialization) and each camera,
the frozen expert of ``configs/synthetic/single_<camera>_synthetic.py``
encodes every clip of the split's train, val and test subsets with the test
pipeline (centre crop, no augmentation); a multinomial logistic regression
on the standardized class tokens (full-batch L-BFGS) is fit on the train
clips, its L2 weight chosen by validation Top-1 from a small grid, and
scored on the test clips: Top-1 and Mean-1 (mean per-class accuracy, as
MMAction2's ``mean_class_accuracy``; ``top1_and_mean1``). A stronger
expert for the fusion recipes is one whose probes are higher on every
camera.

Example (about 1 min per checkpoint, camera and split on 2 cores)::

    python benchmarks/linear_probe.py --checkpoints none \\
        checkpoints/uniformerv2_tiny_motion_pretrain.pth --splits 0
"""
import argparse
import numpy as np
import tempfile
import torch
from fusion_accuracy import (DATA_ROOT, MODALITIES, config_file,
                             ensure_synthetic_data)
from mmengine.config import Config
from mmengine.runner import Runner
from pathlib import Path
from torch import nn
from typing import Dict, List, Optional, Tuple

import mome_mmaction  # noqa: F401  (registers our models, fixes the stack)
from mome_mmaction.evaluation import to_markdown, top1_and_mean1

SUBSETS = ('train', 'val', 'test')
#: L2 weights of the probe tried; validation Top-1 picks one.
WEIGHT_DECAYS = (1e-4, 1e-3, 1e-2, 1e-1)


def expert_config(camera: str, checkpoint: Optional[str], split: int,
                  data_root: Path, work_dir: str) -> Config:
    """The single-camera config with its backbone loaded from
    ``checkpoint`` (``None``: no ``Pretrained`` init) and every subset read
    with the test pipeline."""
    cfg = Config.fromfile(str(config_file(f'single_{camera}_synthetic')))
    init_cfg = [
        init for init in cfg.model.backbone.init_cfg
        if init.type != 'Pretrained'
    ]
    if checkpoint is not None:
        init_cfg.append(
            dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.'))
    cfg.model.backbone.init_cfg = init_cfg
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    for subset in SUBSETS:
        loader = cfg[f'{subset}_dataloader']
        loader.dataset.update(
            data_root=str(data_root),
            split=split,
            subset=subset,
            pipeline=cfg.test_pipeline,
            test_mode=True)
        loader.sampler = dict(type='DefaultSampler', shuffle=False)
        loader.batch_size = 16
    return cfg


@torch.no_grad()
def encode(cfg: Config) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
    """Class tokens (num_clips, C) and labels (num_clips, ) of each subset
    through the frozen expert."""
    runner = Runner.from_cfg(cfg)
    model = runner.model
    model.init_weights()
    model.eval()
    encoded = {}
    for subset in SUBSETS:
        loader = Runner.build_dataloader(cfg[f'{subset}_dataloader'])
        features, labels = [], []
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            features.append(
                model.extract_feat(data['inputs'], stage='backbone')[0])
            labels.extend(
                int(sample.gt_label) for sample in batch['data_samples'])
        encoded[subset] = (torch.cat(features), torch.tensor(labels))
    return encoded


def fit_probe(features: torch.Tensor, labels: torch.Tensor, num_classes: int,
              weight_decay: float) -> nn.Linear:
    """Multinomial logistic regression, cross-entropy + ``weight_decay`` *
    ||W||^2 / 2, fit by full-batch L-BFGS on (num_clips, C) features."""
    torch.manual_seed(0)
    probe = nn.Linear(features.shape[1], num_classes)
    optimizer = torch.optim.LBFGS(
        probe.parameters(), max_iter=500, line_search_fn='strong_wolfe')

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(
            probe(features),
            labels) + weight_decay / 2 * probe.weight.square().sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return probe


def probe_accuracy(encoded: Dict[str, Tuple[torch.Tensor, torch.Tensor]],
                   num_classes: int) -> Tuple[float, float, float]:
    """Test Top-1 and Mean-1 (%) of the probe whose L2 weight validation
    Top-1 picks, and that weight."""
    train_features, train_labels = encoded['train']
    mean = train_features.mean(0)
    std = train_features.std(0).clamp_min(1e-6)

    @torch.no_grad()
    def accuracy(probe: nn.Linear, subset: str) -> Tuple[float, float]:
        features, labels = encoded[subset]
        predicted = probe((features - mean) / std).argmax(1)
        return top1_and_mean1(labels.numpy(), predicted.numpy())

    best = None
    for weight_decay in WEIGHT_DECAYS:
        probe = fit_probe((train_features - mean) / std, train_labels,
                          num_classes, weight_decay)
        val_top1 = accuracy(probe, 'val')[0]
        if best is None or val_top1 > best[0]:
            best = (val_top1, weight_decay, probe)
    _, weight_decay, probe = best
    top1, mean1 = accuracy(probe, 'test')
    return 100 * top1, 100 * mean1, weight_decay


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--checkpoints',
        nargs='+',
        required=True,
        help="backbone weight files ('backbone.*' keys); 'none': the "
        'expert at initialization')
    parser.add_argument('--splits', type=int, nargs='+', default=[0])
    parser.add_argument(
        '--cameras', nargs='+', default=list(MODALITIES), choices=MODALITIES)
    parser.add_argument('--data-root', type=Path, default=DATA_ROOT)
    args = parser.parse_args()
    for checkpoint in args.checkpoints:
        if checkpoint != 'none' and not Path(checkpoint).is_file():
            parser.error(f'--checkpoints: no file {checkpoint}')
    ensure_synthetic_data(args.data_root)

    rows: List[List[str]] = [[
        'checkpoint', 'camera', 'Top-1 per split', 'Top-1', 'Mean-1',
        'L2 weight per split'
    ]]
    with tempfile.TemporaryDirectory() as work_dir:
        for checkpoint in args.checkpoints:
            for camera in args.cameras:
                results = []
                for split in args.splits:
                    cfg = expert_config(
                        camera, None if checkpoint == 'none' else checkpoint,
                        split, args.data_root, work_dir)
                    results.append(
                        probe_accuracy(
                            encode(cfg), cfg.model.cls_head.num_classes))
                    print(
                        f'[probe] {checkpoint} {camera} split {split}: '
                        f'Top-1 {results[-1][0]:.2f} Mean-1 '
                        f'{results[-1][1]:.2f}',
                        flush=True)
                top1, mean1, weight_decay = zip(*results)
                rows.append([
                    checkpoint, camera, ' / '.join(f'{v:.2f}' for v in top1),
                    f'{np.mean(top1):.2f}', f'{np.mean(mean1):.2f}',
                    ' / '.join(f'{v:g}' for v in weight_decay)
                ])
    print(to_markdown(rows))


if __name__ == '__main__':
    main()
