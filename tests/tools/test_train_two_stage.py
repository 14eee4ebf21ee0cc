"""tools/train_two_stage.sh end to end, resumed, and through run_splits.sh."""
import json
import pytest
import runpy

from tests.conftest import REPO_ROOT, run_tool

CONFIG = REPO_ROOT / 'configs/synthetic/mome_htl_two_stage_synthetic.py'
MODALITIES = ('rgb', 'ir', 'depth')
#: State-dict entries of the pretrained tiny expert's backbone.
BACKBONE_TENSORS = 121


def tiny_options(data_root):
    """The test data, one epoch of one batch per stage."""
    return [
        f'{loader}.dataset.data_root={data_root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ] + [
        'train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=8',
        'val_dataloader.dataset.indices=8', 'test_dataloader.dataset.indices=8'
    ]


@pytest.mark.slow
def test_two_stages_then_nothing_to_redo(synthetic_driveact_root, tmp_path,
                                         monkeypatch):
    options = tiny_options(synthetic_driveact_root)
    # Where tools/run_splits.sh puts split 0 of this config.
    run_dir = tmp_path / 'work_dirs' / CONFIG.stem / 'split0'
    split_options = [
        f'{loader}.dataset.split=0'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    command = [
        'tools/train_two_stage.sh', CONFIG, 1, '--work-dir', run_dir,
        '--cfg-options', *split_options, *options
    ]
    first = run_tool(command, cwd=tmp_path)
    log = first.stdout + first.stderr
    for modality in MODALITIES:
        stage_dir = run_dir / f'stage1_{modality}'
        done = json.loads((stage_dir / 'two_stage_done.json').read_text())
        assert done['config'].endswith(f'single_{modality}_synthetic.py')
        assert done['checkpoint'] == str(stage_dir /
                                         'best_acc_mean1_epoch_1.pth')
        # Stage 2 starts each expert from its own stage-1 checkpoint.
        assert (f"Expert '{modality}' initialized from stage-1 checkpoint "
                f"{done['checkpoint']} ({BACKBONE_TENSORS} tensors under "
                "'backbone.')") in log
    assert (run_dir / 'stage2' / 'two_stage_done.json').is_file()
    trained = sorted(run_dir.glob('stage*/2*'))  # a log dir per stage
    assert len(trained) == 4

    # run_splits.sh on the same split: training is done, only the test runs.
    monkeypatch.setenv('WORK_ROOT', str(tmp_path / 'work_dirs'))
    monkeypatch.setenv('SPLITS', '0')
    monkeypatch.setenv('CFG_OPTIONS', ' '.join(options))
    second = run_tool(['tools/run_splits.sh', CONFIG, 1], cwd=tmp_path)
    log = second.stdout + second.stderr
    for stage in (*(f'stage 1 ({m})' for m in MODALITIES), 'stage 2'):
        assert f'[two-stage] {stage}: done (' in log and 'not re-run' in log
    assert sorted(run_dir.glob('stage*/2*')) == trained
    metrics = json.loads(next((run_dir / 'test').glob('*/*.json')).read_text())
    assert 0 <= metrics['acc/top1'] <= 1
    assert f'| {CONFIG.stem} |' in log  # tools/report.py's table


def test_a_config_without_stage1_configs_is_refused(tmp_path):
    with pytest.raises(
            pytest.fail.Exception,
            match='is not a two-stage config: it needs a '
            'top-level stage1_configs'):
        run_tool([
            'tools/train_two_stage.sh',
            REPO_ROOT / 'configs/synthetic/mome_htl_synthetic.py', 1
        ],
                 cwd=tmp_path)


def test_train_args_keep_one_cfg_options_and_the_work_dir():
    split_train_args = runpy.run_path(
        str(REPO_ROOT / 'tools/train_two_stage.py'))['split_train_args']
    assert split_train_args([
        '--amp', '--cfg-options', 'a=1', 'b.c=x', '--work-dir', 'runs/x',
        '--resume'
    ]) == (['--amp', '--resume'], ['a=1', 'b.c=x'], 'runs/x')
    assert split_train_args(['--work-dir=w', '--cfg-options']) == ([], [], 'w')
