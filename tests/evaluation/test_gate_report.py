import csv
import numpy as np
import pytest
import torch

from mome_mmaction.evaluation import (confusion_matrix, prediction_conditions,
                                      predictions_to_arrays, write_gate_report)


def fake_predictions():
    """Class 0 leans on rgb, class 1 on ir; one class-1 sample is wrong."""
    samples = []
    for label, weights, predicted in ((0, [0.8, 0.2], 0), (0, [0.6, 0.4], 0),
                                      (1, [0.1, 0.9], 1), (1, [0.3, 0.7], 0)):
        score = torch.zeros(3)
        score[predicted] = 1
        samples.append(
            dict(
                gt_label=torch.tensor([label]),
                pred_score=score,
                gate_weights=torch.tensor(weights)))
    return samples


def test_confusion_matrix_counts():
    arrays = predictions_to_arrays(fake_predictions())
    np.testing.assert_array_equal(
        confusion_matrix(arrays['labels'], arrays['predicted'], 3),
        [[2, 0, 0], [1, 1, 0], [0, 0, 0]])


def test_gate_report_files(tmp_path):
    files = write_gate_report(fake_predictions(),
                              ['drinking', 'eating', 'writing'], ('rgb', 'ir'),
                              tmp_path)
    assert all(path.is_file() and path.stat().st_size > 0 for path in files)
    rows = list(csv.reader(open(tmp_path / 'gate_weights_per_class.csv')))
    assert rows[0] == ['class', 'samples', 'top1', 'gate rgb', 'gate ir']
    assert rows[1] == ['drinking', '2', '1.0', '0.7', '0.3']
    assert rows[2] == ['eating', '2', '0.5', '0.2', '0.8']
    assert rows[3] == ['all', '4', '0.75', '0.45', '0.55']
    assert (tmp_path / 'confusion_matrix.png').read_bytes()[:4] == b'\x89PNG'


def test_predictions_without_gate_weights_are_refused(tmp_path):
    samples = fake_predictions()
    del samples[2]['gate_weights']
    with pytest.raises(KeyError, match='prediction 2 has no'):
        write_gate_report(samples, ['a', 'b', 'c'], ('rgb', 'ir'), tmp_path)
    with pytest.raises(ValueError, match='modalities'):
        write_gate_report(fake_predictions(), ['a', 'b', 'c'],
                          ('rgb', 'ir', 'depth'), tmp_path)


def test_gate_weights_per_sensing_condition(tmp_path):
    samples = fake_predictions()
    for index, sample in enumerate(samples):
        sample.update(
            participant_id=1,
            recording='vp1/run1',
            chunk_id=0,
            annotation_id=index)
    chunk_conditions = {
        (1, 'vp1/run1', 0, 0): 'kinect_ir:noise',
        (1, 'vp1/run1', 1, 0): 'clean',
        (1, 'vp1/run1', 2, 0): 'kinect_ir:noise',
        (1, 'vp1/run1', 3, 0): 'clean'
    }
    conditions = prediction_conditions(samples, chunk_conditions)
    assert conditions == ['kinect_ir:noise', 'clean'] * 2
    files = write_gate_report(samples, ['drinking', 'eating', 'writing'],
                              ('rgb', 'ir'), tmp_path, conditions)
    assert (tmp_path / 'gate_weights_per_condition.png').read_bytes()[:4] == \
        b'\x89PNG'
    assert len(files) == 8
    svg = write_gate_report(
        samples, ['drinking', 'eating', 'writing'], ('rgb', 'ir'),
        tmp_path / 'svg',
        conditions,
        plot_format='svg')
    assert sorted(path.name for path in svg if path.suffix == '.svg') == [
        'confusion_matrix.svg', 'gate_weights_per_class.svg',
        'gate_weights_per_condition.svg'
    ]
    assert b'<svg' in (tmp_path / 'svg' /
                       'gate_weights_per_condition.svg').read_bytes()[:1000]
    rows = list(csv.reader(open(tmp_path / 'gate_weights_per_condition.csv')))
    assert rows == [['condition', 'samples', 'top1', 'gate rgb', 'gate ir'],
                    ['clean', '2', '0.5', '0.45', '0.55'],
                    ['kinect_ir:noise', '2', '1.0', '0.45', '0.55']]
    del samples[1]['recording']
    with pytest.raises(KeyError, match=r"prediction 1 has no \['recording'\]"):
        prediction_conditions(samples, chunk_conditions)
    samples[1]['recording'] = 'vp9/other'
    with pytest.raises(KeyError, match='not in the metadata'):
        prediction_conditions(samples, chunk_conditions)
