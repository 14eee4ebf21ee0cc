"""Anchor-based fusion of per-frame camera tokens, synchronized with class
descriptions.

A-MESS (Shen et al., 2025) recognizes multimodal intent with two parts: an
anchor-based multimodal embedding, in which a few anchors summarize the
tokens of all modalities through attention, and semantic synchronization,
in which the fused embedding is pulled toward an embedding of its label's
text description and pushed from the other labels' with a triplet loss.

Adapted here to cabin cameras: the modalities' tokens are the per-frame
class tokens of the experts (B, N, T, C) (``MoMERecognizer`` passes them
as ``frame_tokens``); K learnable anchors cross-attend over all N*T of them;
the labels' descriptions (:data:`DEFAULT_LABEL_DESCRIPTIONS`) are embedded
by a :class:`BagOfWordsTextEncoder` trained with the head, instead of a
pretrained language model (no download; words shared between descriptions
tie the classes that share objects). Shapes::

    frame tokens (B, N, T, C) -> embedded (B, N*T, d)
    anchors (num_anchors, d) -- cross-attention --> (B, num_anchors, d)
    concatenated (B, num_anchors*d) -> fused embedding z (B, d)
    logits (B, K); anchor attention (B, num_anchors, N, T)
    descriptions (K, d) (loss only)
"""
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import ConfigType, SampleList
from torch import nn
from typing import Dict, Optional, Sequence, Tuple

from ...datasets.driveact_dataset import DRIVEACT_MIDLEVEL_CLASSES
from ..utils.class_indices import class_indices
from ..utils.frame_token_embedding import (FrameTokenEmbedding,
                                           select_frame_tokens)
from ..utils.label_descriptions import (DEFAULT_LABEL_DESCRIPTIONS,
                                        load_label_descriptions)
from ..utils.sample_weights import attach_sample_weights
from .base_fusion_head import BaseFusionHead


@MODELS.register_module()
class AnchorSemanticHead(BaseFusionHead):
    """Learnable anchors over per-frame camera tokens, with a triplet loss
    to class descriptions (an adaptation of A-MESS, see the module doc).

    Frame tokens (B, N, T, C) are embedded by :class:`FrameTokenEmbedding`
    (with camera and frame embeddings) to (B, N*T, d). ``num_anchors``
    learnable anchors (num_anchors, d) (truncated normal, std 0.02) are
    the queries of a multi-head
    cross-attention whose keys and values are all cameras' tokens
    (pre-norm, residual), followed by a pre-norm residual FFN of width 2d.
    The anchor outputs are concatenated (B, num_anchors*d), not averaged,
    so that anchors can specialise (early vs. late frames keeps the
    temporal order), and projected (Linear + LayerNorm) to the fused
    embedding z (B, d); logits are ``Linear(Dropout(z))``.

    Training adds ``loss_semantic``: ``loss_semantic(z, text_encoder(),
    labels)``, a :class:`SemanticTripletLoss` between z and the
    descriptions of the K classes embedded by ``text_encoder``.
    :meth:`predict` stores ``anchor_attention`` (num_anchors, N, T) on each
    sample (averaged over clips like the scores).

    Args:
        num_classes (int): Number of classes K.
        in_channels (int): Token width C.
        num_experts (int): Number of modality experts N.
        num_frames (int): T.
        num_anchors (int): Number of anchors. Defaults to 4.
        hidden_channels (int): Width d of tokens, anchors, z and the
            description embeddings. Defaults to 128.
        num_heads (int): Heads of the cross-attention; must divide d.
            Defaults to 4.
        anchor_dropout (float): Dropout on the attention output and in the
            FFN (not on the attention weights, which stay distributions).
            Defaults to 0.1.
        dropout_ratio (float): Dropout before the classifier. Defaults to
            0.5.
        class_names (Sequence[str], optional): The K class names in label
            order, keys of the descriptions file. Defaults to Drive&Act's 34
            midlevel activities (``DRIVEACT_MIDLEVEL_CLASSES``).
        label_descriptions (str, optional): JSON file mapping class names to
            descriptions. Defaults to :data:`DEFAULT_LABEL_DESCRIPTIONS`
            (the 34 Drive&Act activities).
        text_encoder (dict): Description encoder config; the head adds
            ``descriptions`` and ``out_channels=hidden_channels``. Defaults
            to ``dict(type='BagOfWordsTextEncoder', embed_channels=64)``.
        loss_semantic (dict): Triplet loss config. Defaults to
            ``dict(type='SemanticTripletLoss', margin=0.2,
            loss_weight=0.1)``.
        attend_expert_outputs (bool): Our extension: the anchors also
            attend to each expert's output token (B, N, C) (for
            UniFormerV2, its temporal decoder's summary of the clip), one
            more slot per camera after its T frames; anchor attention is
            then (B, num_anchors, N, T + 1). Defaults to False (A-MESS:
            frame tokens only).
        **kwargs: :class:`BaseFusionHead` arguments (``loss_cls``,
            ``average_clips``, ``init_cfg``) and other :class:`BaseHead`
            arguments.
    """

    #: Tells ``MoMERecognizer`` to pass ``frame_tokens`` (B, N, T, C).
    uses_frame_tokens = True

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_experts: int,
                 num_frames: int,
                 num_anchors: int = 4,
                 hidden_channels: int = 128,
                 num_heads: int = 4,
                 anchor_dropout: float = 0.1,
                 dropout_ratio: float = 0.5,
                 class_names: Optional[Sequence[str]] = None,
                 label_descriptions: Optional[str] = None,
                 text_encoder: ConfigType = dict(
                     type='BagOfWordsTextEncoder', embed_channels=64),
                 loss_semantic: ConfigType = dict(
                     type='SemanticTripletLoss', margin=0.2, loss_weight=0.1),
                 attend_expert_outputs: bool = False,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, num_experts, **kwargs)
        if num_anchors < 1:
            raise ValueError(f'num_anchors must be >= 1, got {num_anchors}')
        if hidden_channels % num_heads:
            raise ValueError(f'num_heads={num_heads} must divide '
                             f'hidden_channels={hidden_channels}')
        class_names = tuple(class_names or DRIVEACT_MIDLEVEL_CLASSES)
        if len(class_names) != num_classes:
            raise ValueError(
                f'{type(self).__name__} needs one class name per class: '
                f'num_classes={num_classes} but class_names has '
                f'{len(class_names)} entries (set class_names to the '
                "dataset's classes)")
        reserved = {'descriptions', 'out_channels'} & set(text_encoder)
        if reserved:
            raise ValueError(f'text_encoder must not set {sorted(reserved)}: '
                             'the head passes the descriptions and '
                             'out_channels=hidden_channels')
        self.num_frames = num_frames
        self.num_anchors = num_anchors
        self.attend_expert_outputs = attend_expert_outputs
        self.class_names = class_names
        self.label_descriptions = str(label_descriptions
                                      or DEFAULT_LABEL_DESCRIPTIONS)

        self.token_embed = FrameTokenEmbedding(
            in_channels, hidden_channels, num_experts,
            num_frames + int(attend_expert_outputs))
        self.memory_norm = nn.LayerNorm(hidden_channels)
        self.anchors = nn.Parameter(
            nn.init.trunc_normal_(
                torch.empty(num_anchors, hidden_channels), std=0.02))
        self.anchor_norm = nn.LayerNorm(hidden_channels)
        self.cross_attention = nn.MultiheadAttention(
            hidden_channels, num_heads, batch_first=True)
        self.attention_dropout = nn.Dropout(anchor_dropout)
        self.ffn = nn.Sequential(
            nn.LayerNorm(hidden_channels),
            nn.Linear(hidden_channels, 2 * hidden_channels), nn.GELU(),
            nn.Dropout(anchor_dropout),
            nn.Linear(2 * hidden_channels, hidden_channels),
            nn.Dropout(anchor_dropout))
        self.fuse = nn.Sequential(
            nn.Linear(num_anchors * hidden_channels, hidden_channels),
            nn.LayerNorm(hidden_channels))
        self.dropout = nn.Dropout(p=dropout_ratio)
        self.fc_cls = nn.Linear(hidden_channels, num_classes)

        self.text_encoder = MODELS.build(
            dict(
                text_encoder,
                descriptions=load_label_descriptions(self.label_descriptions,
                                                     class_names),
                out_channels=hidden_channels))
        self.loss_semantic = MODELS.build(loss_semantic)

    def forward(self,
                feats: torch.Tensor,
                frame_tokens: Optional[torch.Tensor] = None,
                return_embedding: bool = False,
                **kwargs) -> Tuple[torch.Tensor, ...]:
        """Attend, fuse and classify.

        Args:
            feats (torch.Tensor): Expert outputs (B, N, C) (unused when
                ``frame_tokens`` is given) or frame tokens (B, N, T, C).
            frame_tokens (torch.Tensor, optional): (B, N, T, C).
            return_embedding (bool): Also return the fused embedding z
                (:meth:`loss` uses it). Defaults to False.

        Returns:
            tuple[torch.Tensor]: Logits (B, K) and anchor attention
            (B, num_anchors, N, T) (each anchor's weights sum to 1 over the
            N*T tokens; (B, num_anchors, N, T + 1) with
            ``attend_expert_outputs``); then z (B, d) if
            ``return_embedding``.
        """
        tokens = select_frame_tokens(self, feats, frame_tokens,
                                     (self.num_experts, self.num_frames,
                                      self.in_channels))
        if self.attend_expert_outputs:
            if frame_tokens is None or feats.dim() != 3:
                raise ValueError(
                    f'{type(self).__name__}(attend_expert_outputs=True) '
                    'needs the expert outputs (B, N, C) and frame_tokens (B, '
                    'N, T, C), as MoMERecognizer passes them; got feats of '
                    f'shape {tuple(feats.shape)} and frame_tokens='
                    f'{"None" if frame_tokens is None else "given"}')
            # (B, N, T, C) + (B, N, 1, C): each expert's output, a last slot
            tokens = torch.cat([tokens, feats.unsqueeze(2)], dim=2)
        # (B, N, T, d) -> (B, N*T, d): the anchors see every camera's frames
        memory = self.memory_norm(self.token_embed(tokens).flatten(1, 2))
        anchors = self.anchors.unsqueeze(0).expand(tokens.shape[0], -1, -1)
        attended, attention = self.cross_attention(
            self.anchor_norm(anchors),
            memory,
            memory,
            need_weights=True,
            average_attn_weights=True)  # (B, A, d), (B, A, N*T)
        anchors = anchors + self.attention_dropout(attended)
        anchors = anchors + self.ffn(anchors)
        # (B, A, d) -> (B, A*d) -> (B, d)
        fused = self.fuse(anchors.flatten(1))
        logits = self.fc_cls(self.dropout(fused))
        # (B, A, N*T) -> (B, A, N, T) (T + 1 slots with expert outputs)
        attention = attention.unflatten(2, (self.num_experts, -1))
        if return_embedding:
            return logits, attention, fused
        return logits, attention

    def loss(self, feats: torch.Tensor, data_samples: SampleList,
             **kwargs) -> Dict[str, torch.Tensor]:
        """Classification loss and the semantic triplet loss.

        Labels are read from ``gt_label``; a soft label (K,) (e.g. after
        mixup) counts as its argmax class for the triplet loss (the
        classification loss uses it as is).

        Args:
            feats (torch.Tensor): Expert outputs (B, N, C) or frame tokens.
            data_samples (list[ActionDataSample]): Samples with ``gt_label``.
            **kwargs: ``frame_tokens`` (B, N, T, C) from the recognizer.

        Returns:
            dict[str, torch.Tensor]: ``loss_cls``, the top-k accuracies (hard
            labels), ``loss_semantic`` and ``semantic_positive_cosine`` (mean
            cosine of z to its own label's description, logged only).
        """
        logits, _, fused = self(feats, return_embedding=True, **kwargs)
        losses = self.loss_by_feat(logits, data_samples)
        labels = class_indices(data_samples, fused.device)
        descriptions = self.text_encoder()  # (K, d)
        losses['loss_semantic'] = self.loss_semantic(fused, descriptions,
                                                     labels)
        losses['semantic_positive_cosine'] = F.cosine_similarity(
            fused.detach().float(),
            descriptions.detach().float()[labels],
            dim=1).mean()
        return losses

    def predict(self, feats: torch.Tensor, data_samples: SampleList,
                **kwargs) -> SampleList:
        """Predict scores and attach the anchor attention.

        Args:
            feats (torch.Tensor): Expert outputs (B*num_clips, N, C).
            data_samples (list[ActionDataSample]): B samples.
            **kwargs: ``frame_tokens`` (B*num_clips, N, T, C).

        Returns:
            list[ActionDataSample]: Samples with ``pred_score``,
            ``pred_label`` and ``anchor_attention`` (num_anchors, N, T) --
            or (num_clips, num_anchors, N, T) when ``average_clips`` is None.
        """
        logits, anchor_attention = self(feats, **kwargs)
        return attach_sample_weights(
            self.predict_by_feat(logits, data_samples), anchor_attention,
            'anchor_attention', self.average_clips)
