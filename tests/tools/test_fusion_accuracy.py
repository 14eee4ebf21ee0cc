"""benchmarks/fusion_accuracy.py: which runs give a two-stage config its
experts."""
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
