import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule
from typing import Dict, List, Optional, Sequence

from .loss_inputs import check_block_tokens, check_labels


def build_block_classifiers(in_channels: int, num_classes: int,
                            num_blocks: int,
                            num_experts: int) -> nn.ModuleList:
    """One linear classifier (C -> K) per expert and non-final block.

    Returns:
        nn.ModuleList: ``classifiers[n][l]`` classifies the class token
        (B, C) of expert n, block l+1 (l < num_blocks - 1).
    """
    return nn.ModuleList([
        nn.ModuleList([
            nn.Linear(in_channels, num_classes) for _ in range(num_blocks - 1)
        ]) for _ in range(num_experts)
    ])


def classify_blocks(block_cls_tokens: Sequence[Sequence[torch.Tensor]],
                    classifiers: nn.ModuleList, in_channels: int,
                    owner: str) -> List[List[torch.Tensor]]:
    """Classify every expert's non-final block class tokens.

    Args:
        block_cls_tokens: List over experts of lists over blocks (L) of class
            tokens (B, C).
        classifiers (nn.ModuleList): From :func:`build_block_classifiers`.
        in_channels (int): Expected C.
        owner (str): The loss, for error messages.

    Returns:
        list[list[torch.Tensor]]: Over experts, over blocks 1..L-1, logits
        (B, K).
    """
    block_logits = []
    for cls_tokens, expert_classifiers in zip(block_cls_tokens, classifiers):
        expert_logits = []
        for tokens, classifier in zip(cls_tokens[:-1], expert_classifiers):
            if tokens.dim() != 2 or tokens.shape[-1] != in_channels:
                raise ValueError(f'{owner}: class tokens must be (B, '
                                 f'{in_channels}), got {tuple(tokens.shape)}')
            expert_logits.append(classifier(tokens))
        block_logits.append(expert_logits)
    return block_logits


@MODELS.register_module()
class DeepSupervisionLoss(BaseModule):
    """Deep supervision: an auxiliary classifier on every shallower block.

    Each expert n and non-final block l (l = 1..L-1) gets its own linear
    classifier on the block's class token, trained with cross-entropy on the
    labels; the deepest block is supervised by the recognizer's own head::

        loss_deep_sup = loss_weight * mean_{n, l<L} CE(f_n,l(T_cls,l,n), y)

    with ``f_n,l`` the classifier of expert n, block l.

    Args:
        in_channels (int): Channels C of the block class tokens.
        num_classes (int): Number of classes.
        num_blocks (int): Number of tapped blocks L per expert (>= 2).
        num_experts (int): Number of experts N. Defaults to 1.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    #: This loss uses only class tokens.
    requires_st_tokens = False

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 num_blocks: int,
                 num_experts: int = 1,
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_blocks < 2:
            raise ValueError('DeepSupervisionLoss needs num_blocks >= 2 (the '
                             'deepest block is supervised by the head), got '
                             f'{num_blocks}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.num_blocks = num_blocks
        self.num_experts = num_experts
        self.loss_weight = loss_weight
        self.block_classifiers = build_block_classifiers(
            in_channels, num_classes, num_blocks, num_experts)

    def forward(self,
                block_cls_tokens: Sequence[Sequence[torch.Tensor]],
                block_st_tokens: Optional[Sequence] = None,
                expert_outputs: Optional[torch.Tensor] = None,
                labels: Optional[torch.Tensor] = None
                ) -> Dict[str, torch.Tensor]:
        """Compute the deep-supervision loss.

        Args:
            block_cls_tokens: List over experts (N) of lists over blocks (L)
                of class tokens of shape (B, C).
            block_st_tokens: Unused (common expert-loss call contract).
            expert_outputs: Unused.
            labels (torch.Tensor): Class ids of shape (B,).

        Returns:
            dict[str, torch.Tensor]: ``loss_deep_sup``.
        """
        _, batch_size = check_block_tokens(block_cls_tokens,
                                           'block_cls_tokens', self.num_blocks,
                                           self.num_experts)
        labels = check_labels(labels, batch_size, 'DeepSupervisionLoss')
        block_losses = [
            F.cross_entropy(logits.float(),
                            labels) for expert_logits in classify_blocks(
                                block_cls_tokens, self.block_classifiers,
                                self.in_channels, 'DeepSupervisionLoss')
            for logits in expert_logits
        ]
        return dict(loss_deep_sup=self.loss_weight *
                    torch.stack(block_losses).mean())
