"""tools/train.py --amp on a machine without CUDA: bfloat16 autocast."""
import json
import math
import pytest
import torch

from mome_mmaction.utils.mmaction_tools import select_amp_dtype
from tests.conftest import REPO_ROOT, run_tool

CONFIG = REPO_ROOT / 'configs/synthetic/mome_htl_synthetic.py'
AUTOCAST = ['--cfg-options', 'optim_wrapper.type=AutocastOptimWrapper']


def test_amp_without_cuda_is_bfloat16_autocast(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert select_amp_dtype(['train.py', str(CONFIG),
                             '--amp']) == ['train.py', str(CONFIG)] + AUTOCAST
    assert select_amp_dtype(
        ['train.py',
         str(CONFIG), '--amp', '--amp-dtype',
         'bfloat16']) == ['train.py', str(CONFIG)] + AUTOCAST
    assert select_amp_dtype(['train.py',
                             str(CONFIG)]) == ['train.py',
                                               str(CONFIG)]
    with pytest.raises(ValueError, match='float16 needs CUDA'):
        select_amp_dtype(
            ['train.py',
             str(CONFIG), '--amp', '--amp-dtype', 'float16'])
    with pytest.raises(ValueError, match='needs --amp'):
        select_amp_dtype(['train.py', str(CONFIG), '--amp-dtype', 'bfloat16'])
    with pytest.raises(ValueError, match='float16 or bfloat16'):
        select_amp_dtype(['train.py', str(CONFIG), '--amp', '--amp-dtype'])


def test_amp_with_cuda_keeps_mmaction_float16_unless_bfloat16(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    argv = ['train.py', str(CONFIG), '--amp']
    assert select_amp_dtype(argv) == argv  # MMAction2: AmpOptimWrapper
    assert select_amp_dtype(
        argv +
        ['--amp-dtype', 'bfloat16']) == ['train.py', str(CONFIG)] + AUTOCAST


@pytest.mark.slow
def test_bfloat16_training_of_mome_htl_through_train_py(
        synthetic_driveact_root, tmp_path):
    if torch.cuda.is_available():
        pytest.skip('checks the CPU path')
    options = [
        f'{loader}.dataset.data_root={synthetic_driveact_root}'
        for loader in ('train_dataloader', 'val_dataloader')
    ]
    result = run_tool([
        'tools/train.py', CONFIG, '--amp', '--work-dir', tmp_path,
        '--cfg-options', *options, 'train_cfg.max_epochs=1',
        'train_dataloader.dataset.indices=16',
        'val_dataloader.dataset.indices=8'
    ],
                      cwd=tmp_path)
    assert '--amp: bfloat16 autocast on CPU' in result.stdout + result.stderr
    scalars = next(tmp_path.glob('*/vis_data/scalars.json'))
    losses = [
        json.loads(line) for line in scalars.read_text().splitlines()
        if '"loss"' in line
    ]
    assert losses and all(
        math.isfinite(row[key]) for row in losses
        for key in row if key.startswith('loss'))
    assert (tmp_path / 'epoch_1.pth').is_file()
