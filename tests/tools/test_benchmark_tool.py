"""tools/analysis/benchmark.py: MMAction2's benchmark on any config."""
import importlib.util
import json
import math
import pytest
from mmaction.datasets.transforms import DecordDecode
from mmengine.config import Config
from types import ModuleType

from tests.conftest import REPO_ROOT, run_tool

SMOKE_CONFIG = (
    REPO_ROOT / 'configs/synthetic/smoke_recognizer3d_motion_videos.py')
MOME_CONFIG = REPO_ROOT / 'configs/synthetic/mome_htl_synthetic.py'
SHORT_RUN = ['--num-iters', '3', '--warmup', '1', '--log-interval', '1']


def load_tool() -> ModuleType:
    """``tools/analysis/benchmark.py`` (not a package) as a module."""
    spec = importlib.util.spec_from_file_location(
        'benchmark_tool', REPO_ROOT / 'tools/analysis/benchmark.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


benchmark_tool = load_tool()


@pytest.fixture
def decode_count(monkeypatch) -> list:
    """A one-item list counting ``DecordDecode`` calls (every reader of the
    configs used here decodes through it)."""
    count = [0]
    transform = DecordDecode.transform

    def counted(self, results):
        count[0] += 1
        return transform(self, results)

    monkeypatch.setattr(DecordDecode, 'transform', counted)
    return count


@pytest.fixture
def plain_config(motion_videos_workspace, monkeypatch):
    """The smoke config as a user's plain MMAction2 ``Recognizer3D`` config
    (no runner_type, custom hooks or custom_imports), run from its
    workspace."""
    cfg = Config.fromfile(SMOKE_CONFIG)
    for key in ('runner_type', 'custom_hooks', 'custom_imports'):
        cfg.pop(key, None)
    assert cfg.model.type == 'Recognizer3D'
    path = motion_videos_workspace / 'plain_benchmark_config.py'
    cfg.dump(path)
    monkeypatch.chdir(motion_videos_workspace)
    return path


def assert_finite_figures(result: dict, batches: int, videos: int) -> None:
    assert result['timed_batches'] == batches
    assert result['videos'] == videos
    for key in ('videos_per_s', 'clips_per_s', 'peak_memory_mib'):
        assert math.isfinite(result[key]) and result[key] > 0, key
    for key in ('batch_ms', 'model_ms'):
        assert 0 < result[key]['median'] <= result[key]['p90'] < math.inf
    assert result['peak_memory_kind'].startswith('CPU peak RSS')
    assert json.loads(open(result['out']).read()) == json.loads(
        json.dumps(result))


def test_plain_recognizer3d_end_to_end(plain_config, tmp_path, decode_count):
    result = benchmark_tool.main([
        str(plain_config), *SHORT_RUN, '--batch-size', '2', '--work-dir',
        str(tmp_path), '--out',
        str(tmp_path / 'figures.json')
    ])
    assert_finite_figures(result, batches=3, videos=6)
    assert result['mode'] == 'end to end'
    assert result['clips'] == 6  # one clip per video
    assert 0 < result['data_ms']['median'] < result['batch_ms']['p90']
    assert 'head_ms' not in result  # I3DHead has no gate
    assert decode_count[0] == 2 * 4  # warm-up and timed batches decode


def test_model_only_decodes_nothing_while_timing(plain_config, tmp_path,
                                                 decode_count, monkeypatch):
    """The batches are read, preprocessed and held before timing; the timed
    loop does not touch the reader."""
    timed = benchmark_tool.timed_batches
    decodes_while_timing = []

    def counted_timing(*args, **kwargs):
        before = decode_count[0]
        times = timed(*args, **kwargs)
        decodes_while_timing.append(decode_count[0] - before)
        return times

    monkeypatch.setattr(benchmark_tool, 'timed_batches', counted_timing)
    result = benchmark_tool.main([
        str(plain_config), '--model-only', '--amp', '--num-iters', '6',
        '--warmup', '1', '--work-dir',
        str(tmp_path)
    ])
    assert decodes_while_timing == [0]
    assert decode_count[0] == benchmark_tool.MODEL_ONLY_BATCHES
    assert result['inputs'] == 'test dataloader'
    assert result['amp'] == 'bfloat16'  # autocast on CPU
    assert_finite_figures(result, batches=6, videos=6)


def test_mome_config_times_the_gate_head(synthetic_driveact_root, tmp_path,
                                         decode_count, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = benchmark_tool.main([
        str(MOME_CONFIG), *SHORT_RUN, '--cfg-options',
        f'test_dataloader.dataset.data_root={synthetic_driveact_root}'
    ])
    assert_finite_figures(result, batches=3, videos=3)
    assert result['head'] == 'TokenVotingGateHead'
    head = result['head_ms']
    assert 0 < head['median'] <= head['p90'] < result['batch_ms']['p90']
    assert decode_count[0] == 3 * 4  # three views per video
    assert (tmp_path / 'work_dirs' / 'mome_htl_synthetic').is_dir()


def test_model_only_without_the_data_synthesizes_inputs(
        tmp_path, decode_count, monkeypatch):
    """A config whose test data is missing: --model-only times random
    inputs of the test pipeline's shape (8 frames at 64x64, three views),
    nothing is read; end to end says what it needs."""
    monkeypatch.chdir(tmp_path)
    missing = [
        '--cfg-options', f'test_dataloader.dataset.data_root={tmp_path}'
    ]
    result = benchmark_tool.main([
        str(MOME_CONFIG), '--model-only', *SHORT_RUN, '--batch-size', '2',
        *missing
    ])
    assert decode_count[0] == 0
    assert result['inputs'].startswith('synthetic (1 x 8 x 64 x 64 uint8')
    assert_finite_figures(result, batches=3, videos=6)
    assert math.isfinite(result['head_ms']['median'])
    with pytest.raises(FileNotFoundError, match='--model-only'):
        benchmark_tool.main([str(MOME_CONFIG), *SHORT_RUN, *missing])


def test_clip_layout_of_test_pipelines():
    driveact = Config.fromfile(REPO_ROOT / 'configs/mome_htl_driveact.py')
    assert benchmark_tool.clip_layout(
        driveact.test_dataloader.dataset.pipeline) == (
            benchmark_tool.ClipLayout(1, 8, 1, (224, 224), 'NCTHW'))
    tsn_ten_crop = [
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=1, num_clips=25, test_mode=True),
        dict(type='DecordDecode'),
        dict(type='Resize', scale=(-1, 256)),
        dict(type='TenCrop', crop_size=224),
        dict(type='FormatShape', input_format='NCHW'),
        dict(type='PackActionInputs')
    ]
    layout = benchmark_tool.clip_layout(tsn_ten_crop)
    assert layout == (25, 1, 10, (224, 224), 'NCHW')
    assert layout.views_per_video == 250


@pytest.mark.slow  # the tool in a process of its own
def test_command_line_prints_the_figures(plain_config, tmp_path):
    result = run_tool([
        'tools/analysis/benchmark.py', plain_config, '--model-only',
        *SHORT_RUN, '--work-dir', tmp_path, '--out', tmp_path / 'out.json'
    ],
                      cwd=plain_config.parent)
    assert 'Mode: model only; inputs: test dataloader' in result.stdout
    assert 'Overall: ' in result.stdout and ' videos / s, ' in result.stdout
    assert 'Batch: median ' in result.stdout
    figures = json.loads((tmp_path / 'out.json').read_text())
    assert figures['timed_batches'] == 3
