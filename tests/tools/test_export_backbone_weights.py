"""tools/export_backbone_weights.py: backbone-only, weights-only files."""
import hashlib
import pytest
import runpy
import sys
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.registry import init_default_scope

from tests.conftest import REPO_ROOT

TOOL = REPO_ROOT / 'tools' / 'export_backbone_weights.py'
MODEL_BASE = REPO_ROOT / 'configs/_base_/models/uniformerv2_tiny_p16_w128.py'


def _model(**backbone):
    cfg = Config.fromfile(MODEL_BASE).model
    cfg.backbone.update(backbone)
    return MODELS.build(cfg)


def _export(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, 'argv', [str(TOOL), *map(str, args)])
    runpy.run_path(str(TOOL), run_name='__main__')
    return capsys.readouterr().out


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A tiny recognizer and its checkpoint as mmengine's CheckpointHook
    writes it (meta, optimizer state, a message hub of HistoryBuffers)."""
    init_default_scope('mmaction')  # before the per-test scope fixture
    torch.manual_seed(0)
    model = _model()
    optimizer = torch.optim.AdamW(model.parameters())
    model.backbone(torch.randn(2, 3, 8, 64, 64)).sum().backward()
    optimizer.step()
    loss = HistoryBuffer()
    loss.update(4.2)
    path = tmp_path_factory.mktemp('work_dir') / 'best_acc_top1_epoch_3.pth'
    torch.save(
        dict(
            meta=dict(epoch=3, iter=540, seed=0),
            state_dict=model.state_dict(),
            optimizer=optimizer.state_dict(),
            message_hub=dict(log_scalars={'train/loss': loss})), path)
    return model, path


def test_exports_backbone_loadable_weights_only_as_pretrained(
        trained, tmp_path, monkeypatch, capsys):
    model, checkpoint = trained
    out = tmp_path / 'checkpoints' / 'tiny.pth'
    output = _export(monkeypatch, capsys, checkpoint, out)
    exported = torch.load(out, weights_only=True)
    source = model.backbone.state_dict()
    assert set(exported['state_dict']) == {f'backbone.{k}' for k in source}
    for key, value in source.items():
        weights = exported['state_dict'][f'backbone.{key}']
        assert weights.dtype == torch.float32
        torch.testing.assert_close(weights, value, rtol=0, atol=0)
    assert exported['meta'] == dict(
        source=checkpoint.name,
        prefix='backbone.',
        dtype='float32',
        epoch=3,
        iter=540)
    assert f'sha256 {hashlib.sha256(out.read_bytes()).hexdigest()}' in output
    assert f'size {out.stat().st_size} bytes' in output
    assert out.stat().st_size <= 8 * 2**20
    # Loaded exactly as the experts load MMAction2's Kinetics-710 file.
    torch.manual_seed(1)
    fresh = _model(
        init_cfg=dict(
            type='Pretrained', checkpoint=str(out), prefix='backbone.'))
    fresh.init_weights()
    for key, value in fresh.backbone.state_dict().items():
        torch.testing.assert_close(value, source[key], rtol=0, atol=0)
    incompatible = fresh.backbone.load_state_dict(
        {
            key[len('backbone.'):]: value
            for key, value in exported['state_dict'].items()
        },
        strict=True)
    assert not incompatible.missing_keys
    assert not incompatible.unexpected_keys


def test_float16_halves_the_file(trained, tmp_path, monkeypatch, capsys):
    model, checkpoint = trained
    full, half = tmp_path / 'full.pth', tmp_path / 'half.pth'
    _export(monkeypatch, capsys, checkpoint, full)
    _export(monkeypatch, capsys, checkpoint, half, '--dtype', 'float16')
    weights = torch.load(half, weights_only=True)['state_dict']
    assert {value.dtype for value in weights.values()} == {torch.float16}
    assert half.stat().st_size < 0.55 * full.stat().st_size
    fresh = _model()
    fresh.backbone.load_state_dict(
        {
            key[len('backbone.'):]: value
            for key, value in weights.items()
        },
        strict=True)
    torch.testing.assert_close(
        fresh.backbone.conv1.weight,
        model.backbone.conv1.weight,
        rtol=1e-3,
        atol=1e-4)


def test_prefix_without_keys_is_an_error(trained, tmp_path, monkeypatch,
                                         capsys):
    _, checkpoint = trained
    with pytest.raises(SystemExit, match=r"'neck\.'.*'backbone', 'cls_head'"):
        _export(monkeypatch, capsys, checkpoint, tmp_path / 'out.pth',
                '--prefix', 'neck.')
    assert not (tmp_path / 'out.pth').exists()
