import math
import numpy as np
import pytest
import runpy
import shutil
import sys
from collections import Counter
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config, DictAction
from pathlib import Path

from mome_mmaction.datasets.class_weights import class_weights_from_counts
from mome_mmaction.datasets.synthetic import SYNTHETIC_DRIVEACT_CLASSES

ROOT = Path(__file__).parents[2]
TOOL = ROOT / 'tools' / 'analysis' / 'class_weights.py'
CONFIG = ROOT / 'configs' / 'synthetic' / 'mome_htl_synthetic.py'
VIEWS = dict(rgb='kinect_color', ir='kinect_ir', depth='kinect_depth')


def _csv(root, view):
    return (root / 'activities_3s' / view /
            'midlevel.chunks_90.split_0.train.csv')


@pytest.fixture
def imbalanced_root(synthetic_driveact_root, tmp_path):
    """The synthetic data with all but one chunk of one class removed."""
    root = tmp_path / 'driveact'
    shutil.copytree(synthetic_driveact_root, root)
    rare = SYNTHETIC_DRIVEACT_CLASSES[1]
    for view in VIEWS.values():
        lines = _csv(root, view).read_text().splitlines(keepends=True)
        rare_lines = [line for line in lines if f',{rare},' in line]
        assert len(rare_lines) > 2
        _csv(root, view).write_text(''.join(line for line in lines
                                            if line not in rare_lines[1:]))
    return root


def test_weights_by_hand():
    np.testing.assert_allclose(
        class_weights_from_counts([1, 4, 0]), [1.6, 0.4, 0.0])
    np.testing.assert_allclose(
        class_weights_from_counts([1, 4, 0], 'sqrt_inverse'),
        [4 / 3, 2 / 3, 0.0])
    with pytest.raises(ValueError, match='scheme must be one of'):
        class_weights_from_counts([1, 2], 'log')
    with pytest.raises(ValueError, match='non-negative'):
        class_weights_from_counts([1, -2])
    with pytest.raises(ValueError, match='at least one sample'):
        class_weights_from_counts([0, 0])


def test_class_balanced_dataset_wraps_driveact(imbalanced_root):
    inner = dict(
        type='DriveActDataset',
        data_root=str(imbalanced_root),
        split=0,
        subset='train',
        modalities=VIEWS,
        classes=SYNTHETIC_DRIVEACT_CLASSES,
        pipeline=[])
    dataset = DATASETS.build(inner)
    balanced = DATASETS.build(
        dict(type='ClassBalancedDataset', oversample_thr=1.0, dataset=inner))
    labels = [dataset.get_cat_ids(index)[0] for index in range(len(dataset))]
    frequency = {
        label: count / len(labels)
        for label, count in Counter(labels).items()
    }
    assert frequency[1] == 1 / len(labels)
    assert len(balanced) == sum(
        math.ceil(max(1.0, math.sqrt(1.0 / frequency[label])))
        for label in labels)
    balanced_labels = Counter(
        balanced.get_cat_ids(index)[0] for index in range(len(balanced)))
    assert balanced_labels[1] / len(balanced) > 2 * frequency[1]


def test_tool_prints_weights_the_loss_takes(imbalanced_root, monkeypatch,
                                            capsys):
    options = [f'train_dataloader.dataset.data_root={imbalanced_root}']
    monkeypatch.setattr(sys, 'argv', [
        str(TOOL),
        str(CONFIG), '--scheme', 'sqrt_inverse', '--cfg-options', *options
    ])
    runpy.run_path(str(TOOL), run_name='__main__')
    out = capsys.readouterr().out.splitlines()
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(dict(a.split('=', 1) for a in options))
    labels = [
        sample['label'] for sample in DATASETS.build(
            cfg.train_dataloader.dataset).load_data_list()
    ]
    counts = np.bincount(labels, minlength=len(cfg.classes))
    expected = class_weights_from_counts(counts, 'sqrt_inverse')
    rare_row = f'| {SYNTHETIC_DRIVEACT_CLASSES[1]} | 1 | {expected[1]:.4f} |'
    assert rare_row in out
    assert out[-2].startswith('in the config: model = dict(cls_head=dict(')
    options = [option.replace('"', '') for option in out[-1].split(' ')[1:]]
    action = DictAction(option_strings=[], dest='options')
    namespace = type('Namespace', (), {})()
    action(None, namespace, options)
    cfg.merge_from_dict(namespace.options)
    head = MODELS.build(cfg.model).cls_head
    np.testing.assert_allclose(
        head.loss_cls.class_weight.numpy(), expected, atol=1e-4)
