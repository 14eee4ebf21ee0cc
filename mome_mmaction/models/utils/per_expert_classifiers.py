"""One linear classifier per expert, over the stacked expert outputs."""
import torch
import torch.nn as nn
from typing import Union


class PerExpertClassifiers(nn.ModuleList):
    """``num_experts`` independent ``nn.Linear(in_channels, num_classes)``.

    A ``ModuleList``, so ``self[n]`` is expert n's classifier and the
    state-dict keys are ``<name>.<n>.weight`` / ``.bias``.

    Args:
        in_channels (int): Width C of the expert outputs.
        num_classes (int): Number of classes K.
        num_experts (int): Number of experts N.
    """

    def __init__(self, in_channels: int, num_classes: int,
                 num_experts: int) -> None:
        super().__init__(
            [nn.Linear(in_channels, num_classes) for _ in range(num_experts)])

    def __getitem__(self, index: Union[int, slice]) -> nn.Module:
        """Expert ``index``'s classifier; a slice is a plain ``ModuleList``."""
        if isinstance(index, slice):
            return nn.ModuleList(list(self)[index])
        return super().__getitem__(index)

    def forward(self, expert_outputs: torch.Tensor) -> torch.Tensor:
        """Classify every expert output with its own classifier.

        Args:
            expert_outputs (torch.Tensor): Shape (B, N, C).

        Returns:
            torch.Tensor: Logits of shape (B, N, K).
        """
        return torch.stack([
            classifier(expert_outputs[:, index])
            for index, classifier in enumerate(self)
        ],
                           dim=1)
