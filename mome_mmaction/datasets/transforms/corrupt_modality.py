"""Test-time sensor degradation of one modality: dark, noisy or occluded."""
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from typing import Dict

from ...utils.modalities import modality_array


@TRANSFORMS.register_module()
class CorruptModality(BaseTransform):
    """Degrade one modality's frames as a failing sensor would.

    Frames are pixel values in [0, 255] (before the data preprocessor's
    normalization) laid out with height and width last, e.g.
    (num_clips, C, T, H, W) after ``FormatShape('NCTHW')``; the dtype is kept.

    - ``'darken'``: multiply by ``1 - severity`` (night, covered lens).
    - ``'noise'``: add Gaussian noise of std ``severity * 255`` (sensor
      noise, glare flicker), clipped to [0, 255].
    - ``'occlusion'``: ``num_blocks`` black squares, each of side
      ``severity * min(H, W)``, at random places shared by all clips and
      frames (a hand or object in front of the camera; depth holes).

    Random draws use numpy's global generator, which MMAction2 seeds per
    worker, so a seeded test is reproducible.

    Args:
        modality (str): Input key of the degraded modality, e.g. ``'rgb'``.
        kind (str): ``'darken'``, ``'noise'`` or ``'occlusion'``.
        severity (float): In (0, 1]; see above.
        num_blocks (int): Number of occluding squares. Defaults to 2.
    """

    KINDS = ('darken', 'noise', 'occlusion')

    def __init__(self,
                 modality: str,
                 kind: str,
                 severity: float = 0.5,
                 num_blocks: int = 2) -> None:
        if kind not in self.KINDS:
            raise ValueError(f'CorruptModality kind must be one of '
                             f'{self.KINDS}, got {kind!r}')
        if not 0 < severity <= 1:
            raise ValueError(
                f'CorruptModality severity must be in (0, 1], got {severity}')
        self.modality = modality
        self.kind = kind
        self.severity = severity
        self.num_blocks = num_blocks

    def transform(self, results: Dict) -> Dict:
        """Degrade ``results[modality]``; other keys are untouched."""
        frames = modality_array(results, self.modality, 'CorruptModality')
        pixels = frames.astype(np.float32)
        if self.kind == 'darken':
            pixels *= 1 - self.severity
        elif self.kind == 'noise':
            pixels += np.random.normal(0, self.severity * 255, pixels.shape)
        else:
            height, width = pixels.shape[-2:]
            side = max(1, int(round(self.severity * min(height, width))))
            for _ in range(self.num_blocks):
                top = np.random.randint(0, height - side + 1)
                left = np.random.randint(0, width - side + 1)
                pixels[..., top:top + side, left:left + side] = 0
        results[self.modality] = np.clip(pixels, 0, 255).astype(frames.dtype)
        return results

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(modality='{self.modality}', "
                f"kind='{self.kind}', severity={self.severity})")
