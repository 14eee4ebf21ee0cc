import math
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from pathlib import Path
from torch import nn
from typing import Dict, Optional, Tuple

from ..utils.sample_weights import attach_sample_weights
from ..utils.temporal_rus import RUS_KEYS, load_temporal_rus
from ..utils.token_routing import (FeedForwardExpert, RoutedAttentionExpert,
                                   load_balance_loss, top_k_routing)
from .base_fusion_head import BaseFusionHead


def jensen_shannon_divergence(log_p: torch.Tensor,
                              log_q: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon divergence of distributions given as log-probabilities.

    Stable for probabilities that are exactly 0 (``log = -inf``, e.g. a
    target that puts no mass on some experts): ``0 * log 0`` terms are 0 and
    gradients stay finite.

    Args:
        log_p (torch.Tensor): Log-probabilities (..., E).
        log_q (torch.Tensor): Log-probabilities (..., E), broadcastable.

    Returns:
        torch.Tensor: JSD in nats, shape (...), in [0, log 2].
    """
    log_mixture = (torch.logaddexp(log_p, log_q) -
                   math.log(2)).clamp_min(torch.finfo(log_p.dtype).min / 4)

    def kl_to_mixture(log_x: torch.Tensor) -> torch.Tensor:
        x = log_x.exp()
        finite_log_x = torch.where(x > 0, log_x, torch.zeros_like(log_x))
        return (x * (finite_log_x - log_mixture)).sum(dim=-1)

    return 0.5 * (kl_to_mixture(log_p) + kl_to_mixture(log_q))


class RUSRouter(nn.Module):
    """Temporal RUS-aware router.

    For each modality m and frame t the processed token queries the other
    modalities' (R[m, k, t], S[m, k, t]) pairs (attention over k != m); a
    GRU runs over time on [U[m, t], attention context]; an MLP on
    [processed token, GRU state] scores the E experts.

    Args:
        token_channels (int): Width d of the tokens.
        router_channels (int): Width of the processed tokens.
        attention_channels (int): Key / value width of the R/S attention.
        gru_channels (int): GRU hidden width.
        num_moe_experts (int): E.
    """

    def __init__(self, token_channels: int, router_channels: int,
                 attention_channels: int, gru_channels: int,
                 num_moe_experts: int) -> None:
        super().__init__()
        self.attention_channels = attention_channels
        self.token_processor = nn.Sequential(
            nn.Linear(token_channels, router_channels), nn.ReLU())
        self.query = nn.Linear(router_channels, attention_channels)
        self.key = nn.Linear(2, attention_channels)
        self.value = nn.Linear(2, attention_channels)
        self.gru = nn.GRU(
            1 + attention_channels, gru_channels, batch_first=True)
        combined = router_channels + gru_channels
        self.scorer = nn.Sequential(
            nn.Linear(combined, combined // 2), nn.ReLU(),
            nn.Linear(combined // 2, num_moe_experts))

    def forward(self, tokens: torch.Tensor, uniqueness: torch.Tensor,
                redundancy: torch.Tensor,
                synergy: torch.Tensor) -> torch.Tensor:
        """Router logits.

        Args:
            tokens (torch.Tensor): (B, N, T, d).
            uniqueness (torch.Tensor): U (N, T).
            redundancy (torch.Tensor): R (N, N, T).
            synergy (torch.Tensor): S (N, N, T).

        Returns:
            torch.Tensor: Logits (B, N, T, E).
        """
        batch_size, num_modalities, num_frames, _ = tokens.shape
        processed = self.token_processor(tokens)  # (B, N, T, r)
        if num_modalities > 1:
            # (N, N, T, 2) -> (N, T, N, 2): pair features per (m, t, k)
            pair_features = torch.stack([redundancy, synergy],
                                        dim=-1).permute(0, 2, 1, 3)
            keys = self.key(pair_features)  # (N, T, N, a)
            values = self.value(pair_features)
            query = self.query(processed)  # (B, N, T, a)
            # (B, N, T, 1, a) x (N, T, a, N) -> (B, N, T, N)
            scores = (query.unsqueeze(-2) @ keys.transpose(
                -1, -2)).squeeze(-2) / math.sqrt(self.attention_channels)
            # A modality does not attend to itself: (N, 1, N) over (m, t, k)
            # (a float eye cast to bool: onnxruntime has no bool EyeLike)
            is_self = torch.eye(
                num_modalities, device=tokens.device).bool().unsqueeze(1)
            scores = scores.masked_fill(is_self, float('-inf'))
            attention = F.softmax(scores, dim=-1)
            # (B, N, T, 1, N) x (N, T, N, a) -> (B, N, T, a)
            context = (attention.unsqueeze(-2) @ values).squeeze(-2)
        else:
            context = processed.new_zeros(batch_size, num_modalities,
                                          num_frames, self.attention_channels)
        # U (N, T) -> (B, N, T, 1)
        uniqueness = uniqueness.to(context.dtype).expand(batch_size, -1,
                                                         -1).unsqueeze(-1)
        gru_input = torch.cat([uniqueness, context], dim=-1)
        # (B*N, T, 1 + a) -> GRU over time -> (B, N, T, g)
        temporal_context, _ = self.gru(gru_input.flatten(0, 1))
        temporal_context = temporal_context.view(batch_size, num_modalities,
                                                 num_frames, -1)
        return self.scorer(torch.cat([processed, temporal_context], dim=-1))


@MODELS.register_module()
class RUSGuidedMoEHead(BaseFusionHead):
    """Temporal RUS-guided mixture of experts over per-frame modality tokens.

    An adaptation of the temporal multimodal-interaction-guided MoE (Han et
    al., 2025). Per-frame tokens (B, N, T, C) (``MoMERecognizer`` taps them
    from the same backbone pass; this head sets ``uses_frame_tokens``) are
    normalized and projected to d, with modality and frame embeddings. The
    :class:`RUSRouter`, given dataset-level uniqueness U (N, T), redundancy
    R and synergy S (N, N, T) loaded from ``rus_file``, scores E experts for
    each modality and frame; the top ``top_k`` are kept, their weights
    renormalized (softmax over the kept logits). The first
    ``num_synergy_experts`` experts are synergy experts
    (:class:`RoutedAttentionExpert`: attention
    over the tokens of the same sample routed to them), the rest FFNs.
    Each token becomes ``x + sum_e w_e f_e(x)``; tokens are averaged over
    modalities, pooled over time, normalized and classified. The default
    temporal pooling is a GRU over the frames (its last state): the
    per-frame class tokens of UniFormerV2's blocks carry no temporal order
    (each frame attends to itself), so a mean over frames cannot tell a
    motion from its reverse (opening from closing); ``'mean'`` keeps the
    order-free average.

    Auxiliary losses on the router's probabilities p (B, N, T, E), where the
    dataset-level RUS values pass a threshold (per pair of modalities m < k
    and frame t, for every sample):

    * ``loss_rus_uniqueness = -weight_uniqueness * mean JSD(p_m, p_k)``
      where U[m, t] and U[k, t] > ``threshold_uniqueness`` (push routing
      apart);
    * ``loss_rus_redundancy = weight_redundancy * mean JSD(p_m, p_k)`` where
      (R[m, k, t] + R[k, m, t]) / 2 > ``threshold_redundancy`` (together);
    * ``loss_rus_synergy = weight_synergy * mean JSD(p_m, q)`` over both
      modalities of pairs with (S[m, k, t] + S[k, m, t]) / 2 >
      ``threshold_synergy``, q uniform over the synergy experts (toward
      them);
    * ``loss_load_balance = load_balance_weight * E * sum_e f_e P_e``
      (Switch Transformer), f_e the fraction of top-k assignments to e,
      P_e the mean router probability of e.

    JSDs are computed from log-probabilities
    (:func:`jensen_shannon_divergence`).
    :meth:`predict` stores ``routing_weights`` (N, T, E) (the renormalized
    top-k weights, zero for unused experts; averaged over clips like the
    scores) on each sample.

    Args:
        num_classes (int): Number of classes K.
        in_channels (int): Token width C.
        num_experts (int): Number of modality experts N.
        rus_file (str): ``.npz`` of ``tools/analysis/compute_temporal_rus.py``
            with U (N, T), R and S (N, N, T); T fixes the frames. It is read
            when the head is built if it exists then, else (so that every
            config builds before its RUS file is written) at the first
            forward, which fails there, with the command that writes it, if
            the file is still missing.
        num_frames (int, optional): T, needed to build the head before its
            RUS file exists; checked against the file. Defaults to None.
        hidden_channels (int): Token width d. Defaults to 128.
        num_moe_experts (int): E. Defaults to 4.
        num_synergy_experts (int): Synergy experts among them. Defaults
            to 1.
        top_k (int): Experts per token. Defaults to 2.
        expert_hidden_channels (int, optional): FFN width of the experts.
            Defaults to 2 * hidden_channels.
        synergy_heads (int): Attention heads of synergy experts. Defaults
            to 4.
        router_channels (int): Defaults to 64.
        attention_channels (int): Defaults to 16.
        gru_channels (int): Defaults to 32.
        expert_dropout (float): Defaults to 0.1.
        dropout_ratio (float): Dropout before the classifier. Defaults to
            0.5.
        temporal_pooling (str): ``'gru'`` (last state of a GRU of width d
            over the frames) or ``'mean'``. Defaults to ``'gru'``.
        threshold_uniqueness (float): In the RUS file's units (bits).
            Defaults to 0.1.
        threshold_redundancy (float): Defaults to 0.1.
        threshold_synergy (float): Defaults to 0.1.
        weight_uniqueness (float): Defaults to 0.1.
        weight_redundancy (float): Defaults to 0.1.
        weight_synergy (float): Defaults to 0.1.
        load_balance_weight (float): Defaults to 0.02.
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
                 rus_file: str,
                 num_frames: Optional[int] = None,
                 hidden_channels: int = 128,
                 num_moe_experts: int = 4,
                 num_synergy_experts: int = 1,
                 top_k: int = 2,
                 expert_hidden_channels: Optional[int] = None,
                 synergy_heads: int = 4,
                 router_channels: int = 64,
                 attention_channels: int = 16,
                 gru_channels: int = 32,
                 expert_dropout: float = 0.1,
                 dropout_ratio: float = 0.5,
                 temporal_pooling: str = 'gru',
                 threshold_uniqueness: float = 0.1,
                 threshold_redundancy: float = 0.1,
                 threshold_synergy: float = 0.1,
                 weight_uniqueness: float = 0.1,
                 weight_redundancy: float = 0.1,
                 weight_synergy: float = 0.1,
                 load_balance_weight: float = 0.02,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, num_experts, **kwargs)
        if not 0 <= num_synergy_experts <= num_moe_experts:
            raise ValueError(
                f'num_synergy_experts must be in [0, {num_moe_experts}], got '
                f'{num_synergy_experts}')
        if temporal_pooling not in ('gru', 'mean'):
            raise ValueError("temporal_pooling must be 'gru' or 'mean', got "
                             f'{temporal_pooling!r}')
        if not 1 <= top_k <= num_moe_experts:
            raise ValueError(f'top_k must be in [1, {num_moe_experts}], got '
                             f'{top_k}')
        self.rus_file = rus_file
        self.rus_loaded = Path(rus_file).is_file()
        if self.rus_loaded:
            rus = load_temporal_rus(rus_file, num_experts, num_frames)
            num_frames = rus['U'].shape[1]
        elif num_frames is None:
            raise ValueError(
                f'RUSGuidedMoEHead: RUS file {rus_file} does not exist yet, '
                'so num_frames (T) must be given to build the head')
        else:  # placeholders until load_rus() reads the file
            rus = dict(
                U=torch.zeros(num_experts, num_frames),
                R=torch.zeros(num_experts, num_experts, num_frames),
                S=torch.zeros(num_experts, num_experts, num_frames))
        self.num_frames = num_frames
        self.num_moe_experts = num_moe_experts
        self.num_synergy_experts = num_synergy_experts
        self.top_k = top_k
        self.thresholds = dict(
            uniqueness=threshold_uniqueness,
            redundancy=threshold_redundancy,
            synergy=threshold_synergy)
        self.loss_weights = dict(
            uniqueness=weight_uniqueness,
            redundancy=weight_redundancy,
            synergy=weight_synergy)
        self.load_balance_weight = load_balance_weight
        for key, value in rus.items():
            self.register_buffer(f'rus_{key}', value, persistent=False)

        expert_hidden_channels = expert_hidden_channels or 2 * hidden_channels
        self.token_norm = nn.LayerNorm(in_channels)
        self.token_proj = nn.Linear(in_channels, hidden_channels)
        self.modality_embed = nn.Parameter(
            torch.zeros(num_experts, 1, hidden_channels))
        self.frame_embed = nn.Parameter(
            torch.zeros(1, self.num_frames, hidden_channels))
        self.router = RUSRouter(hidden_channels, router_channels,
                                attention_channels, gru_channels,
                                num_moe_experts)
        self.moe_experts = nn.ModuleList([
            RoutedAttentionExpert(hidden_channels, expert_hidden_channels,
                                  synergy_heads, expert_dropout)
            for _ in range(num_synergy_experts)
        ] + [
            FeedForwardExpert(hidden_channels, expert_hidden_channels,
                              expert_dropout)
            for _ in range(num_moe_experts - num_synergy_experts)
        ])
        self.temporal_gru = nn.GRU(
            hidden_channels, hidden_channels,
            batch_first=True) if temporal_pooling == 'gru' else None
        self.norm = nn.LayerNorm(hidden_channels)
        self.dropout = nn.Dropout(p=dropout_ratio)
        self.fc_cls = nn.Linear(hidden_channels, num_classes)

    def load_rus(self) -> None:
        """Read ``rus_file`` into the RUS buffers (once).

        Raises:
            FileNotFoundError: The file does not exist; the message gives
                the command that writes it.
        """
        rus = load_temporal_rus(self.rus_file, self.num_experts,
                                self.num_frames)
        for key in RUS_KEYS:
            getattr(self, f'rus_{key}').copy_(rus[key])
        self.rus_loaded = True

    def use_zero_rus(self) -> None:
        """Route with all-zero RUS values instead of reading ``rus_file``:
        for counting FLOPs before the file exists (the cost does not depend
        on the values); never for training or predictions."""
        for key in RUS_KEYS:
            getattr(self, f'rus_{key}').zero_()
        self.rus_loaded = True

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
            Tuple[torch.Tensor, torch.Tensor]: Logits (B, K) and routing
            weights (B, N, T, E).
        """
        logits, routing_weights, _ = self._forward(feats, frame_tokens)
        return logits, routing_weights

    def _forward(
        self, feats: torch.Tensor, frame_tokens: Optional[torch.Tensor]
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if not self.rus_loaded:
            self.load_rus()
        tokens = frame_tokens if frame_tokens is not None else feats
        expected = (self.num_experts, self.num_frames, self.in_channels)
        if tokens.dim() != 4 or tuple(tokens.shape[1:]) != expected:
            raise ValueError(
                f'{type(self).__name__} expects frame tokens of shape (B, '
                f'{", ".join(map(str, expected))}) (T from {self.rus_file}), '
                f'got {tuple(tokens.shape)}')
        batch_size, num_modalities, num_frames, _ = tokens.shape
        hidden = self.token_proj(self.token_norm(tokens))
        hidden = hidden + self.modality_embed + self.frame_embed
        router_logits = self.router(hidden, self.rus_U, self.rus_R,
                                    self.rus_S)  # (B, N, T, E)
        routing_weights, _ = top_k_routing(router_logits, self.top_k)
        # (B, N, T, d) -> (B, N*T, d): experts see a sample's tokens together
        flat_hidden = hidden.flatten(1, 2)
        flat_weights = routing_weights.flatten(1, 2)  # (B, N*T, E)
        mixed = flat_hidden
        for index, expert in enumerate(self.moe_experts):
            expert_weight = flat_weights[..., index:index + 1]
            mixed = mixed + expert_weight * expert(
                flat_hidden,
                expert_weight.squeeze(-1) > 0)
        # mean over modalities (B, T, d), then over time (B, d)
        frames = mixed.view(batch_size, num_modalities, num_frames,
                            -1).mean(dim=1)
        if self.temporal_gru is None:
            pooled = frames.mean(dim=1)
        else:
            pooled = self.temporal_gru(frames)[1][-1]
        logits = self.fc_cls(self.dropout(self.norm(pooled)))
        return logits, routing_weights, router_logits

    def rus_losses(self,
                   router_logits: torch.Tensor) -> Dict[str, torch.Tensor]:
        """RUS-guided routing losses and the load-balancing loss.

        Args:
            router_logits (torch.Tensor): (B, N, T, E).

        Returns:
            dict[str, torch.Tensor]: ``loss_rus_uniqueness``,
            ``loss_rus_redundancy``, ``loss_rus_synergy`` and
            ``loss_load_balance``, already weighted.
        """
        log_probs = F.log_softmax(router_logits.float(), dim=-1)
        num_modalities = log_probs.shape[1]
        zero = log_probs.new_zeros(())
        terms = dict(uniqueness=[], redundancy=[], synergy=[])
        synergy_target = torch.full((self.num_moe_experts, ),
                                    float('-inf'),
                                    device=log_probs.device)
        if self.num_synergy_experts:
            synergy_target[:self.num_synergy_experts] = -math.log(
                self.num_synergy_experts)
        for m in range(num_modalities):
            for k in range(m + 1, num_modalities):
                frames = dict(
                    uniqueness=(self.rus_U[m] > self.thresholds['uniqueness'])
                    & (self.rus_U[k] > self.thresholds['uniqueness']),
                    redundancy=(self.rus_R[m, k] + self.rus_R[k, m]) / 2
                    > self.thresholds['redundancy'],
                    synergy=(self.rus_S[m, k] + self.rus_S[k, m]) / 2
                    > self.thresholds['synergy'])
                for name in ('uniqueness', 'redundancy'):
                    selected = frames[name]
                    if selected.any():
                        terms[name].append(
                            jensen_shannon_divergence(
                                log_probs[:, m, selected],
                                log_probs[:, k, selected]).flatten())
                if self.num_synergy_experts and frames['synergy'].any():
                    for modality in (m, k):
                        terms['synergy'].append(
                            jensen_shannon_divergence(
                                log_probs[:, modality, frames['synergy']],
                                synergy_target).flatten())
        means = {
            name: torch.cat(values).mean() if values else zero
            for name, values in terms.items()
        }
        return dict(
            loss_rus_uniqueness=-self.loss_weights['uniqueness'] *
            means['uniqueness'],
            loss_rus_redundancy=self.loss_weights['redundancy'] *
            means['redundancy'],
            loss_rus_synergy=self.loss_weights['synergy'] * means['synergy'],
            loss_load_balance=self.load_balance_weight *
            load_balance_loss(router_logits, self.top_k))

    def loss(self, feats: torch.Tensor, data_samples: SampleList,
             **kwargs) -> Dict[str, torch.Tensor]:
        """Classification, RUS-guided routing and load-balancing losses.

        Args:
            feats (torch.Tensor): Expert outputs (B, N, C) or frame tokens.
            data_samples (list[ActionDataSample]): Samples with ``gt_label``.
            **kwargs: ``frame_tokens`` (B, N, T, C) from the recognizer.

        Returns:
            dict[str, torch.Tensor]: ``loss_cls``, top-k accuracies, the
            losses of :meth:`rus_losses` and ``routing_entropy`` (mean
            entropy of the router probabilities, logged only).
        """
        logits, _, router_logits = self._forward(feats,
                                                 kwargs.get('frame_tokens'))
        losses = self.loss_by_feat(logits, data_samples)
        losses.update(self.rus_losses(router_logits))
        log_probs = F.log_softmax(router_logits.detach().float(), dim=-1)
        losses['routing_entropy'] = -(log_probs.exp() *
                                      log_probs).sum(-1).mean()
        return losses

    def predict(self, feats: torch.Tensor, data_samples: SampleList,
                **kwargs) -> SampleList:
        """Predict scores and attach the routing weights.

        Args:
            feats (torch.Tensor): Expert outputs (B*num_clips, N, C).
            data_samples (list[ActionDataSample]): B samples.
            **kwargs: ``frame_tokens`` (B*num_clips, N, T, C).

        Returns:
            list[ActionDataSample]: Samples with ``pred_score``,
            ``pred_label`` and ``routing_weights`` (N, T, E) -- or
            (num_clips, N, T, E) when ``average_clips`` is None.
        """
        logits, routing_weights = self(feats, **kwargs)
        return attach_sample_weights(
            self.predict_by_feat(logits, data_samples), routing_weights,
            'routing_weights', self.average_clips)
