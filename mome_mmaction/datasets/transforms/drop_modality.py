"""Test-time sensor failure: one modality delivers black frames."""
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from typing import Dict

from ...utils.modalities import modality_array


@TRANSFORMS.register_module()
class DropModality(BaseTransform):
    """Replace one modality's frames by zeros (a dead or unplugged camera).

    Place after ``SynchronizedModalityTransforms`` and before
    ``PackActionInputs``. Other modalities are untouched.

    Args:
        modality (str): Input key of the failing modality, e.g. ``'ir'``.
    """

    def __init__(self, modality: str) -> None:
        self.modality = modality

    def transform(self, results: Dict) -> Dict:
        """Zero ``results[modality]`` of shape (num_clips, C, T, H, W)."""
        frames = modality_array(results, self.modality, 'DropModality')
        results[self.modality] = np.zeros_like(frames)
        return results

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(modality='{self.modality}')"
