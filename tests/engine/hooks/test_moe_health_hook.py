"""MoEHealthHook: its figures by hand, silent on a healthy run, a warning
on forced collapses (real mmengine training of a tiny MoME)."""
import json
import math
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from torch.utils.data import Dataset

import mome_mmaction  # noqa: F401
from mome_mmaction.engine.hooks.moe_health_hook import (gate_statistics,
                                                        token_similarities)
from tests.conftest import REPO_ROOT

MODALITIES = ('rgb', 'ir', 'depth')


def test_gate_statistics_by_hand():
    weights = torch.tensor([[1., 0., 0.], [1 / 3, 1 / 3, 1 / 3]])
    stats = gate_statistics(weights)
    torch.testing.assert_close(stats['weight_sum'],
                               torch.tensor([4 / 3, 1 / 3, 1 / 3]))
    # normalized entropy: 0 for one-hot, 1 for uniform
    torch.testing.assert_close(stats['entropy_sum'], torch.tensor(1.))


def test_token_similarities_by_hand():
    # clip 0: experts (1,0), (1,0), (0,1); clip 1: (0,1) for every expert
    tokens = torch.tensor([[[1., 0.], [2., 0.], [0., 3.]],
                           [[0., 1.], [0., 1.], [0., 1.]]])
    same, other = token_similarities(tokens)
    # same clip: clip 0 has 2 of 6 ordered pairs at cos 1, clip 1 all 6
    assert same.item() == pytest.approx(2 / 6 + 1)
    # other clip (cyclic): clip 0 against clip 1's (0, 1) tokens: expert 2
    # against experts 0, 1 -> 2 pairs; clip 1 against clip 0: experts 0, 1
    # against expert 2 (0, 3) -> 2 pairs
    assert other.item() == pytest.approx(2 / 6 + 2 / 6)


class ToyClips(Dataset):
    """Clips of 3 modalities that each show the class in their own way
    (brightness in rgb, darkness in ir, a bright band's height in depth:
    learnable), or random labels (not learnable)."""

    def __init__(self, size: int, learnable: bool, seed: int = 0) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(0, 4, (size, ), generator=generator)
        self.noise = torch.rand(size, 3, 1, 3, 4, 32, 32, generator=generator)
        self.learnable = learnable

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict:
        label = int(self.labels[index])
        clips = self.noise[index] * 40  # (3, 1, 3, 4, 32, 32)
        if self.learnable:
            clips[0] += 60. * label
            clips[1] += 60. * (3 - label)
            clips[2, ..., :8 * (label + 1), :] += 150.
        return dict(
            inputs={
                name: clips[n]
                for n, name in enumerate(MODALITIES)
            },
            data_samples=ActionDataSample().set_gt_label(label))


class FixedGatePrior(Hook):
    """Fix the joint gate's last bias (its per-expert prior) after the
    weights are initialized: a gate forced one-hot."""

    def __init__(self, prior) -> None:
        self.prior = torch.tensor(prior)

    def before_train(self, runner) -> None:
        bias = runner.model.cls_head.gate[-1].bias
        with torch.no_grad():
            bias.copy_(self.prior)
        bias.requires_grad_(False)


def train_tiny_mome(work_dir, learnable=True, beta=None, gate_prior=None):
    """Train a tiny MoME (width 64, 2 blocks, 32x32) for 3 epochs of 12
    steps with the health monitor checking every 4 steps; returns
    health.json and the warnings logged."""
    cfg = Config.fromfile(
        str(REPO_ROOT / 'configs/_base_/models/mome_uniformerv2_tiny.py'))
    runtime = Config.fromfile(
        str(REPO_ROOT / 'configs/_base_/default_runtime.py'))
    model = cfg.model
    model.cls_head.num_classes = 4
    if beta is not None:
        model.htl_loss = dict(type='HTLLoss', num_blocks=2, beta=beta)
    loader = dict(
        batch_size=4,
        num_workers=0,
        collate_fn=dict(type='pseudo_collate'),
        sampler=dict(type='DefaultSampler', shuffle=True))
    hooks = [dict(type='MoEHealthHook', interval=4)]
    if gate_prior is not None:
        hooks.append(FixedGatePrior(gate_prior))
    runner = Runner(
        model=model,
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=ToyClips(48, learnable), **loader),
        val_dataloader=dict(
            dataset=ToyClips(16, learnable, seed=1),
            **{
                **loader, 'sampler':
                dict(type='DefaultSampler', shuffle=False)
            }),
        val_evaluator=dict(type='AccMetric'),
        train_cfg=dict(by_epoch=True, max_epochs=3, val_interval=1),
        val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=4)),
        custom_hooks=hooks,
        default_scope=runtime.default_scope,
        randomness=dict(seed=0))
    warnings = []
    runner.logger.warning = warnings.append
    runner.train()
    return json.loads((work_dir / 'health.json').read_text()), [
        warning for warning in warnings if warning.startswith('MoE health')
    ]


def test_silent_on_a_healthy_run_with_every_figure(tmp_path):
    health, warnings = train_tiny_mome(tmp_path)
    assert warnings == [] and health['warnings'] == []
    assert len(health['validations']) == 3
    last = health['validations'][-1]
    for modality in MODALITIES:
        assert 0 < last[f'gate_{modality}'] < 0.9
        assert 0 <= last[f'expert_top1_{modality}'] <= 1
    assert 0 < last['gate_entropy'] <= 1
    assert last['token_cos_other_clip'] < 0.95
    # every 4 of 36 steps: gate, tokens and each expert's gradient share
    assert [record['iter']
            for record in health['train']] == list(range(4, 37, 4))
    shares = [health['train'][-1][f'grad_share_{m}'] for m in MODALITIES]
    assert sum(shares) == pytest.approx(1.) and min(shares) > 0
    assert math.isfinite(health['train'][-1]['gate_entropy'])


def test_warns_when_the_gate_is_forced_one_hot(tmp_path):
    health, warnings = train_tiny_mome(tmp_path, gate_prior=[0., 30., 0.])
    kinds = [warning['kind'] for warning in health['warnings']]
    assert kinds == ['gate_one_hot']
    assert warnings[0].startswith('MoE health: the gate is one-hot on ir')
    assert 'model.cls_head.expert_loss_weight' in warnings[0]
    # named at the second validation in a row
    assert health['warnings'][0]['epoch'] == 2


def test_warns_when_htl_collapses_the_tokens(tmp_path):
    """beta = 100 on labels that cannot be learned: L_inter's trivial
    minimum (every expert emits one vector) while loss_cls stays at
    chance."""
    health, warnings = train_tiny_mome(tmp_path, learnable=False, beta=100.)
    kinds = {warning['kind'] for warning in health['warnings']}
    assert {'tokens_indistinguishable', 'classifier_stalled'} <= kinds
    assert len(warnings) == len(health['warnings'])
    assert any('model.htl_loss.beta' in warning for warning in warnings)
