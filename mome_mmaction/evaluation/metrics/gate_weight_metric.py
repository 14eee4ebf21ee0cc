"""Mean gate weight per modality: which sensor the model trusted."""
import numpy as np
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric
from typing import Dict, List, Optional, Sequence


@METRICS.register_module()
class GateWeightMetric(BaseMetric):
    """Average the ``gate_weights`` (N,) that MoME predictions carry.

    Reports ``gate/<modality>``: the mean weight the gate gave each
    modality over the evaluated samples (they sum to 1). Use next to
    ``AccMetric``: ``test_evaluator = [dict(type='AccMetric'),
    dict(type='GateWeightMetric', modalities=('rgb', 'ir', 'depth'))]``.

    Args:
        modalities (Sequence[str]): Names of the gate's inputs, in the
            model's ``modalities`` order.
        collect_device (str): As for mmengine's ``BaseMetric``.
        prefix (str, optional): Key prefix. Defaults to ``'gate'``.
    """

    default_prefix = 'gate'

    def __init__(self,
                 modalities: Sequence[str],
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.modalities = tuple(modalities)

    def process(self, data_batch, data_samples: Sequence[Dict]) -> None:
        """Keep each prediction's gate weights, shape (N,)."""
        for sample in data_samples:
            if 'gate_weights' not in sample:
                raise KeyError(
                    'GateWeightMetric: a prediction has no gate_weights '
                    f'(keys: {sorted(sample)}); evaluate a model whose head '
                    'returns them, e.g. MoMERecognizer with '
                    'TokenVotingGateHead')
            weights = np.asarray(sample['gate_weights'].cpu(), np.float64)
            if weights.shape != (len(self.modalities), ):
                raise ValueError(
                    f'GateWeightMetric: gate_weights of shape {weights.shape}'
                    f' do not match modalities {self.modalities}')
            self.results.append(weights)

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        """Mean weight per modality over all samples."""
        mean_weights = np.mean(results, axis=0)
        return {
            modality: float(weight)
            for modality, weight in zip(self.modalities, mean_weights)
        }
