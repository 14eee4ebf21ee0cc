"""Estimate dataset-level temporal U, R, S for RUSGuidedMoEHead.

Usage::

    python tools/analysis/compute_temporal_rus.py CONFIG CHECKPOINT \\
        [--out FILE.npz] [--lag 0] [--max-samples N] [--steps 100] \\
        [--cfg-options KEY=VALUE ...]

Builds the config's modality experts (only them: the head of CONFIG, e.g.
a ``RUSGuidedMoEHead`` whose RUS file does not exist yet, is not built),
loads the ``backbone.`` weights of CHECKPOINT (e.g. a trained MoME model),
runs the frozen experts over the *training* set with the test pipeline
(deterministic frames and crops), taps each expert's per-frame class
tokens (B, N, T, C) exactly as ``MoMERecognizer`` gives them to the head,
and estimates uniqueness U (N, T), redundancy R and synergy S (N, N, T)
with small learned discriminators per modality / pair and temporal prefix
(see ``mome_mmaction.models.utils.temporal_rus``). Writes an ``.npz``
(plain arrays, no pickle) to ``--out``; default: the config's
``model.cls_head.rus_file`` if it has one, else
``work_dirs/<config name>/temporal_rus.npz``.
"""
import argparse
import copy
import torch
from mmaction.registry import MODELS
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint
from pathlib import Path

import mome_mmaction  # noqa: F401  (stack fixes, registries)
from mome_mmaction.models.utils import (collect_frame_tokens,
                                        estimate_temporal_rus,
                                        save_temporal_rus)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument(
        'checkpoint',
        help='checkpoint whose backbone.* '
        'weights are the experts (e.g. a trained MoME)')
    parser.add_argument('--out', type=Path)
    parser.add_argument('--lag', type=int, default=0)
    parser.add_argument('--max-samples', type=int, default=None)
    parser.add_argument(
        '--steps',
        type=int,
        default=100,
        help='training steps per discriminator')
    parser.add_argument('--hidden-channels', type=int, default=32)
    parser.add_argument('--batch-size', type=int, default=None)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, as in tools/train.py (e.g. '
        'train_dataloader.dataset.data_root=DIR)')
    return parser.parse_args()


def build_experts(cfg: Config, checkpoint: str):
    """The config's ModalityExperts with CHECKPOINT's backbone weights."""
    model_cfg = cfg.model
    if 'modalities' not in model_cfg:
        raise ValueError(f'{cfg.filename}: model has no `modalities`; '
                         'expected a MoMERecognizer config')
    experts = MODELS.build(
        dict(
            type='ModalityExperts',
            backbone=model_cfg.backbone,
            modalities=model_cfg.modalities))
    state = _load_checkpoint(checkpoint, map_location='cpu')
    state = state.get('state_dict', state)
    backbone_state = {
        key[len('backbone.'):]: value
        for key, value in state.items() if key.startswith('backbone.')
    }
    if not backbone_state:
        raise KeyError(f'{checkpoint} has no backbone.* weights; expected a '
                       'checkpoint of a MoMERecognizer')
    experts.load_state_dict(backbone_state, strict=True)
    data_preprocessor = MODELS.build(model_cfg.data_preprocessor)
    return experts.eval(), data_preprocessor.eval()


def train_set_loader(cfg: Config, batch_size=None):
    """The training set, read with the test pipeline, in order."""
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.dataset.pipeline = copy.deepcopy(
        cfg.test_dataloader.dataset.pipeline)
    loader_cfg.dataset.pop('test_mode', None)
    loader_cfg.sampler = dict(type='DefaultSampler', shuffle=False)
    if batch_size:
        loader_cfg.batch_size = batch_size
    return Runner.build_dataloader(loader_cfg)


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    out = args.out or Path(
        cfg.model.cls_head.get('rus_file')
        or Path('work_dirs') / Path(args.config).stem / 'temporal_rus.npz')
    experts, data_preprocessor = build_experts(cfg, args.checkpoint)
    tokens, labels = collect_frame_tokens(
        experts,
        data_preprocessor,
        train_set_loader(cfg, args.batch_size),
        token_tap_path=cfg.model.get('token_tap_path',
                                     'transformer.resblocks'),
        max_samples=args.max_samples)
    rus = estimate_temporal_rus(
        tokens,
        labels,
        num_classes=cfg.model.cls_head.num_classes,
        lag=args.lag,
        hidden_channels=args.hidden_channels,
        steps=args.steps,
        seed=args.seed)
    path = save_temporal_rus(out, rus, experts.modalities)
    torch.set_printoptions(precision=3, sci_mode=False)
    print(f'{len(labels)} training samples, tokens {tuple(tokens.shape)} '
          f'(S, N, T, C); H(Y) = {float(rus["label_entropy"]):.3f} bits')
    for key in ('U', 'R', 'S'):
        print(f'{key} {tuple(rus[key].shape)}:\n{rus[key]}')
    print(f'wrote {path}')


if __name__ == '__main__':
    main()
