import math
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from torch import nn
from typing import Dict, Optional, Tuple

from ..utils.class_indices import class_indices
from ..utils.frame_token_embedding import (FrameTokenEmbedding,
                                           select_frame_tokens)
from ..utils.poincare_ball import (expmap0, gyromidpoint, logmap0, mobius_add,
                                   pairwise_distance)
from ..utils.sample_weights import attach_sample_weights
from ..utils.token_routing import (FeedForwardExpert, RoutedAttentionExpert,
                                   load_balance_loss, top_k_routing)
from .base_fusion_head import BaseFusionHead

#: The expert groups, in the order of ``group_weights``.
EXPERT_GROUPS = ('intra', 'inter', 'evidence')


def inverse_softplus(value: float) -> float:
    """x such that softplus(x) = value (> 0)."""
    return value + math.log(-math.expm1(-value))


class HyperbolicMixingExpert(nn.Module):
    """Inter-modality expert in the Poincare ball.

    Tokens are mapped into the ball (LayerNorm -> Linear -> ``expmap0``);
    each token attends to the tokens of the *other* cameras of its sample
    with scores ``-d_c(x_i, x_j) / tau`` (geodesic distance, learnable
    temperature tau), their weighted gyromidpoint m_i is Mobius-added to
    it, and ``logmap0(x_i (+) m_i)`` is mapped back to the token width: a
    residual update. Near points of the hierarchy (small hyperbolic
    distance) dominate the mixing; the ball's geometry is computed in
    float32 (:mod:`..utils.poincare_ball`).

    Args:
        channels (int): Token width d.
        hyperbolic_channels (int): Dimension of the ball.
        dropout (float): Dropout on the update.
    """

    def __init__(self, channels: int, hyperbolic_channels: int,
                 dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.to_tangent = nn.Linear(channels, hyperbolic_channels)
        self.temperature = nn.Parameter(torch.tensor(inverse_softplus(1.)))
        self.out_proj = nn.Linear(hyperbolic_channels, channels)
        self.dropout = nn.Dropout(dropout)

    def forward(self, tokens: torch.Tensor, curvature: torch.Tensor,
                key_mask: torch.Tensor) -> torch.Tensor:
        """Mix every token with the other cameras' tokens.

        Args:
            tokens (torch.Tensor): (B, L, d), a sample's L = N*T tokens.
            curvature (torch.Tensor): c > 0, scalar.
            key_mask (torch.Tensor): (L, L) bool, True where token i may
                attend to token j.

        Returns:
            torch.Tensor: Residual update (B, L, d).
        """
        points = expmap0(self.to_tangent(self.norm(tokens)), curvature)
        scores = -pairwise_distance(points, points, curvature) / (
            F.softplus(self.temperature.float()))
        attention = F.softmax(
            scores.masked_fill(~key_mask, float('-inf')), dim=-1)
        context = gyromidpoint(points, attention, curvature)
        update = logmap0(mobius_add(points, context, curvature), curvature)
        return self.dropout(self.out_proj(update.to(tokens.dtype)))


@MODELS.register_module()
class AsymmetricMoEHead(BaseFusionHead):
    """Asymmetric mixture of expert groups over per-frame modality tokens.

    An adaptation of AsyMoE (asymmetric MoE for large vision-language
    models: intra-modality experts, hyperbolic inter-modality experts and
    evidence-priority language experts) to cameras. Per-frame tokens
    (B, N, T, C) (``MoMERecognizer`` taps them from the same backbone pass;
    this head sets ``uses_frame_tokens``) are embedded to width d
    (:class:`FrameTokenEmbedding`: modality and frame embeddings). A linear
    router scores E = N * ``intra_experts_per_modality`` +
    ``num_inter_experts`` + ``num_evidence_experts`` experts for every
    token; the ``top_k`` best *allowed* experts are kept (weights
    renormalized by a softmax over their logits) and each token becomes
    ``x + sum_e w_e f_e(x)``. Three groups:

    * **intra-modality** (modality-specific processing): camera n has its
      own ``intra_experts_per_modality`` experts, which only camera n's
      tokens may be routed to and which only see camera n's tokens
      (:class:`RoutedAttentionExpert`: attention among the camera's routed
      frames, then an FFN);
    * **inter-modality** (hierarchical cross-modal interactions):
      :class:`HyperbolicMixingExpert`, in the Poincare ball of learnable
      curvature c (``curvature``, kept positive by a softplus), each token
      mixing with the other cameras' tokens by hyperbolic distance;
    * **evidence-priority** (our adaptation of the experts that keep a VLM
      grounded in the observed input instead of its parametric priors): a
      camera token carries evidence when it is confident, departs from the
      head's class prior and is not degenerate. An evidence probe (LayerNorm
      -> Linear to the K classes, trained on the detached tokens with
      ``loss_evidence_probe``) gives per token p = softmax(probe(x)); with
      q = softmax(probe bias), the probe's prediction with no token (its
      class prior), the evidence features are ``1 - H(p) / log K``
      (confidence), ``KL(p || q) / log K`` (departure from the prior) and
      the token's deviation from its camera's mean over the frames
      (LayerNorm'ed input tokens; 0 for a frozen or blank camera). Their
      sum, weighted by learned positive weights (softplus, 1 at start), is
      added to the router logits of the evidence experts (FFNs), so tokens
      with strong observed evidence are routed to them. The features are
      detached: routing reads them, the classification loss cannot fake
      them.

    The mixed tokens are averaged over cameras and pooled over time by a
    GRU (its last state: per-frame class tokens carry no temporal order,
    see :class:`RUSGuidedMoEHead`), normalized and classified.
    ``loss_load_balance`` (Switch Transformer, over all E experts) keeps the
    routing spread. :meth:`predict` stores ``group_weights`` (3,) on each
    sample: the routing mass of the intra / inter / evidence groups
    averaged over the sample's tokens (sums to 1; averaged over clips like
    the scores).

    Args:
        num_classes (int): Number of classes K.
        in_channels (int): Token width C.
        num_experts (int): Number of modality experts (cameras) N.
        num_frames (int): T of the frame tokens.
        hidden_channels (int): Token width d. Defaults to 128.
        intra_experts_per_modality (int): Defaults to 1.
        num_inter_experts (int): Defaults to 2.
        num_evidence_experts (int): Defaults to 1.
        top_k (int): Experts per token, at most the experts a token may
            use (``intra_experts_per_modality + num_inter_experts +
            num_evidence_experts``). Defaults to 2.
        expert_hidden_channels (int, optional): FFN width of the experts.
            Defaults to ``2 * hidden_channels``.
        num_heads (int): Attention heads of the intra experts. Defaults to
            4.
        hyperbolic_channels (int, optional): Dimension of the ball.
            Defaults to ``hidden_channels``.
        curvature (float): Initial c > 0. Defaults to 1.
        learn_curvature (bool): Defaults to True.
        expert_dropout (float): Defaults to 0.1.
        dropout_ratio (float): Dropout before the classifier. Defaults to
            0.5.
        load_balance_weight (float): Defaults to 0.02.
        evidence_loss_weight (float): Weight of the evidence probe's
            cross-entropy. Defaults to 0.1.
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
                 hidden_channels: int = 128,
                 intra_experts_per_modality: int = 1,
                 num_inter_experts: int = 2,
                 num_evidence_experts: int = 1,
                 top_k: int = 2,
                 expert_hidden_channels: Optional[int] = None,
                 num_heads: int = 4,
                 hyperbolic_channels: Optional[int] = None,
                 curvature: float = 1.,
                 learn_curvature: bool = True,
                 expert_dropout: float = 0.1,
                 dropout_ratio: float = 0.5,
                 load_balance_weight: float = 0.02,
                 evidence_loss_weight: float = 0.1,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, num_experts, **kwargs)
        group_sizes = (num_experts * intra_experts_per_modality,
                       num_inter_experts, num_evidence_experts)
        if min(group_sizes) < 0 or sum(group_sizes) == 0:
            raise ValueError('expert group sizes must be >= 0 and not all 0, '
                             f'got {dict(zip(EXPERT_GROUPS, group_sizes))}')
        allowed = sum(group_sizes[1:]) + intra_experts_per_modality
        if not 1 <= top_k <= allowed:
            raise ValueError(
                f'top_k must be in [1, {allowed}] (the experts one token may '
                f'use: {intra_experts_per_modality} intra + '
                f'{num_inter_experts} inter + {num_evidence_experts} '
                f'evidence), got {top_k}')
        if curvature <= 0:
            raise ValueError(f'curvature must be > 0, got {curvature}')
        if num_classes < 2:
            raise ValueError('the evidence probe needs num_classes >= 2, got '
                             f'{num_classes}')
        self.num_frames = num_frames
        self.intra_experts_per_modality = intra_experts_per_modality
        self.top_k = top_k
        self.load_balance_weight = load_balance_weight
        self.evidence_loss_weight = evidence_loss_weight
        expert_hidden_channels = expert_hidden_channels or 2 * hidden_channels

        self.embed = FrameTokenEmbedding(in_channels, hidden_channels,
                                         num_experts, num_frames)
        self.router = nn.Linear(hidden_channels, sum(group_sizes))
        self.intra_experts = nn.ModuleList([
            RoutedAttentionExpert(hidden_channels, expert_hidden_channels,
                                  num_heads, expert_dropout)
            for _ in range(group_sizes[0])
        ])
        self.inter_experts = nn.ModuleList([
            HyperbolicMixingExpert(hidden_channels, hyperbolic_channels
                                   or hidden_channels, expert_dropout)
            for _ in range(num_inter_experts)
        ])
        self.evidence_experts = nn.ModuleList([
            FeedForwardExpert(hidden_channels, expert_hidden_channels,
                              expert_dropout)
            for _ in range(num_evidence_experts)
        ])
        raw_curvature = torch.tensor(inverse_softplus(curvature))
        if learn_curvature:
            self.raw_curvature = nn.Parameter(raw_curvature)
        else:
            self.register_buffer('raw_curvature', raw_curvature)
        self.evidence_probe = nn.Sequential(
            nn.LayerNorm(hidden_channels),
            nn.Linear(hidden_channels, num_classes))
        # confidence, departure from the prior, temporal deviation
        self.evidence_feature_weights = nn.Parameter(
            torch.full((3, ), inverse_softplus(1.)))
        self.temporal_gru = nn.GRU(
            hidden_channels, hidden_channels, batch_first=True)
        self.norm = nn.LayerNorm(hidden_channels)
        self.dropout = nn.Dropout(p=dropout_ratio)
        self.fc_cls = nn.Linear(hidden_channels, num_classes)

        # Which expert each token may use, which group each expert is in,
        # and which tokens an inter expert's token may attend to.
        num_tokens = num_experts * num_frames
        token_modality = torch.arange(num_experts).repeat_interleave(
            num_frames)  # (L,)
        expert_group = torch.cat([
            torch.full((size, ), index)
            for index, size in enumerate(group_sizes)
        ])  # (E,)
        intra_modality = torch.arange(
            group_sizes[0]) // intra_experts_per_modality
        forbidden = torch.zeros(num_tokens, sum(group_sizes), dtype=torch.bool)
        forbidden[:, :group_sizes[0]] = token_modality[:, None] != \
            intra_modality[None, :]
        self.register_buffer('forbidden_experts', forbidden, persistent=False)
        self.register_buffer(
            'expert_groups',
            F.one_hot(expert_group, len(EXPERT_GROUPS)).float(),
            persistent=False)  # (E, 3)
        other_camera = token_modality[:, None] != token_modality[None, :]
        if num_experts == 1:  # one camera: mix over its own frames
            other_camera = torch.ones_like(other_camera)
        self.register_buffer('inter_key_mask', other_camera, persistent=False)

    @property
    def curvature(self) -> torch.Tensor:
        """torch.Tensor: c > 0 of the inter experts' ball (scalar)."""
        return F.softplus(self.raw_curvature.float()).clamp_min(1e-4)

    def evidence_features(self, tokens: torch.Tensor, hidden: torch.Tensor
                          ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The evidence probe's logits and the (detached) evidence features.

        Args:
            tokens (torch.Tensor): Input frame tokens (B, N, T, C).
            hidden (torch.Tensor): Embedded tokens (B, N, T, d).

        Returns:
            Tuple[torch.Tensor, torch.Tensor]: Probe logits (B, N, T, K)
            (trained on the detached tokens) and features (B, N, T, 3):
            confidence, departure from the class prior (both divided by
            log K) and temporal deviation.
        """
        probe_logits = self.evidence_probe(hidden.detach())
        with torch.no_grad():
            log_p = F.log_softmax(probe_logits.float(), dim=-1)
            log_prior = F.log_softmax(
                self.evidence_probe[1].bias.float(), dim=-1)
            p = log_p.exp()
            log_k = math.log(self.num_classes)
            confidence = 1 + (p * log_p).sum(dim=-1) / log_k
            departure = (p * (log_p - log_prior)).sum(dim=-1) / log_k
            normalized = F.layer_norm(tokens.float(), (self.in_channels, ))
            deviation = (normalized - normalized.mean(dim=2, keepdim=True)
                         ).norm(dim=-1) / math.sqrt(self.in_channels)
            features = torch.stack([confidence, departure, deviation], dim=-1)
        return probe_logits, features

    def forward(self,
                feats: torch.Tensor,
                frame_tokens: Optional[torch.Tensor] = None,
                **kwargs) -> Tuple[torch.Tensor, torch.Tensor]:
        """Route, mix, pool and classify.

        Args:
            feats (torch.Tensor): Expert outputs (B, N, C) (unused when
                ``frame_tokens`` is given) or frame tokens (B, N, T, C).
            frame_tokens (torch.Tensor, optional): (B, N, T, C).

        Returns:
            Tuple[torch.Tensor, torch.Tensor]: Logits (B, K) and group
            weights (B, 3) (intra, inter, evidence).
        """
        logits, group_weights, _, _ = self._forward(feats, frame_tokens)
        return logits, group_weights

    def _forward(self, feats: torch.Tensor,
                 frame_tokens: Optional[torch.Tensor]
                 ) -> Tuple[torch.Tensor, ...]:
        tokens = select_frame_tokens(self, feats, frame_tokens,
                                     (self.num_experts, self.num_frames,
                                      self.in_channels))
        batch_size, num_modalities, num_frames, _ = tokens.shape
        hidden = self.embed(tokens)  # (B, N, T, d)
        probe_logits, evidence = self.evidence_features(tokens, hidden)
        evidence_score = (evidence *
                          F.softplus(self.evidence_feature_weights)).sum(
                              dim=-1)  # (B, N, T)
        flat_hidden = hidden.flatten(1, 2)  # (B, L, d), L = N*T
        # (B, L, E): evidence raises the evidence experts' logits
        router_logits = self.router(flat_hidden).float() + \
            evidence_score.flatten(1, 2).unsqueeze(-1) * \
            self.expert_groups[:, 2]
        router_logits = router_logits.masked_fill(self.forbidden_experts,
                                                  float('-inf'))
        routing_weights, _ = top_k_routing(router_logits, self.top_k)
        weights = routing_weights.to(hidden.dtype)

        # intra: camera n's experts on camera n's tokens only
        per_modality = self.intra_experts_per_modality
        camera_updates = []
        for modality in range(num_modalities):
            camera = hidden[:, modality]  # (B, T, d)
            frames = slice(modality * num_frames, (modality + 1) * num_frames)
            update = torch.zeros_like(camera)
            for index in range(modality * per_modality,
                               (modality + 1) * per_modality):
                expert_weight = weights[:, frames, index:index + 1]
                update = update + expert_weight * self.intra_experts[index](
                    camera, expert_weight.squeeze(-1) > 0)
            camera_updates.append(update)
        mixed = flat_hidden + torch.cat(camera_updates, dim=1)
        first = len(self.intra_experts)
        curvature = self.curvature
        for offset, expert in enumerate(self.inter_experts):
            mixed = mixed + weights[..., first + offset:first + offset + 1] * \
                expert(flat_hidden, curvature, self.inter_key_mask)
        first += len(self.inter_experts)
        for offset, expert in enumerate(self.evidence_experts):
            expert_weight = weights[..., first + offset:first + offset + 1]
            mixed = mixed + expert_weight * expert(
                flat_hidden,
                expert_weight.squeeze(-1) > 0)
        # mean over cameras (B, T, d), GRU over time (B, d)
        frames = mixed.view(batch_size, num_modalities, num_frames,
                            -1).mean(dim=1)
        pooled = self.temporal_gru(frames)[1][-1]
        logits = self.fc_cls(self.dropout(self.norm(pooled)))
        # (B, L, E) x (E, 3) -> mean over tokens (B, 3)
        group_weights = (routing_weights @ self.expert_groups).mean(dim=1)
        return logits, group_weights, router_logits, probe_logits

    def loss(self, feats: torch.Tensor, data_samples: SampleList,
             **kwargs) -> Dict[str, torch.Tensor]:
        """Classification, load-balancing and evidence-probe losses.

        Args:
            feats (torch.Tensor): Expert outputs (B, N, C) or frame tokens.
            data_samples (list[ActionDataSample]): Samples with ``gt_label``
                (class indices; soft labels are read by their argmax for
                the probe).
            **kwargs: ``frame_tokens`` (B, N, T, C) from the recognizer.

        Returns:
            dict[str, torch.Tensor]: ``loss_cls``, top-k accuracies,
            ``loss_load_balance``, ``loss_evidence_probe`` (weighted) and,
            logged only, ``curvature`` and ``group_weight_<group>`` (mean
            routing mass of each group).
        """
        logits, group_weights, router_logits, probe_logits = self._forward(
            feats, kwargs.get('frame_tokens'))
        losses = self.loss_by_feat(logits, data_samples)
        losses['loss_load_balance'] = self.load_balance_weight * \
            load_balance_loss(router_logits, self.top_k)
        labels = class_indices(data_samples, probe_logits.device)
        # every token of a sample is probed against the sample's label
        token_labels = labels.view(-1, 1, 1).expand(probe_logits.shape[:-1])
        losses['loss_evidence_probe'] = self.evidence_loss_weight * \
            F.cross_entropy(probe_logits.float().flatten(0, -2),
                            token_labels.flatten())
        losses['curvature'] = self.curvature.detach()
        for name, weight in zip(EXPERT_GROUPS,
                                group_weights.detach().mean(dim=0)):
            losses[f'group_weight_{name}'] = weight
        return losses

    def predict(self, feats: torch.Tensor, data_samples: SampleList,
                **kwargs) -> SampleList:
        """Predict scores and attach the group weights.

        Args:
            feats (torch.Tensor): Expert outputs (B*num_clips, N, C).
            data_samples (list[ActionDataSample]): B samples.
            **kwargs: ``frame_tokens`` (B*num_clips, N, T, C).

        Returns:
            list[ActionDataSample]: Samples with ``pred_score``,
            ``pred_label`` and ``group_weights`` (3,) -- or
            (num_clips, 3) when ``average_clips`` is None.
        """
        logits, group_weights = self(feats, **kwargs)
        return attach_sample_weights(
            self.predict_by_feat(logits, data_samples), group_weights,
            'group_weights', self.average_clips)
