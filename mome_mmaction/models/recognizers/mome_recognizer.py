import copy
import torch
from contextlib import ExitStack
from mmaction.models.recognizers import BaseRecognizer
from mmaction.registry import MODELS
from mmaction.utils import ConfigType, OptConfigType, OptSampleList, SampleList
from mmengine.model import merge_dict
from typing import Dict, Optional, Sequence, Tuple, Union

from ...utils.modalities import (build_data_preprocessor, check_input_keys,
                                 normalize_modalities)
from ..heads import TokenVotingGateHead
from ..utils.class_indices import batch_labels
from ..utils.modality_mask import check_modality_mask, sample_modality_mask
from ..utils.token_tap import TokenTap, resolve_blocks


@MODELS.register_module()
class MoMERecognizer(BaseRecognizer):
    """Mixture-of-Modality-Experts recognizer.

    One backbone (expert) per modality, built independently from
    ``backbone``; their outputs, stacked to (B, N, C) in ``modalities`` order,
    go to ``cls_head`` -- a :class:`TokenVotingGateHead` for MoME, or a
    baseline head (``InputGatedMoEHead``, ``LateFusionHead``).
    ``self.backbone`` is a :class:`ModalityExperts`;
    ``self.backbone.experts[m]`` is modality m's expert.

    Inputs are a dict ``{modality: (B, num_clips, C, T, H, W)}`` (what
    ``PackActionInputs(collect_keys=...)`` and ``MultiModalDataPreprocessor``
    give); clips are folded into the batch and averaged at test time by the
    head (``BaseHead.average_clip``), as in MMAction2.

    With ``htl_loss`` set, loss mode taps every expert's blocks
    (``<expert>.<token_tap_path>[i]``) during the forward and adds::

        self.htl_loss(block_cls_tokens, block_st_tokens, expert_outputs,
                      labels=labels)

    to the losses, where ``block_cls_tokens[n][l]`` is (B, C) and
    ``block_st_tokens[n][l]`` is a (B, T, HW, C) view of expert n, block l
    (shallow -> deep; ``block_st_tokens`` is None when the loss module has
    ``requires_st_tokens = False``), ``expert_outputs`` is (B, N, C) (what
    the head sees) and ``labels`` is (B,) long.
    Without ``htl_loss`` nothing is hooked, unless the head sets
    ``uses_frame_tokens = True`` (:class:`InteractionExpertsHead` over frame
    tokens, :class:`RUSGuidedMoEHead`): then the same single pass taps the
    experts and the head also gets ``frame_tokens`` (B, N, T, C), the
    per-frame class tokens of every expert's deepest tapped block. Heads
    with ``uses_modality_inputs = True`` (:class:`InputGatedMoEHead`) get
    the raw clips as ``modality_inputs``.

    Offline cameras: data samples may carry ``modality_mask`` (see
    :mod:`mome_mmaction.models.utils.modality_mask`; True = online). Heads
    with ``accepts_modality_mask = True`` (the gate heads) then get it as
    ``modality_mask`` (B*num_clips, N) and give offline experts weight
    exactly 0; an expert offline for the whole batch is not run at all (its
    output is zeros) unless the pass taps the experts (HTL, frame-token
    heads). Other heads refuse a mask with an offline camera.

    Args:
        backbone (dict): Expert config, built once per modality; or a dict
            mapping each modality to its own config.
        cls_head (dict): Head over the stacked expert outputs.
        modalities (Sequence[str]): Input keys, one expert each. Defaults to
            ``('rgb', 'ir', 'depth')``.
        htl_loss (dict, optional): Token-level loss module config (see above).
            Defaults to None.
        token_tap_path (str): Path of the block ``ModuleList`` inside each
            expert. Defaults to ``'transformer.resblocks'`` (UniFormerV2).
        shared_expert_init (bool): Start every expert from the first
            expert's initial weights (``ModalityExperts(shared_init=True)``),
            for experts trained from scratch. Defaults to False.
        expert_checkpoints (dict[str, str], optional): Two-stage recipe:
            the stage-1 checkpoint of each modality's expert (a
            ``Recognizer3D`` or single-expert ``MoMERecognizer`` file), e.g.
            ``dict(rgb='.../best_rgb.pth', ir=..., depth=...)``. Those
            experts skip their ``Pretrained`` init and load their backbone
            from the file in ``init_weights()`` (see
            ``ModalityExperts(expert_checkpoints=...)``). Defaults to None.
        with_cp (bool): Activation checkpointing of every expert block
            (those at ``token_tap_path``; ``ModalityExperts(with_cp=True)``):
            less memory, about one more forward of compute; HTL and the
            token tap work as without. Defaults to False.
        train_cfg (dict, optional): Defaults to None.
        test_cfg (dict, optional): Defaults to None.
        data_preprocessor (dict, optional): Defaults to a
            ``MultiModalDataPreprocessor`` that only stacks each modality
            (``ActionDataPreprocessor(format_shape='NCTHW')``).
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 backbone: Union[ConfigType, Dict[str, ConfigType]],
                 cls_head: ConfigType,
                 modalities: Sequence[str] = ('rgb', 'ir', 'depth'),
                 htl_loss: OptConfigType = None,
                 token_tap_path: str = 'transformer.resblocks',
                 shared_expert_init: bool = False,
                 expert_checkpoints: Optional[Dict[str, Optional[str]]] = None,
                 with_cp: bool = False,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        modalities = normalize_modalities(modalities)
        data_preprocessor = build_data_preprocessor(data_preprocessor,
                                                    modalities)
        super().__init__(
            backbone=dict(
                type='ModalityExperts',
                backbone=backbone,
                modalities=modalities,
                shared_init=shared_expert_init,
                expert_checkpoints=expert_checkpoints,
                with_cp=with_cp,
                cp_block_path=token_tap_path),
            cls_head=cls_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor)
        self.init_cfg = copy.deepcopy(init_cfg)
        self.modalities = modalities
        self.token_tap_path = token_tap_path
        head_experts = getattr(self.cls_head, 'num_experts', len(modalities))
        if head_experts != len(modalities):
            raise ValueError(
                f'cls_head {type(self.cls_head).__name__} has num_experts='
                f'{head_experts} but there are {len(modalities)} modalities '
                f'{modalities}')
        self.htl_loss = MODELS.build(htl_loss) if htl_loss else None
        if self.htl_loss is not None or self.with_frame_tokens:
            for name, expert in self.backbone.experts.items():
                resolve_blocks(expert, token_tap_path)  # fail early

    @property
    def with_htl_loss(self) -> bool:
        """bool: Whether a token-level loss is set."""
        return self.htl_loss is not None

    @property
    def with_frame_tokens(self) -> bool:
        """bool: Whether the head takes per-frame tokens (``frame_tokens``)."""
        return bool(getattr(self.cls_head, 'uses_frame_tokens', False))

    def extract_feat(self,
                     inputs: Dict[str, torch.Tensor],
                     stage: str = 'backbone',
                     data_samples: OptSampleList = None,
                     test_mode: bool = False,
                     return_taps: bool = False,
                     modality_mask: Optional[torch.Tensor] = None,
                     skip_offline_experts: bool = True) -> Tuple:
        """Run the experts (and the head, for ``stage='head'``).

        Args:
            inputs (dict[str, torch.Tensor]): Clips per modality of shape
                (B, num_clips, C, T, H, W); keys must equal ``modalities``.
            stage (str): 'backbone' for the stacked expert outputs, 'head'
                for the head's output. Defaults to 'backbone'.
            data_samples (list[ActionDataSample], optional): Read for their
                ``modality_mask`` when ``modality_mask`` is None.
            test_mode (bool): Unused; kept for MMAction2's interface.
            return_taps (bool): Also return the experts' :class:`TokenTap`
                of this pass (hooks already removed), in modality order.
                Defaults to False.
            modality_mask (torch.Tensor, optional): (B, N) bool, True =
                online, one row per sample (not per clip). Defaults to the
                data samples' masks.
            skip_offline_experts (bool): Do not run an expert that is
                offline in every sample (its output is zeros). Export
                passes False: a graph has no data-dependent branches.
                Defaults to True.

        Returns:
            tuple: Expert outputs (B*num_clips, N, C) -- or the head's output
            -- and a dict of keyword arguments for the head (``frame_tokens``
            of shape (B*num_clips, N, T, C) for heads that use frame tokens,
            ``modality_inputs`` for heads that use the raw clips,
            ``modality_mask`` (B*num_clips, N) for heads that accept one);
            then the taps if ``return_taps``.
        """
        check_input_keys(inputs, self.modalities, type(self).__name__)
        if modality_mask is None:
            modality_mask = sample_modality_mask(data_samples, self.modalities)
        # (B, num_clips, C, T, H, W) -> (B*num_clips, C, T, H, W)
        clips = {
            name: inputs[name].reshape((-1, ) + inputs[name].shape[2:])
            for name in self.modalities
        }
        # int(): under torch.jit tracing (FLOP counters) sizes are tensors
        batch_sizes = {
            name: int(clip.shape[0])
            for name, clip in clips.items()
        }
        if len(set(batch_sizes.values())) > 1:
            raise ValueError('Every modality needs the same batch size and '
                             f'number of clips, got {batch_sizes}')
        head_kwargs = dict()
        if getattr(self.cls_head, 'uses_modality_inputs', False):
            head_kwargs['modality_inputs'] = [
                clips[name] for name in self.modalities
            ]
        tapped = return_taps or self.with_frame_tokens
        offline = []
        if modality_mask is not None:
            clip_mask = self._clip_modality_mask(
                modality_mask, tuple(inputs[self.modalities[0]].shape[:2]),
                clips[self.modalities[0]].device)
            if getattr(self.cls_head, 'accepts_modality_mask', False):
                head_kwargs['modality_mask'] = clip_mask
            if skip_offline_experts and not tapped:
                offline = [
                    name for index, name in enumerate(self.modalities)
                    if not bool(modality_mask[:, index].any())
                ]
        taps = []
        with ExitStack() as taps_open:
            if tapped:
                taps = [
                    taps_open.enter_context(
                        TokenTap(expert, self.token_tap_path))
                    for expert in self.backbone.experts.values()
                ]
            expert_outputs = self.backbone(clips, skip=offline)
        if self.with_frame_tokens:
            head_kwargs['frame_tokens'] = self.deepest_frame_tokens(taps)
        if stage == 'head':
            outputs = self.cls_head(expert_outputs, **head_kwargs)
        else:
            outputs = expert_outputs
        if return_taps:
            return outputs, head_kwargs, taps
        return outputs, head_kwargs

    def _clip_modality_mask(self, modality_mask: torch.Tensor,
                            batch_and_clips: Tuple[int, int],
                            device: torch.device) -> torch.Tensor:
        """The per-sample mask (B, N) repeated for every clip, checked
        against the inputs' (B, num_clips) and the head.

        Returns:
            torch.Tensor: (B*num_clips, N) bool, sample-major like the clips.
        """
        check_modality_mask(modality_mask, len(self.modalities))
        batch_size, num_clips = (int(size) for size in batch_and_clips)
        if int(modality_mask.shape[0]) != batch_size:
            raise ValueError(
                f'modality_mask has {int(modality_mask.shape[0])} rows for a '
                f'batch of {batch_size} samples')
        if not getattr(self.cls_head, 'accepts_modality_mask', False) and \
                not bool(modality_mask.all()):
            raise ValueError(
                f'{type(self.cls_head).__name__} cannot take a modality_mask '
                'with offline cameras: only the gate heads '
                '(TokenVotingGateHead, InputGatedMoEHead) can give an '
                'expert zero weight. Drop the camera with '
                'DropModality(mask=False) (black frames) instead.')
        return modality_mask.to(device).repeat_interleave(num_clips, dim=0)

    def predict(self, inputs: Dict[str, torch.Tensor],
                data_samples: SampleList, **kwargs) -> SampleList:
        """Predict, reading each sample's ``modality_mask`` if it has one.

        Args:
            inputs (dict[str, torch.Tensor]): Clips per modality of shape
                (B, num_clips, C, T, H, W).
            data_samples (list[ActionDataSample]): B samples.

        Returns:
            list[ActionDataSample]: With ``pred_score``, ``pred_label`` and
            whatever the head adds (``gate_weights``, ...).
        """
        feats, predict_kwargs = self.extract_feat(
            inputs, test_mode=True, data_samples=data_samples)
        return self.cls_head.predict(feats, data_samples, **predict_kwargs)

    @staticmethod
    def deepest_frame_tokens(taps: Sequence[TokenTap]) -> torch.Tensor:
        """Per-frame class tokens of each expert's deepest tapped block.

        Args:
            taps (Sequence[TokenTap]): One tap per expert, after a forward.

        Returns:
            torch.Tensor: Shape (B, N, T, C), experts in ``taps`` order.
        """
        return torch.stack([tap.frame_class_tokens()[-1] for tap in taps],
                           dim=1)

    def loss(self, inputs: Dict[str, torch.Tensor], data_samples: SampleList,
             **kwargs) -> Dict[str, torch.Tensor]:
        """Head losses, plus the token-level loss when ``htl_loss`` is set.

        The token-level loss is called as::

            self.htl_loss(block_cls_tokens, block_st_tokens, expert_outputs,
                          labels=labels)

        (shapes in the class docstring). A loss whose ``requires_cls_scores``
        is True (:class:`ClassTokenSelfDistillLoss` with
        ``target='prediction'``) also gets ``cls_scores=``: the logits
        the head computed in its own ``loss`` call of this pass, (B, K), or
        (B, N, K) for a head that classifies each expert
        (``LateFusionHead``); the head runs once. A loss whose
        ``requires_expert_logits`` is True (:class:`HTLLoss` with
        ``inter_target='predictions'``) also gets ``expert_logits=``: each
        expert's token through the head's shared classifier, (B, N, K),
        from the head's ``expert_logits``. They are captured from the
        head's forward (its output, or the first element of a tuple), so
        the head's ``loss`` must call its forward exactly once.

        Args:
            inputs (dict[str, torch.Tensor]): Clips per modality of shape
                (B, num_clips, C, T, H, W).
            data_samples (list[ActionDataSample]): Samples with ``gt_label``.

        Returns:
            dict[str, torch.Tensor]: Loss terms (keys containing 'loss' are
            summed by mmengine) and logged statistics.
        """
        if not self.with_htl_loss:
            return super().loss(inputs, data_samples, **kwargs)
        expert_outputs, head_kwargs, taps = self.extract_feat(
            inputs, data_samples=data_samples, return_taps=True)
        token_kwargs = dict(labels=batch_labels(data_samples))
        if getattr(self.htl_loss, 'requires_cls_scores', False):
            losses, token_kwargs['cls_scores'] = self._head_loss_and_logits(
                expert_outputs, data_samples, head_kwargs)
        else:
            losses = self.cls_head.loss(expert_outputs, data_samples,
                                        **head_kwargs)
        block_cls_tokens = [tap.class_tokens() for tap in taps]
        block_st_tokens = None
        if getattr(self.htl_loss, 'requires_expert_logits', False):
            token_kwargs['expert_logits'] = self._expert_logits(expert_outputs)
        if getattr(self.htl_loss, 'requires_st_tokens', True):
            block_st_tokens = [tap.st_tokens() for tap in taps]
        token_losses = self.htl_loss(block_cls_tokens, block_st_tokens,
                                     expert_outputs, **token_kwargs)
        return merge_dict(losses, token_losses)

    def _expert_logits(self, expert_outputs: torch.Tensor) -> torch.Tensor:
        """Each expert's token through the head's shared classifier.

        Args:
            expert_outputs (torch.Tensor): Shape (B, N, C).

        Returns:
            torch.Tensor: Shape (B, N, K), with its graph.

        Raises:
            TypeError: The head is not a :class:`TokenVotingGateHead` (the
                heads whose ``expert_logits`` classify each token alone with
                the shared classifier; ``InteractionExpertsHead``'s takes
                other arguments).
        """
        if not isinstance(self.cls_head, TokenVotingGateHead):
            raise TypeError(
                f'{type(self.htl_loss).__name__} needs each expert\'s '
                'prediction through a shared classifier, but '
                f'{type(self.cls_head).__name__} has no expert_logits of '
                'one; use a TokenVotingGateHead (or a subclass)')
        return self.cls_head.expert_logits(expert_outputs)

    def _head_loss_and_logits(
            self, expert_outputs: torch.Tensor, data_samples: SampleList,
            head_kwargs: dict) -> Tuple[Dict[str, torch.Tensor], torch.Tensor]:
        """The head's losses and the logits it computed for them.

        Args:
            expert_outputs (torch.Tensor): Shape (B, N, C).
            data_samples (list[ActionDataSample]): Samples with ``gt_label``.
            head_kwargs (dict): Keyword arguments for the head.

        Returns:
            tuple: The head's loss dict and its logits, (B, K) (or
            (B, N, K) for ``LateFusionHead``), with their graph.
        """
        head_logits = []

        def capture_logits(head, args, output):
            head_logits.append(
                output[0] if isinstance(output, tuple) else output)

        handle = self.cls_head.register_forward_hook(capture_logits)
        try:
            losses = self.cls_head.loss(expert_outputs, data_samples,
                                        **head_kwargs)
        finally:
            handle.remove()
        if len(head_logits) != 1:
            raise RuntimeError(
                f'{type(self.htl_loss).__name__} needs the logits of '
                f'{type(self.cls_head).__name__}, taken from its forward, '
                'but its loss called forward '
                f'{len(head_logits)} times (expected once)')
        return losses, head_logits[0]
