from .metrics import GateWeightMetric
from .paper_results import PAPER_MOME_HTL_SPLIT0, PAPER_RESULTS, PaperResult
from .split_report import (read_split_metrics, report_rows, summarize_run,
                           to_markdown, write_csv)

__all__ = [
    'GateWeightMetric',     'PAPER_MOME_HTL_SPLIT0', 'PAPER_RESULTS', 'PaperResult',
    'read_split_metrics', 'report_rows', 'summarize_run', 'to_markdown',
    'write_csv'
]
