"""Training-time modality dropout: learn to do without a failed sensor."""
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from typing import Dict, Sequence

from ...utils.modalities import mark_offline, modality_array


@TRANSFORMS.register_module()
class ModalityDropout(BaseTransform):
    """With probability ``p``, zero one randomly chosen modality of a sample.

    At most one modality is dropped, so every sample keeps at least
    ``len(modalities) - 1`` working sensors. Use in training pipelines after
    ``SynchronizedModalityTransforms``; test-time failures are
    :class:`DropModality` / :class:`CorruptModality`.

    With ``mask=True`` the dropped modality is also marked offline in the
    sample's ``modality_mask`` (see :class:`DropModality`), so the gate
    learns with the weights it will use when a camera is known to be off.

    Args:
        modalities (Sequence[str]): Input keys that may be dropped.
        p (float): Probability that a sample loses a modality.
            Defaults to 0.3.
        mask (bool): Mark the dropped modality offline in
            ``results['modality_mask']``. Defaults to False.
    """

    def __init__(self,
                 modalities: Sequence[str],
                 p: float = 0.3,
                 mask: bool = False) -> None:
        if len(modalities) < 2:
            raise ValueError('ModalityDropout needs at least 2 modalities, '
                             f'got {list(modalities)}')
        if not 0 <= p <= 1:
            raise ValueError(f'ModalityDropout p must be in [0, 1], got {p}')
        self.modalities = tuple(modalities)
        self.p = p
        self.mask = mask

    def transform(self, results: Dict) -> Dict:
        """Zero at most one of ``results[modality]``."""
        if np.random.rand() < self.p:
            dropped = self.modalities[np.random.randint(len(self.modalities))]
            frames = modality_array(results, dropped, 'ModalityDropout')
            results[dropped] = np.zeros_like(frames)
            if self.mask:
                mark_offline(results, dropped)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(modalities={self.modalities}, '
                f'p={self.p}, mask={self.mask})')
