from .gate_weight_metric import GateWeightMetric

__all__ = ['GateWeightMetric']
