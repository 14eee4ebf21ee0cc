"""Cost and input sensitivity of the tiny UniFormerV2 expert.

Prints, for the model of
``configs/pretrain/uniformerv2_tiny_motion_pretrain.py`` (``Recognizer3D``,
UniFormerV2 64x64x8, patch 16, width 128, 4 blocks):

- its parameter count and the fp32 size of its backbone weights;
- one training step (forward, backward, AdamW) at batch 8: the fastest
  (least disturbed on a shared machine) and the median of a few;
- how strongly the backbone output (B, C) depends on the input: over a
  batch of distinct clips of the motion pretraining corpus (one per class,
  rendered in memory as the generator renders them, the middle frames,
  normalized by the model's data preprocessor), the mean over channels of
  the std over clips, divided by the std of all entries: 0 when every clip
  gives the same vector, 1 when the clips vary as much as the channels
  do;
- how strongly it depends on temporal order: the mean distance between a
  clip's output and that of the same clip played backwards, over the mean
  distance between two clips' outputs (0: blind to order, as a mean over
  frames is).

Both are measured at initialization and, with ``--checkpoint``, after
loading that file exactly as the configs load the Kinetics-710 one
(``init_cfg=dict(type='Pretrained', prefix='backbone.')``).

``--config`` measures another recognizer config's model the same way
(e.g. ``configs/synthetic/smoke_recognizer3d_motion_videos.py``, the
width-64 UniFormerV2 at 32x32x4 of the synthetic demo's experts).

Examples::

    python benchmarks/tiny_expert_sensitivity.py
    python benchmarks/tiny_expert_sensitivity.py \\
        --checkpoint checkpoints/uniformerv2_tiny_motion_pretrain.pth
    python benchmarks/tiny_expert_sensitivity.py --cfg-options \\
        model.backbone.width=96 model.backbone.n_dim=96 \\
        model.backbone.heads=3 model.backbone.n_head=3 \\
        model.cls_head.in_channels=96
"""
import argparse
import copy
import logging
import numpy as np
import statistics
import time
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from pathlib import Path
from torch import nn
from typing import List, Optional, Tuple

import mome_mmaction  # noqa: F401  (registers our models, fixes the stack)
from mome_mmaction.datasets.synthetic import (MOTION_PRETRAINING_CLASSES,
                                              render_motion_clip)

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG = 'configs/pretrain/uniformerv2_tiny_motion_pretrain.py'


def corpus_batch(num_clips: int, frames: int, size: int, num_classes: int,
                 seed: int) -> dict:
    """``num_clips`` distinct corpus clips (cycling through the classes) as
    a data-preprocessor input: clips (1, 3, T, H, W), RGB as decoded, and
    labels modulo the model's ``num_classes``."""
    rng = np.random.default_rng(seed)
    inputs, data_samples = [], []
    for index in range(num_clips):
        label = index % len(MOTION_PRETRAINING_CLASSES)
        clip = render_motion_clip(rng, MOTION_PRETRAINING_CLASSES[label], size,
                                  2 * frames)
        clip = clip[frames // 2:frames // 2 + frames, :, :, ::-1]  # BGR->RGB
        inputs.append(torch.from_numpy(clip.copy()).permute(3, 0, 1, 2)[None])
        data_samples.append(ActionDataSample().set_gt_label(label %
                                                            num_classes))
    return dict(inputs=inputs, data_samples=data_samples)


def sensitivities(model: nn.Module, batch: dict) -> Tuple[float, float]:
    """Input and temporal-order sensitivity of the backbone output.

    Returns:
        Tuple[float, float]: The mean over channels of the std over clips
        of the output (B, C), over the std of all its entries; and the mean
        distance between a clip's output and its time-reversed clip's, over
        the mean distance between two clips' outputs (eval mode).
    """
    model.eval()
    with torch.no_grad():
        inputs = model.data_preprocessor(batch)['inputs']  # (B, 1, C, T, H, W)
        features = model.extract_feat(inputs)[0]  # (B, C)
        reversed_features = model.extract_feat(inputs.flip(3))[0]
    model.train()
    between_clips = torch.cdist(features, features)  # (B, B), 0 diagonal
    num_clips = len(features)
    return (float(features.std(0).mean() / features.std()),
            float((features - reversed_features).norm(dim=1).mean() /
                  (between_clips.sum() / (num_clips * (num_clips - 1)))))


def step_times(model: nn.Module, cfg: Config, batch: dict,
               steps: int) -> List[float]:
    """Seconds per training step (after one untimed step)."""
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()
    times = []
    for step in range(steps + 1):
        start = time.perf_counter()
        model.train_step(batch, optim_wrapper)
        if step:
            times.append(time.perf_counter() - start)
    return times


def build(cfg: Config, checkpoint: Optional[str] = None) -> nn.Module:
    """The config's model, initialized (from ``checkpoint`` if given)."""
    model_cfg = copy.deepcopy(cfg.model)
    if checkpoint:
        model_cfg.backbone.init_cfg = dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument(
        '--checkpoint', help='weights of the expert (backbone.* keys)')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--steps', type=int, default=5, help='timed steps')
    parser.add_argument(
        '--clips', type=int, default=72, help='clips for the sensitivity')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    init_default_scope('mmaction')
    # Silence mmengine's per-parameter initialization report.
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    cfg = Config.fromfile(REPO_ROOT / args.config)
    cfg.merge_from_dict(args.cfg_options)
    backbone_cfg = cfg.model.backbone
    frames, size = backbone_cfg.t_size, backbone_cfg.input_resolution
    model = build(cfg)
    backbone_parameters = sum(p.numel() for p in model.backbone.parameters())
    print(f'tiny expert: UniFormerV2 {size}x{size}x{frames}, patch '
          f'{backbone_cfg.patch_size}, width {backbone_cfg.width}, '
          f'{backbone_cfg.layers} blocks, {backbone_cfg.heads} heads: '
          f'{sum(p.numel() for p in model.parameters()) / 1e6:.2f}M '
          f'parameters (backbone {backbone_parameters / 1e6:.2f}M, '
          f'{backbone_parameters * 4 / 2**20:.1f} MiB in fp32); '
          f'{torch.get_num_threads()} torch threads')
    num_classes = cfg.model.cls_head.num_classes
    clips = corpus_batch(args.clips, frames, size, num_classes, seed=1)
    sensitivity = {'initialization': sensitivities(model, clips)}
    if args.checkpoint:
        sensitivity[args.checkpoint] = sensitivities(
            build(cfg, args.checkpoint), clips)
    times = step_times(
        model, cfg,
        corpus_batch(args.batch_size, frames, size, num_classes, seed=2),
        args.steps)
    print(f'training step, batch {args.batch_size} (forward, backward, '
          f'AdamW): fastest {min(times):.2f} s, median '
          f'{statistics.median(times):.2f} s '
          f'({", ".join(f"{t:.2f}" for t in times)})')
    print(f'output sensitivity over {args.clips} corpus clips: input (mean '
          'over channels of std over clips / std of all entries), temporal '
          'order (distance to the time-reversed clip / between clips):')
    for name, (inputs, order) in sensitivity.items():
        print(f'  {name}: input {inputs:.3f}, order {order:.3f}')


if __name__ == '__main__':
    main()
