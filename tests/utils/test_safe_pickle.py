import io
import numpy as np
import pickle
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.evaluator.metric import _to_cpu
from mmengine.fileio import dump, load

import mome_mmaction  # noqa: F401  (registers the safe .pkl handler)
from mome_mmaction.utils import UnsafePickleError, load_pickle_safely
from tests.conftest import REPO_ROOT, PickledCodeMarker, run_tool


def mmaction_style_dump():
    """What ``tools/test.py --dump`` writes: data samples as dicts."""
    sample = ActionDataSample()
    sample.set_pred_score(torch.rand(5))
    sample.set_gt_label(torch.tensor([1]))
    sample.set_metainfo(
        dict(
            participant_id=3,
            img_shape=(64, 64),
            recording='vp3/run1',
            chunk_id=np.int64(4),
            frame_inds=np.arange(8)))
    sample.gate_weights = torch.tensor([0.2, 0.3, 0.5])
    return [_to_cpu(sample.to_dict())]


def assert_same(expected, actual):
    assert expected.keys() == actual.keys()
    for key, value in expected.items():
        if torch.is_tensor(value):
            assert torch.equal(value, actual[key]), key
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, actual[key])
        else:
            assert value == actual[key], key


def test_a_predictions_dump_loads(tmp_path):
    path = tmp_path / 'predictions.pkl'
    predictions = mmaction_style_dump()
    dump(predictions, str(path))
    assert_same(predictions[0], load_pickle_safely(str(path))[0])
    # mmengine.load (MMAction2's analysis tools) goes through the same one.
    assert_same(predictions[0], load(str(path))[0])


def test_a_pickled_callable_is_refused_without_running(tmp_path):
    marker = tmp_path / 'ran'
    path = tmp_path / 'evil.pkl'
    path.write_bytes(
        pickle.dumps([dict(pred_score=PickledCodeMarker(marker))]))
    with pytest.raises(UnsafePickleError) as error:
        load_pickle_safely(str(path))
    assert str(path) in str(error.value)
    assert '`builtins.exec`' in str(error.value)
    with pytest.raises(UnsafePickleError, match='builtins.exec'):
        load(str(path))
    assert not marker.exists()


def test_a_tensor_storage_cannot_smuggle_a_pickle(tmp_path):
    """Storage bytes are torch-serialized: they are read weights-only."""
    marker = tmp_path / 'ran'
    inner = io.BytesIO()
    torch.save(
        PickledCodeMarker(marker), inner, _use_new_zipfile_serialization=False)

    class Storage:

        def __reduce__(self):
            return torch.storage._load_from_bytes, (inner.getvalue(), )

    path = tmp_path / 'evil_storage.pkl'
    path.write_bytes(pickle.dumps([Storage()]))
    with pytest.raises(pickle.UnpicklingError, match='exec'):
        load_pickle_safely(str(path))
    assert not marker.exists()


def test_gate_report_refuses_a_dump_with_code(tmp_path):
    marker = tmp_path / 'ran'
    path = tmp_path / 'evil.pkl'
    path.write_bytes(
        pickle.dumps([dict(pred_score=PickledCodeMarker(marker))]))
    with pytest.raises(pytest.fail.Exception) as failure:
        run_tool([
            'tools/analysis/gate_report.py',
            REPO_ROOT / 'configs/synthetic/mome_synthetic.py', path, '--out',
            tmp_path / 'report'
        ],
                 cwd=REPO_ROOT)
    assert f'UnsafePickleError: Refused to load {path}' in str(failure.value)
    assert not marker.exists()
