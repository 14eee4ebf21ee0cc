import copy
import torch
from mmaction.models.recognizers import Recognizer3D
from mmaction.registry import MODELS
from mmaction.utils import ConfigType, OptConfigType, OptSampleList
from typing import Dict, Sequence

from ...utils.modalities import (build_data_preprocessor, check_input_keys,
                                 normalize_modalities)
from ..utils.channel_inflation import inflate_input_channels
from ..utils.pretrained import check_pretrained_files, load_report


@MODELS.register_module()
class EarlyFusionRecognizer(Recognizer3D):
    """Early fusion: modalities concatenated on channels into one backbone.

    The clips of ``modalities`` (each (B, num_clips, C, T, H, W)) are
    concatenated in that order into (B, num_clips, N*C, T, H, W) and fed to
    one backbone, as in MMAction2's :class:`Recognizer3D`. The backbone's
    patch embedding (``patch_embed_path``) is widened to N*C input channels
    by tiling its kernel over the modalities (scaled by 1/N), also for
    C-channel kernels loaded from a checkpoint (e.g. the Kinetics-710
    UniFormerV2 file via ``init_cfg=dict(type='Pretrained', ...)``), so the
    pretrained embedding is kept, not re-initialized.

    Args:
        backbone (dict): Backbone config (e.g. ``UniFormerV2``).
        cls_head (dict): Classification head config (e.g.
            ``UniFormerHead``).
        modalities (Sequence[str]): Input keys, concatenated in this order.
            Defaults to ``('rgb', 'ir', 'depth')``.
        patch_embed_path (str): Path of the input convolution in the
            backbone. Defaults to ``'conv1'`` (UniFormerV2).
        neck (dict, optional): Defaults to None.
        train_cfg (dict, optional): Defaults to None.
        test_cfg (dict, optional): Defaults to None.
        data_preprocessor (dict, optional): Defaults to a
            ``MultiModalDataPreprocessor`` that only stacks each modality.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 backbone: ConfigType,
                 cls_head: ConfigType,
                 modalities: Sequence[str] = ('rgb', 'ir', 'depth'),
                 patch_embed_path: str = 'conv1',
                 neck: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        modalities = normalize_modalities(modalities)
        data_preprocessor = build_data_preprocessor(data_preprocessor,
                                                    modalities)
        super().__init__(
            backbone=backbone,
            cls_head=cls_head,
            neck=neck,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor)
        self.init_cfg = copy.deepcopy(init_cfg)
        self.modalities = modalities
        self.patch_embed_path = patch_embed_path
        inflate_input_channels(self.backbone, patch_embed_path,
                               len(modalities))

    def init_weights(self) -> None:
        """Check the pretrained file exists; log the load report."""
        check_pretrained_files(self.backbone, owner='early-fusion backbone')
        with load_report(self.backbone, owner='early-fusion backbone'):
            super().init_weights()

    def extract_feat(self,
                     inputs: Dict[str, torch.Tensor],
                     stage: str = 'neck',
                     data_samples: OptSampleList = None,
                     test_mode: bool = False) -> tuple:
        """Concatenate the modalities on channels, then as ``Recognizer3D``.

        Args:
            inputs (dict[str, torch.Tensor]): Clips per modality of shape
                (B, num_clips, C, T, H, W); keys must equal ``modalities``.

        Returns:
            tuple: Features and keyword arguments for the head, as
            :meth:`Recognizer3D.extract_feat`.
        """
        check_input_keys(inputs, self.modalities, type(self).__name__)
        shapes = {  # ints: under torch.jit tracing sizes are tensors
            name:
            tuple(
                int(size)
                for size in inputs[name].shape[:2] + inputs[name].shape[3:])
            for name in self.modalities
        }
        if len(set(shapes.values())) > 1:
            raise ValueError(
                'Early fusion needs every modality with the same '
                '(B, num_clips, T, H, W) to concatenate channels, got '
                f'{shapes}')
        # N x (B, num_clips, C, T, H, W) -> (B, num_clips, N*C, T, H, W)
        fused = torch.cat([inputs[name] for name in self.modalities], dim=2)
        return super().extract_feat(
            fused, stage=stage, data_samples=data_samples, test_mode=test_mode)
