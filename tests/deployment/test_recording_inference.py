"""Sliding-window inference over generated multi-camera recordings."""
import csv
import json
import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config

import mome_mmaction  # noqa: F401
from mome_mmaction.datasets.driveact_dataset import DRIVEACT_CSV_COLUMNS
from mome_mmaction.datasets.synthetic.video_writer import write_video
from mome_mmaction.deployment import (ExportableRecognizer, example_inputs,
                                      export_onnx)
from mome_mmaction.deployment.recording_inference import (annotated_chunks,
                                                          evaluate_chunks,
                                                          infer_recording,
                                                          open_views,
                                                          sliding_windows)
from tests.conftest import REPO_ROOT, run_tool

CONFIG = REPO_ROOT / 'configs' / 'synthetic' / 'mome_synthetic.py'
CLASSES = Config.fromfile(CONFIG).classes
# (class index, seconds) of the recording, in order
SEGMENTS = [(2, 3.0), (5, 4.0), (7, 3.0), (1, 4.0)]
FPS = dict(rgb=15, ir=10, depth=15)
IR_OFFSET = 20  # the IR camera started 2 s early


def brightness(label: int) -> int:
    return 30 + 20 * label


def write_recording(root):
    """Each view shows a grey level per activity (its own fps); IR has 2 s
    of another activity before time 0. Returns videos and the CSV."""
    videos = {}
    for modality, fps in FPS.items():
        levels = [brightness(9)] * (IR_OFFSET if modality == 'ir' else 0)
        for label, seconds in SEGMENTS:
            levels += [brightness(label)] * int(seconds * fps)
        frames = np.repeat(
            np.array(levels, dtype=np.uint8)[:, None, None, None], 64, 1)
        frames = np.ascontiguousarray(
            np.broadcast_to(
                np.repeat(frames, 64, 2), (len(levels), 64, 64, 3)))
        videos[modality] = root / f'run1.kinect_{modality}.mp4'
        write_video(videos[modality], frames, fps=fps)
    annotations = root / 'chunks.csv'
    with open(annotations, 'w', newline='') as stream:
        writer = csv.writer(stream)
        writer.writerow(DRIVEACT_CSV_COLUMNS)
        start = 0
        for index, (label, seconds) in enumerate(SEGMENTS):
            end = start + int(seconds * FPS['rgb'])
            writer.writerow([
                1, 'vp1/run1.kinect_rgb', index, start, end, CLASSES[label], 0
            ])
            start = end
    return {m: str(path) for m, path in videos.items()}, str(annotations)


def grey_level_oracle(packed):
    """Reads the class off the clips' mean grey level (all views)."""
    level = torch.stack(
        [clip.float().mean() for clip in packed['inputs'].values()]).mean()
    label = int(torch.round((level - 30) / 20).clamp(0, len(CLASSES) - 1))
    scores = torch.zeros(len(CLASSES))
    scores[label] = 1
    return scores, torch.full((3, ), 1 / 3)


@pytest.fixture(scope='module')
def recording(tmp_path_factory):
    return write_recording(tmp_path_factory.mktemp('recording'))


def test_windows_follow_each_views_fps_and_offset(recording):
    videos, annotations = recording
    pipeline = Config.fromfile(CONFIG).test_pipeline
    views = open_views(videos, dict(ir=IR_OFFSET))
    assert [v.fps for v in views] == [15, 10, 15]
    assert sliding_windows(views, 2.0, 0.5)[-1] == (12.0, 14.0)
    # A camera that started 1 s late (negative offset): windows start then.
    late = open_views(videos, dict(ir=IR_OFFSET, depth=-15))
    assert sliding_windows(late, 2.0, 0.5)[0] == (1.0, 3.0)
    results, realtime_factor = infer_recording(
        pipeline, grey_level_oracle, views, window_s=2.0, stride_s=0.5)
    assert len(results) == 25 and realtime_factor > 0
    chunks = annotated_chunks(annotations, videos['rgb'], 15, 0)
    assert [c['activity']
            for c in chunks] == [CLASSES[label] for label, _ in SEGMENTS]
    report = evaluate_chunks(results, chunks, CLASSES)
    assert report['top1'] == 1 and report['mean1'] == 1
    # A window well inside an activity sees it in every view.
    inside = [r for r in results if 4.0 <= r.start_s and r.end_s <= 7.0]
    assert inside and all(r.scores[5] == 1 for r in inside)
    # Ignoring the IR offset misreads the windows.
    shifted, _ = infer_recording(pipeline, grey_level_oracle,
                                 open_views(videos, {}), 2.0, 0.5)
    assert evaluate_chunks(shifted, chunks, CLASSES)['top1'] < 1


def test_bad_recordings_are_clear_errors(recording, tmp_path):
    videos, annotations = recording
    with pytest.raises(FileNotFoundError, match="'ir' not found: .*nope"):
        open_views(dict(videos, ir=str(tmp_path / 'nope.mp4')), {})
    with pytest.raises(
            ValueError,
            match=r'overlap for 0.00 s only \(rgb '
            r'0.00-14.00 s, ir -50.00--34.00 s'):
        sliding_windows(open_views(videos, dict(ir=500)), 2., 1.)
    with pytest.raises(ValueError, match=r"offsets for \['lidar'\]"):
        open_views(videos, dict(lidar=3))
    with pytest.raises(ValueError, match='shorter than one window of 60'):
        sliding_windows(open_views(videos, {}), 60., 1.)
    with pytest.raises(ValueError, match='has no chunk of other.mp4'):
        annotated_chunks(annotations, 'other.mp4', 15, 0)


@pytest.mark.slow
def test_tool_writes_csv_json_png_with_pytorch_and_onnx(recording, tmp_path):
    videos, annotations = recording
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CONFIG).model).eval()
    checkpoint = tmp_path / 'random.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    wrapper = ExportableRecognizer(model)
    export_onnx(wrapper, example_inputs(wrapper, (8, 64, 64)),
                str(tmp_path / 'model.onnx'))
    outputs = {}
    for runtime, extra in (('torch', []),
                           ('onnx', ['--onnx', tmp_path / 'model.onnx'])):
        out = tmp_path / runtime
        result = run_tool([
            'tools/infer_recording.py', CONFIG, checkpoint, '--video',
            *[f'{m}={path}' for m, path in videos.items()], '--frame-offset',
            f'ir={IR_OFFSET}', '--window', '3', '--stride', '1', '--out', out,
            '--annotations', annotations, *extra
        ], REPO_ROOT)
        assert 'real-time factor' in result.stdout
        assert '4 annotated chunks: Top-1' in result.stdout
        with open(out / 'windows.csv') as stream:
            rows = list(csv.reader(stream))
        assert rows[0] == [
            'start_s', 'end_s', 'top1', 'score1', 'top2', 'score2', 'top3',
            'score3', 'weight_rgb', 'weight_ir', 'weight_depth'
        ]
        assert len(rows) == 1 + 12
        assert (out / 'timeline.png').stat().st_size > 1000
        outputs[runtime] = json.loads((out / 'windows.json').read_text())
    for torch_row, onnx_row in zip(outputs['torch'], outputs['onnx']):
        assert [t['label'] for t in torch_row['top']
                ] == [t['label'] for t in onnx_row['top']]
        for name, weight in torch_row['weights'].items():
            assert abs(weight - onnx_row['weights'][name]) < 1e-4
