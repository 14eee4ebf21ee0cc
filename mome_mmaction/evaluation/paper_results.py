"""Drive&Act figures of Liu et al. (2026), Tables 2-4, by config name.

Mean-1 is the mean per-class accuracy and Top-1 the overall accuracy, in
percent. ``splits`` says what the paper averaged over: ``'0,1,2'`` (mean of
the 3 splits) or ``'0'`` (split 0 only).
"""
from typing import Dict, NamedTuple


class PaperResult(NamedTuple):
    """One row of the paper's tables."""
    variant: str
    mean1: float
    top1: float
    splits: str


#: Keyed by the config file name (without ``.py``) that reproduces the row.
PAPER_RESULTS: Dict[str, PaperResult] = {
    'mome_htl_driveact':
    PaperResult('MoME+HTL', 73.82, 83.94, '0,1,2'),
    'early_fusion_driveact':
    PaperResult('early fusion', 49.88, 67.30, '0,1,2'),
    'late_fusion_driveact':
    PaperResult('late fusion', 61.58, 78.53, '0,1,2'),
    'input_gated_moe_driveact':
    PaperResult('input-gated MoE', 72.14, 87.94, '0'),
    'mome_driveact':
    PaperResult('MoME', 73.48, 88.03, '0'),
    'mome_mode_driveact':
    PaperResult('MoME+MoDE', 72.98, 88.17, '0'),
    'finetune_rgb_driveact':
    PaperResult('single expert fine-tune', 63.02, 83.08, '0'),
    'deep_sup_rgb_driveact':
    PaperResult('deep supervision', 66.10, 83.71, '0'),
    'self_distill_rgb_driveact':
    PaperResult('self-distillation', 63.96, 83.44, '0'),
    'htl_minus_rgb_driveact':
    PaperResult('HTL-', 69.18, 84.16, '0'),
}

#: MoME+HTL on split 0 alone (Table 3), for single-split comparisons.
PAPER_MOME_HTL_SPLIT0 = PaperResult('MoME+HTL', 74.32, 88.35, '0')
