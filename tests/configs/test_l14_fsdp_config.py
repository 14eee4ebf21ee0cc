"""configs/ablations/mome_htl_l14_driveact.py: 3 x UniFormerV2-L14 with HTL,
FlexibleRunner + FSDPStrategy with size-based auto-wrap."""
import torch
from functools import partial
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import FUNCTIONS, STRATEGIES

import mome_mmaction  # noqa: F401
from tests.conftest import REPO_ROOT, parameters_on_meta

L14_CONFIG = REPO_ROOT / 'configs/ablations/mome_htl_l14_driveact.py'


def build_on_meta(cfg: Config) -> torch.nn.Module:
    """The model without memory or init time (1B parameters)."""
    with parameters_on_meta():
        return MODELS.build(cfg.model)


def test_l14_config_builds_with_about_a_billion_parameters():
    cfg = Config.fromfile(L14_CONFIG)
    model = build_on_meta(cfg)
    parameters = sum(p.numel() for p in model.parameters())
    assert 0.9e9 < parameters < 1.1e9, parameters
    assert model.backbone.with_cp
    for expert in model.backbone.experts.values():
        assert len(expert.transformer.resblocks) == 24
        assert expert.transformer.resblocks[0].forward.__func__.__name__ == (
            '_checkpointed_block_forward')
    assert model.htl_loss.num_blocks == 24
    assert cfg.runner_type == 'FlexibleRunner'
    assert cfg.strategy.type == 'FSDPStrategy'
    assert STRATEGIES.get(cfg.strategy.type) is not None
    k710 = cfg.model.backbone.init_cfg[-1]
    assert k710.type == 'Pretrained' and k710.prefix == 'backbone.'
    assert 'large-p14-res224_clip-pre_u8_kinetics710' in k710.checkpoint


def test_size_based_auto_wrap_shards_every_expert_block():
    """The policy of the config, as FSDP applies it (children first): each
    of the 3 x 24 encoder blocks is a unit of its own, nothing larger
    than a block is, and no unit is a part of a block."""
    cfg = Config.fromfile(L14_CONFIG)
    policy_cfg = dict(cfg.strategy.model_wrapper.auto_wrap_policy)
    policy = partial(FUNCTIONS.get(policy_cfg.pop('type')), **policy_cfg)
    model = build_on_meta(cfg)
    wrapped = set()

    def wrap(module: torch.nn.Module) -> int:
        """Unwrapped parameters left after wrapping inside ``module``."""
        unwrapped = sum(p.numel() for p in module.parameters(recurse=False))
        for child in module.children():
            unwrapped += wrap(child)
        if policy(module=module, recurse=False, nonwrapped_numel=unwrapped):
            wrapped.add(module)
            return 0
        return unwrapped

    for child in model.children():
        wrap(child)
    blocks = {
        block
        for expert in model.backbone.experts.values()
        for block in expert.transformer.resblocks
    }
    assert blocks <= wrapped
    block_parts = {part for block in blocks for part in block.modules()}
    assert not (wrapped - blocks) & block_parts
