"""Per-frame expert tokens (B, N, T, C) embedded for a fusion head."""
import torch
from torch import nn
from typing import Optional


class FrameTokenEmbedding(nn.Module):
    """LayerNorm -> Linear(C, d), plus learned modality and frame embeddings.

    The heads over per-frame class tokens (``MoMERecognizer`` passes them as
    ``frame_tokens`` to heads with ``uses_frame_tokens = True``) start from
    this: every token is normalized (no camera dominates by scale),
    projected to the head's width d, and told which camera and which frame
    it comes from (the per-frame class tokens of UniFormerV2's blocks carry
    no temporal order by themselves).

    Args:
        in_channels (int): Token width C.
        hidden_channels (int): Output width d.
        num_modalities (int): N.
        num_frames (int): T.
    """

    def __init__(self, in_channels: int, hidden_channels: int,
                 num_modalities: int, num_frames: int) -> None:
        super().__init__()
        self.expected_shape = (num_modalities, num_frames, in_channels)
        self.norm = nn.LayerNorm(in_channels)
        self.proj = nn.Linear(in_channels, hidden_channels)
        self.modality_embed = nn.Parameter(
            torch.zeros(num_modalities, 1, hidden_channels))
        self.frame_embed = nn.Parameter(
            torch.zeros(1, num_frames, hidden_channels))

    def forward(self, frame_tokens: torch.Tensor) -> torch.Tensor:
        """Embed the tokens.

        Args:
            frame_tokens (torch.Tensor): (B, N, T, C).

        Returns:
            torch.Tensor: (B, N, T, d).
        """
        return self.proj(self.norm(frame_tokens)) + self.modality_embed + \
            self.frame_embed


def select_frame_tokens(head: nn.Module, feats: torch.Tensor,
                        frame_tokens: Optional[torch.Tensor],
                        expected_shape: tuple) -> torch.Tensor:
    """The per-frame tokens a head was called with, shape-checked.

    ``MoMERecognizer`` calls a frame-token head as ``head(expert_outputs,
    frame_tokens=...)``; a user may also call ``head(frame_tokens)``.

    Args:
        head (nn.Module): The head, named in the error.
        feats (torch.Tensor): Expert outputs (B, N, C), or the frame tokens.
        frame_tokens (torch.Tensor, optional): (B, N, T, C).
        expected_shape (tuple): (N, T, C).

    Returns:
        torch.Tensor: (B, N, T, C).

    Raises:
        ValueError: Neither argument has shape (B, N, T, C).
    """
    tokens = frame_tokens if frame_tokens is not None else feats
    if tokens.dim() != 4 or tuple(tokens.shape[1:]) != tuple(expected_shape):
        raise ValueError(
            f'{type(head).__name__} expects frame tokens of shape (B, '
            f'{", ".join(map(str, expected_shape))}) (MoMERecognizer passes '
            f'them as frame_tokens), got {tuple(tokens.shape)}')
    return tokens
