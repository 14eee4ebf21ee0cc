import json
import pytest
from mmengine.config import Config

from mome_mmaction.datasets.driveact_dataset import DRIVEACT_MIDLEVEL_CLASSES
from mome_mmaction.models.utils.label_descriptions import (
    DEFAULT_LABEL_DESCRIPTIONS, load_label_descriptions)
from tests.conftest import REPO_ROOT


def write_json(path, content):
    path.write_text(json.dumps(content))
    return path


def test_shipped_file_describes_every_driveact_class_in_order():
    assert DEFAULT_LABEL_DESCRIPTIONS.is_file()
    descriptions = load_label_descriptions(DEFAULT_LABEL_DESCRIPTIONS,
                                           DRIVEACT_MIDLEVEL_CLASSES)
    assert len(descriptions) == 34
    shipped = json.loads(DEFAULT_LABEL_DESCRIPTIONS.read_text())
    assert set(shipped) == set(DRIVEACT_MIDLEVEL_CLASSES)
    assert descriptions == [
        shipped[name] for name in DRIVEACT_MIDLEVEL_CLASSES
    ]
    assert len(set(descriptions)) == 34


def test_shipped_file_describes_the_synthetic_classes():
    classes = Config.fromfile(REPO_ROOT / 'configs' / '_base_' / 'datasets' /
                              'synthetic_driveact.py').classes
    assert len(classes) == 10
    descriptions = load_label_descriptions(
        str(DEFAULT_LABEL_DESCRIPTIONS), classes)
    assert 'seat belt' in descriptions[classes.index('fastening_seat_belt')]


def test_missing_classes_are_all_named_with_the_file(tmp_path):
    path = write_json(tmp_path / 'partial.json', dict(drinking='Drinks.'))
    with pytest.raises(
            ValueError,
            match=r"partial\.json has no description for 2 classes: "
            r"\['eating', 'writing'\]"):
        load_label_descriptions(path, ['drinking', 'eating', 'writing'])


def test_malformed_files_are_refused_naming_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='absent.json not found'):
        load_label_descriptions(tmp_path / 'absent.json', ['drinking'])
    (tmp_path / 'broken.json').write_text('{"drinking": "Drinks.",}')
    with pytest.raises(ValueError, match=r'broken\.json is not valid JSON'):
        load_label_descriptions(tmp_path / 'broken.json', ['drinking'])
    path = write_json(tmp_path / 'list.json', ['Drinks.'])
    with pytest.raises(
            ValueError, match=r'list\.json must hold a JSON '
            'object.*got list'):
        load_label_descriptions(path, ['drinking'])
    path = write_json(tmp_path / 'numbers.json', dict(drinking=3))
    with pytest.raises(ValueError, match=r'numbers\.json.*non-string'):
        load_label_descriptions(path, ['drinking'])
    path = write_json(tmp_path / 'empty.json', dict(drinking=' ', eating='x'))
    with pytest.raises(
            ValueError,
            match=r"empty\.json has empty descriptions for "
            r"\['drinking'\]"):
        load_label_descriptions(path, ['drinking', 'eating'])
