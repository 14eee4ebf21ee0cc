from .gate_ablation import (expert_probabilities, gate_ablation_top1,
                            weighted_probabilities, working_experts)
from .gate_report import (CHUNK_KEYS, confusion_matrix, per_class_table,
                          per_condition_table, prediction_conditions,
                          predictions_to_arrays, recorded_conditions,
                          write_gate_report)
from .metrics import GateWeightMetric
from .paired_bootstrap import (paired_bootstrap, seed_top1_differences,
                               top1_and_mean1)
from .paper_results import PAPER_MOME_HTL_SPLIT0, PAPER_RESULTS, PaperResult
from .run_artefacts import best_checkpoint, newest_test_metrics
from .split_report import (read_split_metrics, report_rows, summarize_run,
                           to_markdown, write_csv)

__all__ = [
    'best_checkpoint', 'CHUNK_KEYS', 'confusion_matrix',
    'expert_probabilities', 'gate_ablation_top1', 'GateWeightMetric',
    'PAPER_MOME_HTL_SPLIT0', 'PAPER_RESULTS', 'PaperResult',
    'newest_test_metrics', 'paired_bootstrap', 'seed_top1_differences',
    'per_class_table', 'per_condition_table', 'prediction_conditions',
    'predictions_to_arrays', 'read_split_metrics', 'recorded_conditions',
    'report_rows', 'summarize_run', 'to_markdown', 'top1_and_mean1',
    'weighted_probabilities', 'working_experts', 'write_csv',
    'write_gate_report'
]
