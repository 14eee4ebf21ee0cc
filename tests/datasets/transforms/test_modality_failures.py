import numpy as np
import pytest
from mmaction.registry import TRANSFORMS

import mome_mmaction  # noqa: F401


def sample(seed: int = 0):
    """A packed-looking sample: (num_clips, C, T, H, W) uint8 per modality."""
    rng = np.random.default_rng(seed)
    return {
        key: rng.integers(30, 226, (1, 3, 4, 32, 32), dtype=np.uint8)
        for key in ('rgb', 'ir', 'depth')
    }


@pytest.mark.parametrize('transform', [
    dict(type='DropModality', modality='ir'),
    dict(type='CorruptModality', modality='ir', kind='darken', severity=0.8),
    dict(type='CorruptModality', modality='ir', kind='noise', severity=0.2),
    dict(
        type='CorruptModality', modality='ir', kind='occlusion', severity=0.5),
])
def test_failure_changes_only_its_modality(transform):
    clean = sample()
    failed = TRANSFORMS.build(transform)(sample())
    assert not np.array_equal(failed['ir'], clean['ir'])
    assert failed['ir'].dtype == clean['ir'].dtype
    assert failed['ir'].shape == clean['ir'].shape
    for key in ('rgb', 'depth'):
        assert np.array_equal(failed[key], clean[key])


def test_each_failure_does_what_it_says():
    clean = sample()
    assert not TRANSFORMS.build(dict(type='DropModality', modality='rgb'))(
        sample())['rgb'].any()
    dark = TRANSFORMS.build(
        dict(
            type='CorruptModality',
            modality='rgb',
            kind='darken',
            severity=0.75))(sample())['rgb']
    np.testing.assert_allclose(
        dark, (clean['rgb'] * 0.25).astype(np.uint8), atol=1)
    np.random.seed(0)
    occluded = TRANSFORMS.build(
        dict(
            type='CorruptModality',
            modality='rgb',
            kind='occlusion',
            severity=0.25,
            num_blocks=1))(sample())['rgb']
    black = occluded == 0
    # One 8x8 black square, the same in every clip, channel and frame.
    assert black.sum() == 8 * 8 * 3 * 4
    assert (black == black[:, :1, :1]).all()
    noisy = TRANSFORMS.build(
        dict(
            type='CorruptModality', modality='rgb', kind='noise',
            severity=0.1))(sample())['rgb'].astype(float)
    assert 15 < np.std(noisy - clean['rgb']) < 30
    assert noisy.min() >= 0 and noisy.max() <= 255


def test_modality_dropout_drops_at_most_one():
    dropout = TRANSFORMS.build(
        dict(type='ModalityDropout', modalities=('rgb', 'ir', 'depth'), p=1.0))
    np.random.seed(0)
    dropped_keys = set()
    for _ in range(30):
        results = dropout(sample())
        dropped = [
            key for key in ('rgb', 'ir', 'depth') if not results[key].any()
        ]
        assert len(dropped) == 1
        dropped_keys.update(dropped)
    assert dropped_keys == {'rgb', 'ir', 'depth'}
    never = TRANSFORMS.build(
        dict(type='ModalityDropout', modalities=('rgb', 'ir'), p=0.0))
    results = never(sample())
    assert all(results[key].any() for key in ('rgb', 'ir'))


def test_bad_arguments_and_missing_modality_are_clear():
    with pytest.raises(KeyError, match="no modality 'thermal'"):
        TRANSFORMS.build(dict(type='DropModality', modality='thermal'))(
            sample())
    with pytest.raises(ValueError, match='kind must be one of'):
        TRANSFORMS.build(
            dict(type='CorruptModality', modality='ir', kind='fog'))
    with pytest.raises(ValueError, match='severity'):
        TRANSFORMS.build(
            dict(
                type='CorruptModality',
                modality='ir',
                kind='noise',
                severity=2))
    with pytest.raises(ValueError, match='at least 2 modalities'):
        TRANSFORMS.build(dict(type='ModalityDropout', modalities=('ir', )))


def test_masked_drop_marks_the_camera_offline():
    dropped = TRANSFORMS.build(
        dict(type='DropModality', modality='ir', mask=True))(
            sample())
    assert not dropped['ir'].any()
    assert dropped['modality_mask'] == dict(ir=False)
    both = TRANSFORMS.build(
        dict(type='DropModality', modality='rgb', mask=True))(
            dropped)
    assert both['modality_mask'] == dict(ir=False, rgb=False)
    unmasked = TRANSFORMS.build(dict(type='DropModality', modality='ir'))(
        sample())
    assert 'modality_mask' not in unmasked


def test_masked_modality_dropout_marks_what_it_dropped():
    np.random.seed(0)
    dropout = TRANSFORMS.build(
        dict(
            type='ModalityDropout', modalities=('rgb', 'ir'), p=1., mask=True))
    for _ in range(5):
        result = dropout(sample())
        (offline, ), = [list(result['modality_mask'])]
        assert result['modality_mask'] == {offline: False}
        assert not result[offline].any()
