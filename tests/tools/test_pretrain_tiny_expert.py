"""tools/pretrain_tiny_expert.py: corpus, training and export in one go."""
import hashlib
import pytest
import subprocess
import sys
import torch
from mmengine.config import Config

from tests.conftest import REPO_ROOT, run_tool

STAGE1 = REPO_ROOT / 'configs/pretrain/uniformerv2_tiny_motion_pretrain.py'


@pytest.mark.slow
def test_pretrains_and_exports_the_backbone(tmp_path):
    """A 1-step run on a 2-clips-per-class corpus, from an empty folder."""
    result = run_tool([
        'tools/pretrain_tiny_expert.py', '--videos-per-class', 1,
        '--val-videos-per-class', 1, '--workers', 1, '--cfg-options',
        'train_dataloader.batch_size=4', 'train_dataloader.dataset.indices=4',
        'val_dataloader.batch_size=4', 'val_dataloader.dataset.indices=4',
        'train_cfg.max_epochs=1'
    ],
                      cwd=tmp_path)
    corpus = tmp_path / 'data' / 'motion_pretraining'
    assert len((corpus / 'train.txt').read_text().splitlines()) == 72
    work_dir = tmp_path / 'work_dirs' / 'uniformerv2_tiny_motion_pretrain'
    assert (work_dir / 'best_acc_top1_epoch_1.pth').is_file()
    out = tmp_path / Config.fromfile(STAGE1).backbone_export
    weights = torch.load(out, weights_only=True)['state_dict']
    assert weights and all(key.startswith('backbone.') for key in weights)
    assert f'sha256 {hashlib.sha256(out.read_bytes()).hexdigest()}' in (
        result.stdout)
    assert "prefix='backbone.'" in result.stdout


def test_refuses_a_config_that_says_not_where_to_export(tmp_path):
    config = tmp_path / 'no_export.py'
    config.write_text(f"_base_ = ['{STAGE1}']\nbackbone_export = None\n")
    result = subprocess.run([
        sys.executable,
        str(REPO_ROOT / 'tools/pretrain_tiny_expert.py'), '--config',
        str(config)
    ],
                            cwd=tmp_path,
                            capture_output=True,
                            text=True)
    assert result.returncode != 0
    assert f'{config} sets no backbone_export: give --out FILE' in (
        result.stderr)
    assert not (tmp_path / 'data').exists()  # stopped before the corpus


@pytest.mark.parametrize('flag',
                         ['--out', '--out=x.pth', '--work-dir', '--config'])
def test_two_stage_script_refuses_a_flag_each_stage_sets(tmp_path, flag):
    """One --out / --work-dir / --config for both stages would send stage 2
    somewhere other than stage 1's output; refused before installing."""
    result = subprocess.run(
        ['bash',
         str(REPO_ROOT / 'tools/pretrain_tiny_expert.sh'), flag, 'x'],
        cwd=tmp_path,
        capture_output=True,
        text=True)
    assert result.returncode == 2
    assert f"{flag.split('=')[0]} is set per stage" in result.stderr
    assert not list(tmp_path.iterdir())
