import pytest
import torch
from mmaction.registry import METRICS

import mome_mmaction  # noqa: F401


def test_mean_gate_weight_per_modality():
    metric = METRICS.build(
        dict(type='GateWeightMetric', modalities=('rgb', 'ir', 'depth')))
    metric.process(None, [
        dict(gate_weights=torch.tensor([0.5, 0.25, 0.25])),
        dict(gate_weights=torch.tensor([0.1, 0.7, 0.2])),
    ])
    result = metric.evaluate(size=2)
    assert result == pytest.approx({
        'gate/rgb': 0.3,
        'gate/ir': 0.475,
        'gate/depth': 0.225
    })


def test_predictions_without_or_with_wrong_gate_weights():
    metric = METRICS.build(
        dict(type='GateWeightMetric', modalities=('rgb', 'ir')))
    with pytest.raises(KeyError, match='no gate_weights'):
        metric.process(None, [dict(pred_score=torch.ones(3))])
    with pytest.raises(ValueError, match=r'\(3,\)'):
        metric.process(None, [dict(gate_weights=torch.ones(3) / 3)])
