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
    header, row = benchmark.paired_rows(['late:mome'], [[split_dir]])
    assert len(header) == len(row) == 4  # one seed: no per-seed column
    # Top-1 0.5 -> 1 (+50); Mean-1 (1+0+0)/3 -> 1 (+66.67)
    assert row[:2] == ['mome - late', '4']
    assert row[2].startswith('+50.00 [') and row[3].startswith('+66.67 [')
    write_predictions(split_dir / 'other', [1, 1, 2, 0], [0, 1, 2, 0])
    with pytest.raises(ValueError, match='other was tested on other clips'):
        benchmark.paired_rows(['late:other'], [[split_dir]])
    with pytest.raises(FileNotFoundError, match='predictions.pkl does not'):
        benchmark.paired_rows(['late:missing'], [[split_dir]])


def test_paired_rows_average_the_seeds_of_a_split(tmp_path):
    """Seed 0: late 2/4, mome 4/4; seed 1: late 4/4, mome 3/4. Top-1 diff
    (+50 + -25) / 2 = +12.50, over 4 clips (not 8)."""
    benchmark = load_benchmark('fusion_accuracy')
    labels = [0, 1, 2, 0]
    seed_dirs = [tmp_path / 'seed0' / 'split0', tmp_path / 'seed1' / 'split0']
    write_predictions(seed_dirs[0] / 'late', labels, [0, 0, 0, 0])
    write_predictions(seed_dirs[0] / 'mome', labels, labels)
    write_predictions(seed_dirs[1] / 'late', labels, labels)
    write_predictions(seed_dirs[1] / 'mome', labels, [0, 1, 2, 1])
    header, row = benchmark.paired_rows(['late:mome'], [seed_dirs])
    assert row[:2] == ['mome - late', '4']
    assert row[2].startswith('+12.50 [')
    assert header[4] == 'Top-1 diff per seed' and row[4] == '+50.00 / -25.00'
    write_predictions(tmp_path / 'seed2' / 'split0' / 'late', [1, 1, 2, 0],
                      labels)
    write_predictions(tmp_path / 'seed2' / 'split0' / 'mome', labels, labels)
    with pytest.raises(ValueError, match='seed2/split0/late was tested'):
        benchmark.paired_rows(['late:mome'],
                              [seed_dirs + [tmp_path / 'seed2' / 'split0']])


def test_paired_rows_read_a_from_the_baseline_dirs(tmp_path):
    """The same config trained with two pretrained experts: A (late, 2/4)
    from the baseline work dir, B (late, 4/4) from this one: +50."""
    benchmark = load_benchmark('fusion_accuracy')
    labels = [0, 1, 2, 0]
    write_predictions(tmp_path / 'old' / 'split0' / 'late', labels,
                      [0, 0, 0, 0])
    write_predictions(tmp_path / 'new' / 'split0' / 'late', labels, labels)
    header, row = benchmark.paired_rows(['late:late'],
                                        [[tmp_path / 'new' / 'split0']],
                                        [[tmp_path / 'old' / 'split0']])
    assert row[2].startswith('+50.00 [')


def test_figures_are_each_splits_mean_over_its_seeds():
    benchmark = load_benchmark('fusion_accuracy')
    results = [
        dict(split=0, top1=0.4),
        dict(split=1, top1=0.2),
        dict(split=0, top1=0.6),
        dict(split=1, top1=0.4)
    ]
    assert benchmark.split_means(results, 'top1') == pytest.approx([0.5, 0.3])
