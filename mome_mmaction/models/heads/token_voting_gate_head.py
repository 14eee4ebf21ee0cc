import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from torch import nn
from typing import Dict, Optional, Tuple

from ..utils.class_indices import batch_labels
from ..utils.modality_mask import check_modality_mask
from ..utils.sample_weights import attach_sample_weights
from .base_fusion_head import BaseFusionHead


@MODELS.register_module()
class TokenVotingGateHead(BaseFusionHead):
    """Token voting gate over modality experts, then an MLP classifier.

    The paper's gate (Liu et al. 2026, Sec. 3.2) is one function of all the
    experts' output class tokens together::

        s = Gate([T_cls,L,1; ...; T_cls,L,N])      (B, N*C) -> (B, N)
        w = softmax(s)                             over the N experts
        z = sum_n w_n * T_cls,L,n                  (B, C)
        logits = MLP(z)                            (B, num_classes)

    so one expert's weight can depend on what the other experts say.
    ``gate_type='joint'`` (default) is that gate: each token is normalized
    (a LayerNorm over C shared by the experts, so no expert dominates by
    scale), the N normalized tokens are concatenated and an MLP
    (Linear(N*C, gate_channels) -> GELU -> Linear(gate_channels, N)) gives
    the N scores; its last bias is the per-expert prior.
    ``gate_type='per_expert'`` is an ablation in which each token votes for
    itself alone: a scorer shared by all tokens (LayerNorm -> Linear -> GELU
    -> Linear) plus a learnable per-expert prior ``expert_prior``; the ratio
    ``w_n / w_k`` then depends on tokens n and k only. The classifier is
    Linear -> GELU -> Dropout -> Linear (``mlp_channels=0``: Dropout ->
    Linear). The gate looks at the experts' outputs, not at the raw
    inputs.

    Offline cameras: with ``modality_mask`` (B, N) bool (True = online),
    a masked expert's token is zeroed before the gate and its score set to
    -inf before the softmax, so its weight is exactly 0 and the online
    experts' weights renormalize among themselves.

    ``forward`` returns the logits and the gate weights; :meth:`predict`
    stores the weights (averaged over clips like the scores) on each data
    sample as ``gate_weights`` (N,), ordered as the recognizer's modalities,
    and :meth:`loss` logs the mean gate entropy as ``gate_entropy``.
    :meth:`expert_logits` classifies each expert's token alone with the
    fused classifier (what ``MoEHealthHook`` reports per expert).

    Training stabilizers, all off by default (the paper's recipe; the
    README's "Training health" page gives their measured effect):

    - ``expert_loss_weight`` > 0: each online expert's token also goes
      through the shared classifier with its own cross-entropy, logged as
      ``loss_expert_cls`` (weight times the mean over experts): the
      per-modality heads of Gradient-Blending (Wang, Tran, Feiszli, CVPR
      2020), which keep every expert discriminative on its own (and so rule
      out ``L_inter``'s trivial minimum, every expert emitting one vector);
    - ``gate_balance_weight`` > 0: the importance loss of Shazeer et al.
      (ICLR 2017, sparsely-gated MoE), ``CV(sum_b w_b)^2`` over the batch,
      logged as ``loss_gate_balance``;
    - ``gate_warmup_iters`` > 0: uniform gate weights for the first
      training forward passes (counted in the ``gate_warmup_steps``
      buffer, so ``--resume`` continues it), as dense-to-sparse gating
      warms a router up (Nie et al. 2021, "Dense-to-sparse gate for
      mixture-of-experts"), so every expert gets the same gradient while
      the gate has nothing to go on;
    - ``gate_responsibility_weight`` > 0: the gate is also taught, by
      cross-entropy, each expert's responsibility for the label,
      ``r_n = p_n(y) / sum_m p_m(y)`` with ``p_n(y)`` the probability the
      expert's token alone gives the true class through the shared
      classifier (the posterior the gating network of Jacobs, Jordan,
      Nowlan and Hinton, Neural Computation 1991, "Adaptive mixtures of
      local experts", is fit to; here under a uniform prior, so the gate's
      early favourite is not reinforced), logged as
      ``loss_gate_responsibility``. The target is detached and the gate
      reads detached tokens for it, so the term trains the gate alone: it
      gives the gate a direct signal of which camera is right on each clip
      (a failing one is not) instead of the weak one ``loss_cls`` sends
      through the fused token. ``gate_responsibility_temperature`` T < 1
      sharpens the target, ``r_n ~ p_n(y)^(1/T)`` (the tempered posterior
      of deterministic-annealing EM, Ueda and Nakano, Neural Networks
      1998): while the experts are weak every ``p_n(y)`` is small and the
      plain ratio stays near uniform;
    - ``gate_token_norm=False``: the joint gate reads the raw tokens, as
      the paper writes ``Gate([T_1; ...; T_N])`` (True: a shared LayerNorm
      first, which hides each token's scale);
    - ``fusion='prediction'``, an ablation that departs from the paper: the
      same gate weights the experts' *predictions* (each token through the
      shared classifier, softmax, gated average of the probabilities)
      instead of their tokens; the returned logits are the log of the fused
      probabilities;
    - ``fused_loss_to_experts=False``, also a departure: the fused
      prediction's loss (``loss_cls``) stops at the experts' outputs (their
      tokens are detached for it), so it trains the gate and the classifier
      only, and each expert learns from its own ``loss_expert_cls`` alone,
      as late fusion trains its experts; this removes the "rich get richer"
      coupling of joint training (Wang et al. 2020; Peng et al., OGM-GE,
      CVPR 2022). Needs ``expert_loss_weight`` > 0.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Width C of the expert outputs.
        num_experts (int): Number of experts N.
        gate_type (str): 'joint' (one MLP over all N tokens, the paper's
            gate) or 'per_expert' (a shared per-token scorer plus a prior).
            Defaults to 'joint'.
        gate_channels (int, optional): Hidden width of the gate MLP.
            Defaults to ``in_channels // 4``.
        mlp_channels (int, optional): Hidden width of the classifier MLP.
            Defaults to ``in_channels``. 0: no hidden layer, the classifier
            is Dropout -> Linear, as in MMAction2's recognition heads and
            :class:`LateFusionHead` (a departure from the paper's MLP).
        dropout_ratio (float): Dropout before the last classifier layer.
            Defaults to 0.5.
        fusion (str): 'token' (gated sum of the tokens, then the classifier:
            the paper) or 'prediction' (gated average of each token's
            predicted probabilities). Defaults to 'token'.
        gate_token_norm (bool): LayerNorm on each token before the joint
            gate. Defaults to True.
        expert_loss_weight (float): Weight of ``loss_expert_cls``.
            Defaults to 0 (off).
        gate_balance_weight (float): Weight of ``loss_gate_balance``.
            Defaults to 0 (off).
        gate_warmup_iters (int): Training forward passes with uniform gate
            weights. Defaults to 0 (off).
        gate_responsibility_weight (float): Weight of
            ``loss_gate_responsibility``. Defaults to 0 (off).
        gate_responsibility_temperature (float): Temperature T > 0 of the
            responsibilities. Defaults to 1.
        fused_loss_to_experts (bool): Whether ``loss_cls`` reaches the
            experts. Defaults to True (the paper).
        **kwargs: :class:`BaseFusionHead` arguments (``loss_cls``,
            ``average_clips``, ``init_cfg``) and other :class:`BaseHead`
            arguments.
    """

    #: ``MoMERecognizer`` may pass ``modality_mask`` (offline cameras).
    accepts_modality_mask = True

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_experts: int,
                 gate_type: str = 'joint',
                 gate_channels: Optional[int] = None,
                 mlp_channels: Optional[int] = None,
                 dropout_ratio: float = 0.5,
                 fusion: str = 'token',
                 gate_token_norm: bool = True,
                 expert_loss_weight: float = 0.,
                 gate_balance_weight: float = 0.,
                 gate_warmup_iters: int = 0,
                 gate_responsibility_weight: float = 0.,
                 gate_responsibility_temperature: float = 1.,
                 fused_loss_to_experts: bool = True,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, num_experts, **kwargs)
        if fusion not in ('token', 'prediction'):
            raise ValueError(
                f"{type(self).__name__}: fusion must be 'token' or "
                f"'prediction', got {fusion!r}")
        if not fused_loss_to_experts and expert_loss_weight <= 0:
            raise ValueError(
                f'{type(self).__name__}: fused_loss_to_experts=False needs '
                'expert_loss_weight > 0, or the experts learn nothing, got '
                f'expert_loss_weight={expert_loss_weight}')
        if gate_responsibility_temperature <= 0:
            raise ValueError(
                f'{type(self).__name__}: gate_responsibility_temperature '
                f'must be > 0, got {gate_responsibility_temperature}')
        self.gate_type = gate_type
        self.gate_channels = gate_channels or max(in_channels // 4, 1)
        self.mlp_channels = in_channels if mlp_channels is None \
            else mlp_channels
        self.dropout_ratio = dropout_ratio
        self.fusion = fusion
        self.gate_token_norm = gate_token_norm
        self.expert_loss_weight = expert_loss_weight
        self.gate_balance_weight = gate_balance_weight
        self.gate_warmup_iters = gate_warmup_iters
        self.gate_responsibility_weight = gate_responsibility_weight
        self.gate_responsibility_temperature = gate_responsibility_temperature
        self.fused_loss_to_experts = fused_loss_to_experts
        if gate_warmup_iters > 0:
            self.register_buffer('gate_warmup_steps',
                                 torch.zeros((), dtype=torch.long))
        self.init_gate()
        # (Linear -> GELU ->) Dropout -> Linear
        hidden = [nn.Linear(in_channels, self.mlp_channels),
                  nn.GELU()] if self.mlp_channels > 0 else []
        self.classifier = nn.Sequential(
            *hidden, nn.Dropout(p=dropout_ratio),
            nn.Linear(self.mlp_channels or in_channels, num_classes))

    def init_gate(self) -> None:
        """Build the gate of ``gate_type`` (see the class docstring)."""
        if self.gate_type == 'joint':
            self.token_norm = nn.LayerNorm(
                self.in_channels) if self.gate_token_norm else nn.Identity()
            self.gate = nn.Sequential(
                nn.Linear(self.num_experts * self.in_channels,
                          self.gate_channels), nn.GELU(),
                nn.Linear(self.gate_channels, self.num_experts))
        elif self.gate_type == 'per_expert':
            self.gate = nn.Sequential(
                nn.LayerNorm(self.in_channels),
                nn.Linear(self.in_channels, self.gate_channels), nn.GELU(),
                nn.Linear(self.gate_channels, 1))
            self.expert_prior = nn.Parameter(torch.zeros(self.num_experts))
        else:
            raise ValueError(
                f"{type(self).__name__}: gate_type must be 'joint' or "
                f"'per_expert', got {self.gate_type!r}")

    def gate_scores(self,
                    expert_outputs: torch.Tensor,
                    modality_mask: Optional[torch.Tensor] = None,
                    **kwargs) -> torch.Tensor:
        """Gate scores of the experts.

        Args:
            expert_outputs (torch.Tensor): Shape (B, N, C).
            modality_mask (torch.Tensor, optional): (B, N) bool, True =
                online; offline tokens are zeroed before the joint gate.

        Returns:
            torch.Tensor: Scores of shape (B, N), before the softmax (and
            before offline experts are set to -inf).
        """
        if self.gate_type == 'joint':
            tokens = self.token_norm(expert_outputs)
            if modality_mask is not None:
                tokens = tokens.masked_fill(~modality_mask.unsqueeze(-1), 0.)
            # (B, N, C) -> (B, N*C) -> (B, N)
            return self.gate(tokens.flatten(1))
        return self.gate(expert_outputs).squeeze(-1) + self.expert_prior

    def forward(self,
                expert_outputs: torch.Tensor,
                modality_mask: Optional[torch.Tensor] = None,
                **kwargs) -> Tuple[torch.Tensor, torch.Tensor]:
        """Gate, fuse and classify.

        Args:
            expert_outputs (torch.Tensor): Expert output tokens of shape
                (B, N, C).
            modality_mask (torch.Tensor, optional): (B, N) bool, True =
                online. Offline experts get weight exactly 0 and add
                nothing to the fused token. Defaults to None (all online).

        Returns:
            Tuple[torch.Tensor, torch.Tensor]: Logits (B, num_classes) and
            gate weights (B, N) that sum to 1 over N.
        """
        self.check_expert_outputs(expert_outputs)
        if modality_mask is not None:
            check_modality_mask(modality_mask, self.num_experts)
        scores = self.gate_scores(
            expert_outputs, modality_mask=modality_mask, **kwargs)  # (B, N)
        if modality_mask is not None:
            scores = scores.masked_fill(~modality_mask, float('-inf'))
            # A skipped expert's token is zeros; never let NaN/inf through.
            expert_outputs = expert_outputs.masked_fill(
                ~modality_mask.unsqueeze(-1), 0.)
        if self.in_gate_warmup:
            scores = scores * 0.  # uniform; the gate stays in the graph (DDP)
        gate_weights = F.softmax(scores, dim=1)
        if self.fusion == 'prediction':
            # (B, N, K) probabilities, gated average over N -> (B, K)
            expert_probs = F.softmax(
                self.expert_logits(expert_outputs).float(), dim=-1)
            fused_probs = (gate_weights.unsqueeze(-1) * expert_probs).sum(1)
            return fused_probs.clamp_min(1e-12).log(), gate_weights
        # (B, N, 1) * (B, N, C) summed over N -> (B, C)
        fused = (gate_weights.unsqueeze(-1) * expert_outputs).sum(dim=1)
        return self.classifier(fused), gate_weights

    @property
    def in_gate_warmup(self) -> bool:
        """bool: Training, and fewer than ``gate_warmup_iters`` training
        forward passes done (the gate weights are uniform)."""
        return self.training and self.gate_warmup_iters > 0 and int(
            self.gate_warmup_steps) < self.gate_warmup_iters

    def expert_logits(self, expert_outputs: torch.Tensor) -> torch.Tensor:
        """Each expert's token alone through the shared classifier.

        Args:
            expert_outputs (torch.Tensor): Shape (B, N, C).

        Returns:
            torch.Tensor: Logits of shape (B, N, num_classes).
        """
        return self.classifier(expert_outputs)

    def expert_classification_loss(self,
                                   expert_outputs: torch.Tensor,
                                   data_samples: SampleList,
                                   modality_mask: Optional[torch.Tensor] = None
                                   ) -> torch.Tensor:
        """Mean cross-entropy of the online experts' own predictions.

        Args:
            expert_outputs (torch.Tensor): Shape (B, N, C); B may be
                ``len(data_samples) * num_clips`` (sample-major).
            data_samples (list[ActionDataSample]): Samples with ``gt_label``
                (class indices or soft labels).
            modality_mask (torch.Tensor, optional): (B, N) bool, True =
                online; offline experts are left out of the mean.

        Returns:
            torch.Tensor: Scalar, float32.
        """
        logits = self.expert_logits(expert_outputs).float()  # (B, N, K)
        labels = batch_labels(data_samples).to(logits.device)
        labels = labels.repeat_interleave(logits.shape[0] // len(labels), 0)
        # (B, N, K) -> (B*N, K) against each sample's label per expert
        per_expert = F.cross_entropy(
            logits.flatten(0, 1),
            labels.repeat_interleave(self.num_experts, 0),
            reduction='none').view(logits.shape[:2])
        if modality_mask is None:
            return per_expert.mean()
        online = modality_mask.to(per_expert.dtype)
        return (per_expert * online).sum() / online.sum()

    def gate_responsibility_loss(self,
                                 expert_outputs: torch.Tensor,
                                 data_samples: SampleList,
                                 modality_mask: Optional[torch.Tensor] = None
                                 ) -> torch.Tensor:
        """Cross-entropy of the gate weights against the experts'
        responsibilities for the label (see the class docstring).

        Args:
            expert_outputs (torch.Tensor): Shape (B, N, C); B may be
                ``len(data_samples) * num_clips`` (sample-major).
            data_samples (list[ActionDataSample]): Samples with ``gt_label``
                (class indices or soft labels).
            modality_mask (torch.Tensor, optional): (B, N) bool, True =
                online; an offline expert has responsibility 0 and weight 0.

        Returns:
            torch.Tensor: Scalar, float32, ``-mean_b sum_n r_bn log w_bn``;
            its gradient reaches the gate's parameters only.
        """
        tokens = expert_outputs.detach()
        with torch.no_grad():
            probs = F.softmax(self.expert_logits(tokens).float(), dim=-1)
            labels = batch_labels(data_samples).to(probs.device)
            if labels.dim() == 1:
                labels = F.one_hot(labels, self.num_classes)
            labels = labels.float().repeat_interleave(probs.shape[0] //
                                                      len(labels), 0)  # (B, K)
            # log p_n(y) / T, (B, N); softmax over N = p_n(y)^(1/T) / sum
            log_label_probs = (probs * labels.unsqueeze(1)).sum(-1).clamp_min(
                1e-12).log() / self.gate_responsibility_temperature
            if modality_mask is not None:
                log_label_probs = log_label_probs.masked_fill(
                    ~modality_mask, float('-inf'))
            responsibility = F.softmax(log_label_probs, dim=1)
        scores = self.gate_scores(tokens, modality_mask=modality_mask).float()
        if modality_mask is not None:
            scores = scores.masked_fill(~modality_mask, float('-inf'))
        log_weights = F.log_softmax(scores, dim=1).clamp_min(-1e4)
        return -(responsibility * log_weights).sum(1).mean()

    @staticmethod
    def gate_importance_loss(gate_weights: torch.Tensor) -> torch.Tensor:
        """Shazeer et al.'s importance loss: the squared coefficient of
        variation of the experts' summed gate weights over the batch.

        Args:
            gate_weights (torch.Tensor): Shape (B, N).

        Returns:
            torch.Tensor: Scalar, 0 when every expert gets the same total
            weight.
        """
        importance = gate_weights.float().sum(dim=0)  # (N,)
        return importance.var(unbiased=False) / importance.mean().pow(2)

    def loss(self, feats: torch.Tensor, data_samples: SampleList,
             **kwargs) -> Dict[str, torch.Tensor]:
        """Classification loss of the fused prediction.

        Args:
            feats (torch.Tensor): Expert outputs of shape (B, N, C).
            data_samples (list[ActionDataSample]): Samples with ``gt_label``.

        Returns:
            dict[str, torch.Tensor]: ``loss_cls``, top-k accuracies,
            ``gate_entropy`` (mean entropy of the gate weights, logged only)
            and, when their weights are set, ``loss_expert_cls``,
            ``loss_gate_balance`` and ``loss_gate_responsibility``.
        """
        logits, gate_weights = self(
            feats if self.fused_loss_to_experts else feats.detach(), **kwargs)
        losses = self.loss_by_feat(logits, data_samples)
        entropy = -(gate_weights * gate_weights.clamp_min(1e-12).log()).sum(1)
        losses['gate_entropy'] = entropy.mean().detach()
        if self.expert_loss_weight > 0:
            losses['loss_expert_cls'] = self.expert_loss_weight * \
                self.expert_classification_loss(
                    feats, data_samples, kwargs.get('modality_mask'))
        if self.gate_balance_weight > 0:
            losses['loss_gate_balance'] = self.gate_balance_weight * \
                self.gate_importance_loss(gate_weights)
        if self.gate_responsibility_weight > 0:
            losses['loss_gate_responsibility'] = \
                self.gate_responsibility_weight * \
                self.gate_responsibility_loss(
                    feats, data_samples, kwargs.get('modality_mask'))
        if self.training and self.gate_warmup_iters > 0:
            self.gate_warmup_steps += 1
        return losses

    def predict(self, feats: torch.Tensor, data_samples: SampleList,
                **kwargs) -> SampleList:
        """Predict scores and attach the gate weights.

        Args:
            feats (torch.Tensor): Expert outputs of shape (B*num_clips, N, C).
            data_samples (list[ActionDataSample]): B samples.

        Returns:
            list[ActionDataSample]: Samples with ``pred_score``,
            ``pred_label`` and ``gate_weights`` (N,) -- or (num_clips, N)
            when ``average_clips`` is None, like the scores.
        """
        logits, gate_weights = self(feats, **kwargs)
        return attach_sample_weights(
            self.predict_by_feat(logits, data_samples), gate_weights,
            'gate_weights', self.average_clips)
