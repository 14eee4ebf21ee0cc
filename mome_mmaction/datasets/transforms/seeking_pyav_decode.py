"""PyAVDecode of exactly the wanted frames, by seeking."""
import numpy as np
from mmaction.datasets.transforms import PyAVDecode
from mmaction.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SeekingPyAVDecode(PyAVDecode):
    """Decode ``frame_inds`` from the :class:`SeekableVideo` that
    :class:`CachedPyAVInit` opened: a seek to the keyframe before each run
    of wanted frames, then decoding forward to its last frame; the frames
    ``DecordDecode`` gives (RGB, uint8), in ``frame_inds`` order.

    Sets ``imgs``, ``original_shape`` and ``img_shape``; the reader stays
    open (its cache owns it) and ``video_reader`` is set to None as
    ``DecordDecode`` does.
    """

    def __init__(self) -> None:
        super().__init__(multi_thread=False, mode='accurate')

    def transform(self, results: dict) -> dict:
        """Decode the frames.

        Args:
            results (dict): With ``video_reader`` (a ``SeekableVideo``) and
                ``frame_inds``.

        Returns:
            dict: With ``imgs`` (list of (H, W, 3) uint8),
            ``original_shape`` and ``img_shape``.
        """
        frame_inds = np.asarray(results['frame_inds']).reshape(-1)
        imgs = results['video_reader'].read(frame_inds.tolist())
        results['imgs'] = imgs
        results['original_shape'] = imgs[0].shape[:2]
        results['img_shape'] = imgs[0].shape[:2]
        results['video_reader'] = None
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'
