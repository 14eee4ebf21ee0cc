import functools
import http.server
import os
import pytest
import threading
import torch
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import CheckpointLoader, load_checkpoint
from torch import nn

import mome_mmaction  # noqa: F401
from mome_mmaction.utils import (UnsafeCheckpointError,
                                 load_checkpoint_weights_only)
from mome_mmaction.utils.safe_checkpoint import HistoryBuffer
from tests.conftest import PickledCodeMarker


def mmengine_style_checkpoint(model: nn.Module) -> dict:
    """What mmengine's Runner writes: weights, meta, message hub, optimizer."""
    hub = MessageHub('safe_checkpoint_test')
    for value in (0.5, 0.25):
        hub.update_scalar('train/loss', value)
    hub.update_info('iter', 3)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    model(torch.ones(1, 2)).sum().backward()
    optimizer.step()
    return dict(
        meta=dict(epoch=1, iter=3, seed=0, mmengine_version='0.10.7'),
        state_dict=model.state_dict(),
        message_hub=hub.state_dict(),
        optimizer=optimizer.state_dict())


def test_mmengine_checkpoint_loads_weights_only(tmp_path):
    model = nn.Linear(2, 2)
    path = tmp_path / 'epoch_1.pth'
    torch.save(mmengine_style_checkpoint(model), path)
    checkpoint = load_checkpoint_weights_only(str(path))
    history = checkpoint['message_hub']['log_scalars']['train/loss']
    assert isinstance(history, HistoryBuffer)
    assert history.mean() == pytest.approx(0.375)
    assert torch.equal(checkpoint['state_dict']['weight'], model.weight)


def test_mmengine_local_loader_is_ours():
    assert CheckpointLoader._get_checkpoint_loader(
        '/some/local/file.pth') is load_checkpoint_weights_only


def test_load_from_a_normal_checkpoint_works(tmp_path):
    source, target = nn.Linear(2, 2), nn.Linear(2, 2)
    path = tmp_path / 'model.pth'
    torch.save(mmengine_style_checkpoint(source), path)
    load_checkpoint(target, str(path), map_location='cpu')
    assert torch.equal(target.weight, source.weight)


def test_pickled_callable_is_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, hook=os.system), path)
    with pytest.raises(UnsafeCheckpointError) as error:
        load_checkpoint(nn.Linear(2, 2), str(path))
    message = str(error.value)
    assert str(path) in message
    assert 'posix.system' in message or 'os.system' in message
    assert 'weights-only' in message


class Payload:
    """A class whose unpickling would call ``getattr(ndarray, 'tofile')``."""

    def __reduce__(self):
        import numpy as np
        return getattr, (np.ndarray, 'tofile')


def test_getattr_is_limited_to_history_buffer_statistics(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save(dict(state_dict={}, payload=Payload()), path)
    with pytest.raises(UnsafeCheckpointError, match=str(path)):
        load_checkpoint_weights_only(str(path))


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        load_checkpoint_weights_only(str(tmp_path / 'missing.pth'))


@pytest.fixture
def http_root(tmp_path):
    """``(folder, url)``: a folder served over HTTP on localhost, and a
    torch.hub cache of its own."""
    served = tmp_path / 'served'
    served.mkdir()
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hub_dir = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / 'hub'))
    yield served, f'http://127.0.0.1:{server.server_address[1]}'
    torch.hub.set_dir(hub_dir)
    server.shutdown()


def test_http_checkpoints_load_weights_only_with_our_types(http_root):
    served, url = http_root
    source = nn.Linear(2, 2)
    torch.save(mmengine_style_checkpoint(source), served / 'good.pth')
    target = nn.Linear(2, 2)
    load_checkpoint(target, f'{url}/good.pth', map_location='cpu')
    assert torch.equal(target.weight, source.weight)


def test_an_http_checkpoint_with_code_is_refused_without_running(
        http_root, tmp_path):
    served, url = http_root
    marker = tmp_path / 'ran'
    torch.save(
        dict(state_dict={}, payload=PickledCodeMarker(marker)),
        served / 'evil.pth')
    with pytest.raises(UnsafeCheckpointError) as error:
        load_checkpoint(nn.Linear(2, 2), f'{url}/evil.pth')
    assert f'{url}/evil.pth' in str(error.value)
    assert 'contains `exec`' in str(error.value)
    assert not marker.exists()
