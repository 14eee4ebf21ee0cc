import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config

from mome_mmaction.evaluation.robustness import (evaluate_case, failure_cases,
                                                 insert_before_packing)
from tests.conftest import REPO_ROOT

CONFIG = REPO_ROOT / 'configs/synthetic/mome_synthetic.py'


def test_failure_cases_and_pipeline_insertion():
    cases = failure_cases(('rgb', 'ir'))
    assert [name for name, _ in cases] == [
        'clean', 'rgb drop', 'rgb mask', 'rgb darken', 'rgb noise',
        'rgb occlusion', 'ir drop', 'ir mask', 'ir darken', 'ir noise',
        'ir occlusion'
    ]
    assert cases[8][1] == dict(
        type='CorruptModality', kind='darken', severity=0.8, modality='ir')
    pipeline = [dict(type='A'), dict(type='PackActionInputs')]
    assert [
        step['type']
        for step in insert_before_packing(pipeline, dict(type='DropModality'))
    ] == ['A', 'DropModality', 'PackActionInputs']
    masked = insert_before_packing(pipeline,
                                   dict(type='DropModality', mask=True))
    assert masked[-1]['meta_keys'][-1] == 'modality_mask'
    assert 'meta_keys' not in pipeline[-1]  # the config is not changed
    with pytest.raises(ValueError, match='no PackActionInputs'):
        insert_before_packing([dict(type='A')], dict(type='DropModality'))


def test_a_dropped_modality_reaches_the_model(synthetic_driveact_root,
                                              tmp_path):
    """Clean vs. colour camera dropped, on a (random) tiny MoME checkpoint:
    the metrics carry accuracy and gate weights, and the gate sees the
    black colour frames."""
    cfg = Config.fromfile(CONFIG)
    cfg.test_dataloader.dataset.data_root = str(synthetic_driveact_root)
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    torch.manual_seed(0)
    checkpoint = tmp_path / 'random.pth'
    torch.save(
        dict(state_dict=MODELS.build(cfg.model).state_dict(), meta=dict()),
        checkpoint)
    clean = evaluate_case(cfg, str(checkpoint), str(tmp_path), 'clean')
    dropped = evaluate_case(cfg, str(checkpoint), str(tmp_path), 'rgb_drop',
                            dict(type='DropModality', modality='rgb'))
    masked = evaluate_case(
        cfg, str(checkpoint), str(tmp_path), 'rgb_mask',
        dict(type='DropModality', modality='rgb', mask=True))
    assert masked['gate/rgb'] == 0
    for metrics in (clean, dropped, masked):
        assert {'acc/top1', 'acc/mean1', 'gate/rgb', 'gate/ir',
                'gate/depth'} <= set(metrics)
        assert sum(metrics[f'gate/{m}']
                   for m in ('rgb', 'ir', 'depth')) == pytest.approx(1)
    assert dropped['gate/rgb'] != pytest.approx(clean['gate/rgb'], abs=1e-4)
    assert dropped['gate/ir'] != pytest.approx(clean['gate/ir'], abs=1e-4)
