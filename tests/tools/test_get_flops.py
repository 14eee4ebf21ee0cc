import pytest
import re

from tests.conftest import REPO_ROOT, run_tool


def flops_and_params(config: str, *args: str) -> tuple:
    result = run_tool(
        ['tools/analysis/get_flops.py', REPO_ROOT / 'configs' / config, *args],
        cwd=REPO_ROOT)
    return (int(re.search(r'Flops: (\d+)', result.stdout)[1]),
            int(re.search(r'Params: (\d+)', result.stdout)[1]))


@pytest.mark.slow
def test_mome_counts_three_experts_and_the_gate():
    """MMAction2's get_flops.py cannot feed MoME's dict of clips; ours
    counts all three experts: three single-expert costs plus the gate."""
    mome_flops, mome_params = flops_and_params(
        'synthetic/mome_htl_synthetic.py')
    single_flops, single_params = flops_and_params(
        'synthetic/single_rgb_synthetic.py')
    backbone_flops, _ = flops_and_params('synthetic/mome_htl_synthetic.py',
                                         '--stage', 'backbone')
    assert 3 * single_flops * 0.99 < mome_flops < 3 * single_flops * 1.01
    assert backbone_flops < mome_flops
    assert 2.9 * single_params < mome_params < 3.1 * single_params


def test_early_fusion_and_the_clip_size_from_the_config():
    small, _ = flops_and_params('synthetic/early_fusion_synthetic.py')
    large, _ = flops_and_params('synthetic/early_fusion_synthetic.py',
                                '--cfg-options',
                                'model.backbone.input_resolution=128')
    assert large > 3 * small  # 4x the patches


def test_a_rus_guided_config_counts_before_its_rus_file_exists(tmp_path):
    result = run_tool([
        'tools/analysis/get_flops.py',
        REPO_ROOT / 'configs/synthetic/rus_guided_moe_synthetic.py',
        '--cfg-options', f'model.cls_head.rus_file={tmp_path}/absent.npz'
    ],
                      cwd=REPO_ROOT)
    assert 'absent.npz not written yet: counting with zero RUS values' in (
        result.stdout)
    assert int(re.search(r'Flops: (\d+)', result.stdout)[1]) > 0
