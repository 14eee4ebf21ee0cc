"""Test-time sensor failure: one modality delivers black frames."""
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from typing import Dict

from ...utils.modalities import mark_offline, modality_array


@TRANSFORMS.register_module()
class DropModality(BaseTransform):
    """Replace one modality's frames by zeros (a dead or unplugged camera).

    Place after ``SynchronizedModalityTransforms`` and before
    ``PackActionInputs``. Other modalities are untouched.

    With ``mask=True`` the camera is known to be offline: the sample's
    ``modality_mask`` (a dict ``{modality: bool}``, True = online) marks it
    False, so a gate head gives its expert weight exactly 0 instead of
    guessing from a black clip. ``PackActionInputs`` must then list
    ``'modality_mask'`` in its ``meta_keys`` (``DriveActDataset`` checks).

    Args:
        modality (str): Input key of the failing modality, e.g. ``'ir'``.
        mask (bool): Also mark the modality offline in
            ``results['modality_mask']``. Defaults to False.
    """

    def __init__(self, modality: str, mask: bool = False) -> None:
        self.modality = modality
        self.mask = mask

    def transform(self, results: Dict) -> Dict:
        """Zero ``results[modality]`` of shape (num_clips, C, T, H, W)."""
        frames = modality_array(results, self.modality, 'DropModality')
        results[self.modality] = np.zeros_like(frames)
        if self.mask:
            mark_offline(results, self.modality)
        return results

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(modality='{self.modality}', "
                f'mask={self.mask})')
