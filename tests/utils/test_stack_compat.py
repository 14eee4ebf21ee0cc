import importlib.util
import pytest
import sys

import mome_mmaction  # noqa: F401
from mome_mmaction.utils import stack_compat


def test_mmaction_models_imports_after_mome_mmaction():
    import mmaction.models  # noqa: F401
    from mmaction.registry import MODELS
    assert MODELS.get('Recognizer3D') is not None
    assert MODELS.get('UniFormerV2') is not None


def test_stand_in_drn_only_where_the_wheel_lacks_it():
    if stack_compat._drn_package_missing():
        # The shipped 1.2.0 wheel: the stand-in is registered, and says why.
        from mmaction.models.localizers import DRN
        with pytest.raises(ImportError, match='not shipped'):
            DRN()
    # Already patched or complete: nothing more is done.
    assert stack_compat.patch_missing_drn() is False


def test_complete_install_is_left_untouched(tmp_path, monkeypatch):
    (tmp_path / 'mmaction' / 'models' / 'localizers' /
     'drn').mkdir(parents=True)
    spec = importlib.util.spec_from_file_location(
        'mmaction',
        tmp_path / 'mmaction' / '__init__.py',
        submodule_search_locations=[str(tmp_path / 'mmaction')])
    monkeypatch.setattr(stack_compat.importlib.util, 'find_spec',
                        lambda name: spec)
    monkeypatch.delitem(sys.modules, stack_compat.DRN_MODULE, raising=False)
    assert stack_compat._drn_package_missing() is False
    assert stack_compat.patch_missing_drn() is False
    assert stack_compat.DRN_MODULE not in sys.modules


def test_config_formatting_is_memoized_with_identical_text():
    calls = []

    def format_code(text, style_config=None):
        calls.append(text)
        return text.upper(), True

    memoized = stack_compat.memoized_format_code(format_code, max_entries=2)
    assert memoized('a = 1', style_config=dict(x=1)) == ('A = 1', True)
    assert memoized('a = 1', style_config=dict(x=1)) == ('A = 1', True)
    assert calls == ['a = 1']
    memoized('a = 1', style_config=dict(x=2))  # another style: formatted
    memoized('b = 2', style_config=dict(x=1))  # evicts the oldest entry
    memoized('a = 1', style_config=dict(x=1))
    assert calls == ['a = 1', 'a = 1', 'b = 2', 'a = 1']


def test_mmengine_pretty_text_uses_the_memo_and_keeps_its_output():
    from mmengine.config import Config
    from mmengine.config import config as mmengine_config
    assert hasattr(mmengine_config.FormatCode, '__wrapped__')
    cfg = Config(dict(model=dict(type='A', layers=[1, 2, 3]), lr=0.1))
    formatted = cfg.pretty_text
    assert cfg.pretty_text == formatted
    assert Config.fromstring(formatted, '.py').to_dict() == cfg.to_dict()
    assert stack_compat.memoize_config_formatting() is False
