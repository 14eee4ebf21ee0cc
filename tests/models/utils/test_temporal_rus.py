import numpy as np
import pytest
import torch

from mome_mmaction.models.utils import (estimate_temporal_rus,
                                        load_temporal_rus, save_temporal_rus)
from tests.conftest import PickledCodeMarker


@pytest.fixture(autouse=True)
def single_thread():
    """The discriminators are tiny: one thread avoids intra-op overhead
    (tens of seconds on a loaded 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def informative_tokens(num_samples=96, num_frames=3, channels=4, seed=0):
    """Modality 0 shows the label from frame 1 on, modality 1 is noise,
    modality 2 copies modality 0 (fully redundant with it)."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(num_samples) % 2
    tokens = torch.randn(
        num_samples, 3, num_frames, channels, generator=generator) * 0.1
    tokens[:, 0, 1:, 0] += (labels.float() * 2 - 1).view(-1, 1) * 3
    tokens[:, 2] = tokens[:, 0]
    return tokens, labels


def test_estimate_shapes_and_values():
    tokens, labels = informative_tokens()
    rus = estimate_temporal_rus(tokens, labels, num_classes=2, steps=60)
    assert rus['U'].shape == (3, 3)
    assert rus['R'].shape == rus['S'].shape == rus['mi_pair'].shape == (3, 3,
                                                                        3)
    assert float(rus['label_entropy']) == pytest.approx(1., abs=0.02)
    # Frame 0 tells nothing; from frame 1 on modality 0 (and its copy) does.
    assert rus['mi_single'][0, 0] < 0.3
    assert rus['mi_single'][0, 2] > 0.7 and rus['mi_single'][2, 2] > 0.7
    assert rus['mi_single'][1].max() < 0.3
    # Modalities 0 and 2 are redundant, 1 adds nothing to either.
    assert rus['R'][0, 2, 2] > 0.7 and rus['R'][0, 1, 2] < 0.3
    assert rus['U'][1].max() < 0.3
    assert (rus['S'] >= 0).all() and (rus['U'] >= 0).all()
    torch.testing.assert_close(rus['R'], rus['R'].transpose(0, 1))
    assert rus['R'].diagonal().abs().sum() == 0


def test_estimate_with_lag_and_bad_inputs():
    tokens, labels = informative_tokens(num_samples=16)
    rus = estimate_temporal_rus(tokens, labels, 2, lag=1, steps=5)
    assert rus['S'].shape == (3, 3, 3) and float(rus['lag']) == 1
    with pytest.raises(ValueError, match='lag'):
        estimate_temporal_rus(tokens, labels, 2, lag=3)
    with pytest.raises(ValueError, match=r'\[0, 2\)'):
        estimate_temporal_rus(tokens, labels + 1, 2)
    with pytest.raises(ValueError, match=r'\(S, N, T, C\)'):
        estimate_temporal_rus(tokens[:, 0], labels, 2)


def test_save_load_round_trip_without_pickle(tmp_path):
    rus = dict(
        U=torch.rand(3, 4),
        R=torch.rand(3, 3, 4),
        S=torch.rand(3, 3, 4),
        label_entropy=torch.tensor(2.))
    path = save_temporal_rus(tmp_path / 'rus', rus, ['rgb', 'ir', 'depth'])
    assert path.name == 'rus.npz'
    with np.load(path, allow_pickle=False) as archive:
        assert archive['modalities'].tolist() == ['rgb', 'ir', 'depth']
    loaded = load_temporal_rus(path, num_modalities=3, num_frames=4)
    assert set(loaded) == {'U', 'R', 'S'}
    for key in loaded:
        torch.testing.assert_close(loaded[key], rus[key])
    with pytest.raises(ValueError, match='T=5'):
        load_temporal_rus(path, num_frames=5)
    with pytest.raises(ValueError, match='non-finite'):
        save_temporal_rus(tmp_path / 'nan.npz',
                          dict(rus, U=torch.full((3, 4), float('nan'))),
                          ['rgb', 'ir', 'depth'])


def test_a_rus_file_with_a_pickled_object_is_refused_without_running(tmp_path):
    marker = tmp_path / 'ran'
    path = tmp_path / 'evil.npz'
    np.savez(path, U=np.array([PickledCodeMarker(marker)], dtype=object))
    with pytest.raises(
            ValueError,
            match=f'RUS file {path} is not a readable'
            r'.*allow_pickle=False'):
        load_temporal_rus(path)
    assert not marker.exists()
