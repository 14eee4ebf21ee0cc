"""Token-level mixture-of-experts pieces shared by the routed fusion heads
(``RUSGuidedMoEHead``, ``AsymmetricMoEHead``): top-k routing, the Switch
Transformer load-balancing loss and two residual token experts."""
import torch
import torch.nn.functional as F
from torch import nn
from typing import Tuple


def top_k_routing(router_logits: torch.Tensor,
                  top_k: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Keep the ``top_k`` experts of every token.

    Args:
        router_logits (torch.Tensor): (..., E); experts a token may not use
            have logit -inf (at least ``top_k`` must be finite).
        top_k (int): Experts per token.

    Returns:
        Tuple[torch.Tensor, torch.Tensor]: Routing weights (..., E), the
        softmax over the ``top_k`` largest logits and 0 elsewhere; and the
        chosen expert indices (..., top_k).
    """
    top_logits, top_indices = router_logits.topk(top_k, dim=-1)
    weights = torch.zeros_like(router_logits).scatter(
        -1, top_indices, F.softmax(top_logits, dim=-1))
    return weights, top_indices


def load_balance_loss(router_logits: torch.Tensor, top_k: int) -> torch.Tensor:
    """Switch-Transformer load balancing, unweighted: E * sum_e f_e P_e.

    f_e is the fraction of the top-k assignments that go to expert e, P_e
    its mean router probability (softmax over the logits, in float32).

    Args:
        router_logits (torch.Tensor): (..., E).
        top_k (int): Experts per token.

    Returns:
        torch.Tensor: Scalar; 1 for perfectly balanced routing over all E
        experts.
    """
    num_experts = router_logits.shape[-1]
    probs = F.softmax(router_logits.float(), dim=-1).flatten(0, -2)
    _, top_indices = router_logits.topk(top_k, dim=-1)
    counts = torch.bincount(top_indices.flatten(), minlength=num_experts)
    dispatch_fraction = counts.to(probs.dtype) / top_indices.numel()
    return num_experts * (dispatch_fraction * probs.mean(dim=0)).sum()


class FeedForwardExpert(nn.Module):
    """Token-wise expert: LayerNorm -> Linear -> GELU -> Dropout -> Linear.

    Returns a residual update; the head adds the routed, weighted updates to
    the tokens.

    Args:
        channels (int): Token width d.
        hidden_channels (int): Hidden width.
        dropout (float): Dropout after the activation.
    """

    def __init__(self, channels: int, hidden_channels: int,
                 dropout: float) -> None:
        super().__init__()
        self.ffn = nn.Sequential(
            nn.LayerNorm(channels), nn.Linear(channels, hidden_channels),
            nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden_channels,
                                                      channels))

    def forward(self, tokens: torch.Tensor,
                routed: torch.Tensor) -> torch.Tensor:
        """Update every token on its own.

        Args:
            tokens (torch.Tensor): (B, L, d).
            routed (torch.Tensor): (B, L) bool; unused (token-wise expert).

        Returns:
            torch.Tensor: Residual update (B, L, d).
        """
        return self.ffn(tokens)


class RoutedAttentionExpert(nn.Module):
    """Expert whose tokens attend to the tokens of the same sample that are
    routed to it, then an FFN (pre-norm); returns a residual update.

    Args:
        channels (int): Token width d.
        hidden_channels (int): FFN hidden width.
        num_heads (int): Attention heads.
        dropout (float): Attention and FFN dropout.
    """

    def __init__(self, channels: int, hidden_channels: int, num_heads: int,
                 dropout: float) -> None:
        super().__init__()
        self.norm_attention = nn.LayerNorm(channels)
        self.attention = nn.MultiheadAttention(
            channels, num_heads, dropout=dropout, batch_first=True)
        self.ffn = FeedForwardExpert(channels, hidden_channels, dropout)

    def forward(self, tokens: torch.Tensor,
                routed: torch.Tensor) -> torch.Tensor:
        """Attend among a sample's routed tokens.

        Args:
            tokens (torch.Tensor): (B, L, d), the L tokens of each sample
                this expert may see.
            routed (torch.Tensor): (B, L) bool, the tokens routed here (the
                only keys); rows of other tokens are computed but get zero
                routing weight.

        Returns:
            torch.Tensor: Residual update (B, L, d).
        """
        # A sample with no routed token attends over all of its tokens
        # (its outputs get zero weight); this only avoids empty softmaxes.
        ignored_keys = ~routed & routed.any(dim=1, keepdim=True)
        normed = self.norm_attention(tokens)
        attended, _ = self.attention(
            normed,
            normed,
            normed,
            key_padding_mask=ignored_keys,
            need_weights=False)
        return attended + self.ffn(tokens + attended, routed)
