import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModule
from typing import Dict, List, Optional, Sequence

from .deep_supervision_loss import build_block_classifiers, classify_blocks
from .loss_inputs import check_block_tokens
from .token_distributions import softmax_kl_divergence, teacher_distribution


@MODELS.register_module()
class ClassTokenSelfDistillLoss(BaseModule):
    """Self-distillation of the final prediction into shallower blocks.

    The self-distillation baseline of Table 4. Two targets:

    ``target='prediction'`` (default) follows Sultana et al., "Self-Distilled
    Vision Transformer for Domain Generalization" (ACCV 2022): the class token
    of an intermediate block is classified and the final prediction is
    distilled into it. Expert n's block l (l = 1..L-1) gets its own linear
    classifier ``f_n,l`` (C -> K) and::

        z_l,n = f_n,l(T_cls,l,n)                 (B, K) block logits
        loss_self_distill = loss_weight * tau^2 / (N (L-1))
            * sum_n sum_{l<L} KL(softmax(z / tau) || softmax(z_l,n / tau))

    with ``z`` the logits the recognizer's head computed in the same forward
    pass (``cls_scores``; :class:`MoMERecognizer` passes them because
    ``requires_cls_scores`` is True): the head's prediction for a single
    expert, the fused prediction teaching every expert's blocks for N
    experts, or expert n's own logits (B, N, K) for a head that classifies
    each expert (``LateFusionHead``). KL is summed over the K classes and
    averaged over the batch. The deepest tapped block L has no classifier:
    its role is the head's (the expert output after UniFormerV2's temporal
    decoder), as in :class:`DeepSupervisionLoss`.

    Where this adapts the paper (its code, github.com/maryam089/SDViT):

    - Classifiers: SDViT passes intermediate class tokens through the final
      LayerNorm and the final head (no new parameters). Here the head's
      input is the expert output, not a block's class token, so each
      expert's block gets its own linear classifier -- the same classifiers
      as :class:`DeepSupervisionLoss`, so the two Table 4 baselines differ
      only in the target (final prediction vs labels).
    - Blocks: SDViT samples one of the L blocks per step uniformly at
      random (the last one giving 0); here every intermediate block is
      distilled every step and the terms are averaged: SDViT's expected
      term times L / (L-1), without its sampling variance.
    - Reduction: SDViT's ``kl_div(reduction='sum') / numel`` also divides
      by K; here KL is batch-averaged (Hinton et al.'s ``tau^2`` scaling),
      so SDViT's weight lambda corresponds to ``loss_weight = lambda / K``.
    - Teacher: SDViT lets the KL gradient reach the final logits too;
      here they are detached by default (``detach_teacher=False`` gives
      SDViT's behaviour). SDViT tunes lambda in {0.1, 0.2, 0.5} and tau in
      {3, 5}; the defaults here are ``loss_weight=1``, ``temperature=1``.

    ``target='class_token'`` is HTL's class-token term alone: the deepest
    tapped class token teaches the shallower ones, with a softmax over the
    C raw token channels, no classifier::

        P_l,n = softmax(T_cls,l,n / tau)     over the C channels
        loss_self_distill = loss_weight * tau^2 / (N (L-1))
                            * sum_n sum_{l<L} KL(P_L,n || P_l,n)

    Args:
        num_blocks (int): Number of tapped blocks L per expert (>= 2); the
            last one is the teacher (``'class_token'``) or has no
            classifier (``'prediction'``).
        target (str): ``'prediction'`` or ``'class_token'`` (see above).
            Defaults to ``'prediction'``.
        in_channels (int, optional): Channels C of the block class tokens.
            Required for ``'prediction'``; unused otherwise.
        num_classes (int, optional): Number of classes K. Required for
            ``'prediction'``; unused otherwise.
        num_experts (int): Number of experts N, one set of block
            classifiers each (``'prediction'``). Defaults to 1.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        temperature (float): Softening temperature tau. Defaults to 1.0.
        detach_teacher (bool): Stop gradients at the teacher (the head's
            logits, or the deepest class token). Defaults to True.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    #: The distillation targets this loss offers.
    TARGETS = ('prediction', 'class_token')

    #: This loss uses only class tokens.
    requires_st_tokens = False

    def __init__(self,
                 num_blocks: int,
                 target: str = 'prediction',
                 in_channels: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 num_experts: int = 1,
                 loss_weight: float = 1.0,
                 temperature: float = 1.0,
                 detach_teacher: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_blocks < 2:
            raise ValueError('ClassTokenSelfDistillLoss needs num_blocks >= '
                             f'2 (a teacher and a student), got {num_blocks}')
        if temperature <= 0:
            raise ValueError('ClassTokenSelfDistillLoss temperature must be '
                             f'> 0, got {temperature}')
        if target not in self.TARGETS:
            raise ValueError(f'ClassTokenSelfDistillLoss target must be one '
                             f'of {self.TARGETS}, got {target!r}')
        self.num_blocks = num_blocks
        self.target = target
        self.loss_weight = loss_weight
        self.temperature = temperature
        self.detach_teacher = detach_teacher
        if target == 'class_token':
            return
        if in_channels is None or num_classes is None:
            raise ValueError(
                "ClassTokenSelfDistillLoss(target='prediction') classifies "
                'the block class tokens: it needs in_channels (C of the '
                'tokens) and num_classes, got in_channels='
                f'{in_channels}, num_classes={num_classes}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.num_experts = num_experts
        self.block_classifiers = build_block_classifiers(
            in_channels, num_classes, num_blocks, num_experts)

    @property
    def requires_cls_scores(self) -> bool:
        """bool: Whether the recognizer must pass the head's logits."""
        return self.target == 'prediction'

    def forward(self,
                block_cls_tokens: Sequence[Sequence[torch.Tensor]],
                block_st_tokens: Optional[Sequence] = None,
                expert_outputs: Optional[torch.Tensor] = None,
                labels: Optional[torch.Tensor] = None,
                cls_scores: Optional[torch.Tensor] = None
                ) -> Dict[str, torch.Tensor]:
        """Compute the self-distillation loss.

        Args:
            block_cls_tokens: List over experts (N) of lists over blocks (L,
                shallow to deep) of class tokens of shape (B, C).
            block_st_tokens: Unused (common expert-loss call contract).
            expert_outputs: Unused.
            labels: Unused.
            cls_scores (torch.Tensor, optional): The head's logits of the
                same forward pass, (B, K) (one prediction teaches every
                expert) or (B, N, K) (expert n's logits teach expert n).
                Required for ``target='prediction'``; unused otherwise.

        Returns:
            dict[str, torch.Tensor]: ``loss_self_distill``.
        """
        if self.target == 'prediction':
            num_experts, batch_size = check_block_tokens(
                block_cls_tokens, 'block_cls_tokens', self.num_blocks,
                self.num_experts)
            teachers = self._prediction_teachers(cls_scores, batch_size)
            students = classify_blocks(block_cls_tokens,
                                       self.block_classifiers,
                                       self.in_channels,
                                       'ClassTokenSelfDistillLoss')
        else:
            num_experts, _ = check_block_tokens(block_cls_tokens,
                                                'block_cls_tokens',
                                                self.num_blocks)
            teachers = [cls_tokens[-1] for cls_tokens in block_cls_tokens]
            students = [cls_tokens[:-1] for cls_tokens in block_cls_tokens]
        total = 0.
        for teacher, expert_students in zip(teachers, students):
            teacher = teacher / self.temperature
            if self.detach_teacher:
                teacher = teacher.detach()
            distribution = teacher_distribution(teacher)
            for student in expert_students:
                total = total + softmax_kl_divergence(
                    student / self.temperature, teacher, distribution).mean()
        loss = self.temperature**2 * total / (
            num_experts * (self.num_blocks - 1))
        return dict(loss_self_distill=self.loss_weight * loss)

    def _prediction_teachers(self, cls_scores: Optional[torch.Tensor],
                             batch_size: int) -> List[torch.Tensor]:
        """Check the head's logits; one (B, K) teacher per expert."""
        shapes = (f'({batch_size}, {self.num_classes}) or ({batch_size}, '
                  f'{self.num_experts}, {self.num_classes})')
        if cls_scores is None:
            raise ValueError(
                "ClassTokenSelfDistillLoss(target='prediction') needs "
                f'cls_scores {shapes}, the head\'s logits of the same '
                'forward pass (MoMERecognizer passes them to losses with '
                'requires_cls_scores)')
        expected = [(batch_size, self.num_classes),
                    (batch_size, self.num_experts, self.num_classes)]
        if not isinstance(cls_scores, torch.Tensor) or tuple(
                cls_scores.shape) not in expected:
            found = (
                tuple(cls_scores.shape) if isinstance(cls_scores, torch.Tensor)
                else type(cls_scores).__name__)
            raise ValueError('ClassTokenSelfDistillLoss: cls_scores must be '
                             f'{shapes}, got {found}')
        if cls_scores.dim() == 2:
            return [cls_scores] * self.num_experts
        return list(cls_scores.unbind(dim=1))
