"""benchmarks/fusion_accuracy.py: which runs give a two-stage config its
experts."""
import pytest

from tests.conftest import load_benchmark


def test_two_stage_configs_start_from_the_single_expert_runs():
    benchmark = load_benchmark('fusion_accuracy')
    expected = dict(
        rgb='single_rgb_synthetic',
        ir='single_ir_synthetic',
        depth='single_depth_synthetic')
    assert benchmark.stage1_configs('mome_htl_two_stage_synthetic') == \
        expected
    assert benchmark.stage1_configs('late_fusion_two_stage_synthetic') == \
        expected
    for name in expected.values():
        assert benchmark.config_file(name).is_file()
    assert benchmark.stage1_configs('mome_htl_synthetic') == {}


def write_predictions(run_dir, labels, predicted):
    """What tools/test.py --dump writes: one dict per test clip."""
    import pickle
    import torch
    (run_dir / 'test').mkdir(parents=True)
    with open(run_dir / 'test' / 'predictions.pkl', 'wb') as file:
        pickle.dump([
            dict(
                gt_label=torch.tensor([label]),
                pred_score=torch.nn.functional.one_hot(torch.tensor(guess),
                                                       3).float())
            for label, guess in zip(labels, predicted)
        ], file)


def test_paired_rows_read_the_dumped_predictions(tmp_path):
    benchmark = load_benchmark('fusion_accuracy')
    split_dir = tmp_path / 'split0'
    write_predictions(split_dir / 'late', [0, 1, 2, 0], [0, 0, 0, 0])
    write_predictions(split_dir / 'mome', [0, 1, 2, 0], [0, 1, 2, 0])
    header, row = benchmark.paired_rows(['late:mome'], [split_dir])
    # Top-1 0.5 -> 1 (+50); Mean-1 (1+0+0)/3 -> 1 (+66.67)
    assert row[:2] == ['mome - late', '4']
    assert row[2].startswith('+50.00 [') and row[3].startswith('+66.67 [')
    write_predictions(split_dir / 'other', [1, 1, 2, 0], [0, 1, 2, 0])
    with pytest.raises(ValueError, match='tested on different clips'):
        benchmark.paired_rows(['late:other'], [split_dir])
    with pytest.raises(FileNotFoundError, match='predictions.pkl does not'):
        benchmark.paired_rows(['late:missing'], [split_dir])
