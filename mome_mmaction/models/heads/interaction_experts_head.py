import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from torch import nn
from typing import Dict, Optional, Tuple

from ..utils.sample_weights import attach_sample_weights
from .base_fusion_head import BaseFusionHead

REPLACEMENTS = ('noise', 'zero', 'mean')
TOKEN_SOURCES = ('class', 'frame')


class FusionExpert(nn.Module):
    """One interaction expert: a light transformer over modality tokens.

    Projects the (normalized) tokens to ``hidden_channels``, adds a
    modality embedding (and a frame embedding when ``num_frames`` is set),
    runs a pre-norm transformer encoder over all N*T tokens, mean-pools the
    tokens of each modality, concatenates the N pooled vectors and maps them
    linearly to class logits.

    Args:
        in_channels (int): Token width C.
        num_modalities (int): N.
        num_classes (int): K.
        hidden_channels (int): Transformer width d.
        num_layers (int): Encoder layers.
        num_heads (int): Attention heads.
        dropout (float): Dropout inside the encoder.
        num_frames (int, optional): T, for learned frame embeddings; None
            for none.
    """

    def __init__(self, in_channels: int, num_modalities: int, num_classes: int,
                 hidden_channels: int, num_layers: int, num_heads: int,
                 dropout: float, num_frames: Optional[int]) -> None:
        super().__init__()
        self.input_proj = nn.Linear(in_channels, hidden_channels)
        self.modality_embed = nn.Parameter(
            torch.zeros(num_modalities, 1, hidden_channels))
        self.frame_embed = None
        if num_frames is not None:
            self.frame_embed = nn.Parameter(
                torch.zeros(1, num_frames, hidden_channels))
        layer = nn.TransformerEncoderLayer(
            hidden_channels,
            num_heads,
            dim_feedforward=2 * hidden_channels,
            dropout=dropout,
            activation='gelu',
            batch_first=True,
            norm_first=True)
        self.encoder = nn.TransformerEncoder(
            layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(hidden_channels)
        self.classifier = nn.Linear(num_modalities * hidden_channels,
                                    num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Classify from modality tokens.

        Args:
            tokens (torch.Tensor): Normalized tokens of shape (B, N, T, C).

        Returns:
            torch.Tensor: Logits of shape (B, K).
        """
        batch_size, num_modalities, num_frames, _ = tokens.shape
        embedded = self.input_proj(tokens) + self.modality_embed
        if self.frame_embed is not None:
            if num_frames != self.frame_embed.shape[1]:
                raise ValueError(
                    f'Expected {self.frame_embed.shape[1]} frames (the '
                    f'num_frames of the head), got {num_frames}')
            embedded = embedded + self.frame_embed
        # (B, N, T, d) -> (B, N*T, d) -> encoder -> (B, N, T, d)
        encoded = self.encoder(embedded.flatten(1, 2))
        encoded = self.norm(encoded).view(batch_size, num_modalities,
                                          num_frames, -1)
        # Mean over each modality's tokens, concatenated: (B, N*d)
        return self.classifier(encoded.mean(dim=2).flatten(1))


@MODELS.register_module()
class InteractionExpertsHead(BaseFusionHead):
    """Interaction experts (I2MoE, Xin et al. 2025) over modality tokens.

    N + 2 fusion experts (:class:`FusionExpert`) see all modality tokens:
    experts 0..N-1 are trained to capture what is *unique* to modality i,
    expert N the *synergy* and expert N+1 the *redundancy* between the
    modalities. A reweighting MLP on the mean-pooled modality tokens
    (Linear -> ReLU -> Dropout(0.5) -> Linear, softmax with temperature)
    gives weights (B, N+2); the logits are the weighted sum of the experts'
    logits.

    The experts are made to specialize by weak supervision during training:
    each expert also runs with one modality's tokens replaced
    (``replace``: Gaussian noise, zeros, or the batch mean of that
    modality), inside the head only (the backbones run once), and
    :meth:`interaction_losses` compares the clean and perturbed logits:

    * uniqueness expert i: mean over j != i of
      ``TripletMarginLoss(margin=1, p=2)(anchor=clean, positive=j replaced,
      negative=i replaced)`` -- replacing its own modality must change its
      output most;
    * synergy expert: mean cosine similarity of clean and perturbed logits
      (minimized: any missing modality changes the output);
    * redundancy expert: mean (1 - cosine similarity) (minimized: no single
      modality matters).

    ``loss_interaction = interaction_loss_weight * (sum of the N + 2 terms) /
    (N + 2)``. The unweighted terms are logged as ``interaction_uniqueness``
    (mean over the N experts), ``interaction_synergy`` and
    ``interaction_redundancy``. :meth:`predict` stores the weights (averaged
    over clips like the scores) on each sample as ``interaction_weights``
    (N+2,): uniqueness of each modality (in the recognizer's modality
    order), synergy, redundancy.

    Tokens: with ``token_source='class'`` the experts' output tokens
    (B, N, C) (one token per modality); with ``token_source='frame'`` the
    per-frame class tokens (B, N, T, C) that ``MoMERecognizer`` taps from
    the same backbone pass (this head then sets ``uses_frame_tokens``).
    A (B, N, T, C) tensor given directly as ``feats`` is used as is.

    Args:
        num_classes (int): Number of classes K.
        in_channels (int): Token width C.
        num_experts (int): Number of modality experts N (the fusion experts
            are N + 2).
        token_source (str): 'class' or 'frame'. Defaults to 'class'.
        hidden_channels (int): Width d of each fusion expert. Defaults to
            128.
        num_layers (int): Transformer layers per fusion expert. Defaults
            to 1.
        num_heads (int): Attention heads. Defaults to 4.
        expert_dropout (float): Dropout inside the fusion experts.
            Defaults to 0.1.
        num_frames (int, optional): T, for learned frame embeddings
            (``token_source='frame'``). Defaults to None (no frame
            embedding).
        replace (str): How a modality is removed in the perturbed passes:
            'noise', 'zero' or 'mean'. Defaults to 'noise'.
        interaction_loss_weight (float): lambda. Defaults to 0.01.
        reweight_channels (int): Hidden width of the reweighting MLP.
            Defaults to 128.
        reweight_dropout (float): Dropout of the reweighting MLP. Defaults
            to 0.5.
        temperature (float): Softmax temperature of the weights. Defaults
            to 1.
        **kwargs: :class:`BaseFusionHead` arguments (``loss_cls``,
            ``average_clips``, ``init_cfg``) and other :class:`BaseHead`
            arguments.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_experts: int,
                 token_source: str = 'class',
                 hidden_channels: int = 128,
                 num_layers: int = 1,
                 num_heads: int = 4,
                 expert_dropout: float = 0.1,
                 num_frames: Optional[int] = None,
                 replace: str = 'noise',
                 interaction_loss_weight: float = 0.01,
                 reweight_channels: int = 128,
                 reweight_dropout: float = 0.5,
                 temperature: float = 1.,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, num_experts, **kwargs)
        if token_source not in TOKEN_SOURCES:
            raise ValueError(f'token_source must be one of {TOKEN_SOURCES}, '
                             f'got {token_source!r}')
        if replace not in REPLACEMENTS:
            raise ValueError(
                f'replace must be one of {REPLACEMENTS}, got {replace!r}')
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.num_fusion_experts = num_experts + 2
        self.token_source = token_source
        self.replace = replace
        self.interaction_loss_weight = interaction_loss_weight
        self.temperature = temperature
        self.token_norm = nn.LayerNorm(in_channels)
        self.fusion_experts = nn.ModuleList([
            FusionExpert(in_channels, num_experts, num_classes,
                         hidden_channels, num_layers, num_heads,
                         expert_dropout, num_frames)
            for _ in range(self.num_fusion_experts)
        ])
        self.reweight = nn.Sequential(
            nn.Linear(num_experts * in_channels, reweight_channels),
            nn.ReLU(inplace=True), nn.Dropout(p=reweight_dropout),
            nn.Linear(reweight_channels, self.num_fusion_experts))
        self.triplet_loss = nn.TripletMarginLoss(margin=1., p=2)

    @property
    def uses_frame_tokens(self) -> bool:
        """bool: Tells ``MoMERecognizer`` to pass ``frame_tokens``."""
        return self.token_source == 'frame'

    def modality_tokens(self,
                        feats: torch.Tensor,
                        frame_tokens: Optional[torch.Tensor] = None
                        ) -> torch.Tensor:
        """Pick and check the tokens the experts fuse.

        Args:
            feats (torch.Tensor): Expert outputs (B, N, C), or tokens
                (B, N, T, C).
            frame_tokens (torch.Tensor, optional): Per-frame class tokens
                (B, N, T, C); used when ``token_source='frame'``.

        Returns:
            torch.Tensor: Tokens of shape (B, N, T, C) (T = 1 for class
            tokens).
        """
        if self.uses_frame_tokens and feats.dim() != 4:
            if frame_tokens is None:
                raise ValueError(
                    f"{type(self).__name__} with token_source='frame' needs "
                    'frame_tokens of shape (B, N, T, C) (MoMERecognizer '
                    'passes them), or (B, N, T, C) tokens as feats')
            feats = frame_tokens
        tokens = feats.unsqueeze(2) if feats.dim() == 3 else feats
        if tokens.dim() != 4 or tokens.shape[1] != self.num_experts or \
                tokens.shape[3] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} expects tokens of shape (B, '
                f'{self.num_experts}, {self.in_channels}) or (B, '
                f'{self.num_experts}, T, {self.in_channels}), got '
                f'{tuple(feats.shape)}')
        return tokens

    def replace_modality(self, tokens: torch.Tensor,
                         modality: int) -> torch.Tensor:
        """Tokens with one modality replaced as ``replace`` says.

        Args:
            tokens (torch.Tensor): Normalized tokens (B, N, T, C).
            modality (int): Index of the modality to replace.

        Returns:
            torch.Tensor: A copy of shape (B, N, T, C).
        """
        original = tokens[:, modality]
        if self.replace == 'noise':
            replacement = torch.randn_like(original)
        elif self.replace == 'zero':
            replacement = torch.zeros_like(original)
        else:  # batch mean of this modality, (1, T, C) broadcast to B
            replacement = original.mean(
                dim=0, keepdim=True).expand_as(original)
        perturbed = tokens.clone()
        perturbed[:, modality] = replacement
        return perturbed

    def interaction_weights(self, tokens: torch.Tensor) -> torch.Tensor:
        """Reweighting MLP on the mean-pooled modality tokens.

        Args:
            tokens (torch.Tensor): Normalized tokens (B, N, T, C).

        Returns:
            torch.Tensor: Weights (B, N+2), summing to 1 over the experts.
        """
        pooled = tokens.mean(dim=2).flatten(1)  # (B, N*C)
        return F.softmax(self.reweight(pooled) / self.temperature, dim=1)

    def expert_logits(self, tokens: torch.Tensor,
                      perturbed: bool) -> torch.Tensor:
        """Logits of every fusion expert, clean and (optionally) perturbed.

        The clean and the N perturbed copies run as one batch per expert.

        Args:
            tokens (torch.Tensor): Normalized tokens (B, N, T, C).
            perturbed (bool): Also run with each modality replaced.

        Returns:
            torch.Tensor: Shape (N+2, P, B, K) with P = 1 + N passes (clean
            first, then modality 0..N-1 replaced) or P = 1.
        """
        batch_size = tokens.shape[0]
        passes = [tokens]
        if perturbed:
            passes += [
                self.replace_modality(tokens, index)
                for index in range(self.num_experts)
            ]
        stacked = torch.cat(passes, dim=0)  # (P*B, N, T, C)
        return torch.stack([
            expert(stacked).view(len(passes), batch_size, -1)
            for expert in self.fusion_experts
        ])

    def forward(self,
                feats: torch.Tensor,
                frame_tokens: Optional[torch.Tensor] = None,
                **kwargs) -> Tuple[torch.Tensor, torch.Tensor]:
        """Fuse with the weighted interaction experts (clean pass only).

        Args:
            feats (torch.Tensor): Expert outputs (B, N, C) or tokens
                (B, N, T, C).
            frame_tokens (torch.Tensor, optional): (B, N, T, C), for
                ``token_source='frame'``.

        Returns:
            Tuple[torch.Tensor, torch.Tensor]: Logits (B, K) and interaction
            weights (B, N+2).
        """
        logits, weights, _ = self._fuse(feats, frame_tokens, perturbed=False)
        return logits, weights

    def _fuse(self, feats: torch.Tensor, frame_tokens: Optional[torch.Tensor],
              perturbed: bool
              ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        tokens = self.token_norm(self.modality_tokens(feats, frame_tokens))
        expert_logits = self.expert_logits(tokens, perturbed)
        weights = self.interaction_weights(tokens)
        # (B, N+2, 1) * (B, N+2, K) summed over experts -> (B, K)
        logits = (weights.unsqueeze(-1) *
                  expert_logits[:, 0].transpose(0, 1)).sum(dim=1)
        return logits, weights, expert_logits

    def interaction_losses(self, expert_logits: torch.Tensor
                           ) -> Dict[str, torch.Tensor]:
        """Weakly supervised interaction losses of the fusion experts.

        Args:
            expert_logits (torch.Tensor): (N+2, 1+N, B, K): per expert, the
                clean logits then those with modality 0..N-1 replaced.

        Returns:
            dict[str, torch.Tensor]: ``loss_interaction`` (weighted by
            lambda) and the unweighted, detached ``interaction_uniqueness``
            (mean over the N uniqueness experts), ``interaction_synergy``,
            ``interaction_redundancy``.
        """
        num_modalities = self.num_experts
        expected = (self.num_fusion_experts, 1 + num_modalities)
        if expert_logits.dim() != 4 or expert_logits.shape[:2] != expected:
            raise ValueError(f'expert_logits must have shape {expected} + '
                             f'(B, K), got {tuple(expert_logits.shape)}')
        uniqueness_terms = []
        for index in range(num_modalities):
            clean = expert_logits[index, 0]
            own_replaced = expert_logits[index, 1 + index]
            others = [j for j in range(num_modalities) if j != index]
            if not others:  # one modality: nothing to contrast with
                uniqueness_terms.append(clean.new_zeros(()))
                continue
            uniqueness_terms.append(
                torch.stack([
                    self.triplet_loss(clean, expert_logits[index, 1 + j],
                                      own_replaced) for j in others
                ]).mean())
        # (P-1, B) cosine of the clean vs each perturbed pass
        synergy_cosine = F.cosine_similarity(
            expert_logits[-2, :1], expert_logits[-2, 1:], dim=-1)
        redundancy_cosine = F.cosine_similarity(
            expert_logits[-1, :1], expert_logits[-1, 1:], dim=-1)
        synergy = synergy_cosine.mean()
        redundancy = (1 - redundancy_cosine).mean()
        uniqueness = torch.stack(uniqueness_terms)
        total = (uniqueness.sum() + synergy + redundancy) / (
            self.num_fusion_experts)
        return dict(
            loss_interaction=self.interaction_loss_weight * total,
            interaction_uniqueness=uniqueness.mean().detach(),
            interaction_synergy=synergy.detach(),
            interaction_redundancy=redundancy.detach())

    def loss(self, feats: torch.Tensor, data_samples: SampleList,
             **kwargs) -> Dict[str, torch.Tensor]:
        """Classification and interaction losses.

        Args:
            feats (torch.Tensor): Expert outputs (B, N, C) or tokens
                (B, N, T, C).
            data_samples (list[ActionDataSample]): Samples with ``gt_label``.
            **kwargs: ``frame_tokens`` (B, N, T, C) from the recognizer.

        Returns:
            dict[str, torch.Tensor]: ``loss_cls``, top-k accuracies,
            ``loss_interaction`` and the logged terms of
            :meth:`interaction_losses`.
        """
        logits, _, expert_logits = self._fuse(
            feats, kwargs.get('frame_tokens'), perturbed=True)
        losses = self.loss_by_feat(logits, data_samples)
        losses.update(self.interaction_losses(expert_logits))
        return losses

    def predict(self, feats: torch.Tensor, data_samples: SampleList,
                **kwargs) -> SampleList:
        """Predict scores and attach the interaction weights.

        Args:
            feats (torch.Tensor): Expert outputs (B*num_clips, N, C) or
                tokens (B*num_clips, N, T, C).
            data_samples (list[ActionDataSample]): B samples.

        Returns:
            list[ActionDataSample]: Samples with ``pred_score``,
            ``pred_label`` and ``interaction_weights`` (N+2,) -- or
            (num_clips, N+2) when ``average_clips`` is None.
        """
        logits, weights = self(feats, **kwargs)
        return attach_sample_weights(
            self.predict_by_feat(logits, data_samples), weights,
            'interaction_weights', self.average_clips)
