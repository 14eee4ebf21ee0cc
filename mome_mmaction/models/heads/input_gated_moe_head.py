import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import nn
from typing import Optional, Sequence, Tuple, Union

from .token_voting_gate_head import TokenVotingGateHead


@MODELS.register_module()
class InputGatedMoEHead(TokenVotingGateHead):
    """Input-gated mixture of experts: the gate looks at the raw inputs.

    Baseline to :class:`TokenVotingGateHead`: the gate is 3 linear layers
    (Linear -> ReLU -> Linear -> ReLU -> Linear) on a down-sampled copy of the
    raw clips (each modality average-pooled to ``gate_input_size``,
    flattened and concatenated in modality order); fusion and classifier are
    as in MoME. ``MoMERecognizer`` passes the clips as ``modality_inputs``
    because this head sets ``uses_modality_inputs``. Its ``gate_type`` is
    always ``'input'``.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Width C of the expert outputs.
        num_experts (int): Number of experts N.
        modality_channels (int | Sequence[int]): Channels of each modality's
            clip (one int for all). Defaults to 3.
        gate_input_size (Sequence[int]): (T, H, W) of the down-sampled
            clips. Defaults to (2, 8, 8).
        gate_channels (int, optional): Hidden width of the gate. Defaults to
            256.
        **kwargs: Other :class:`TokenVotingGateHead` arguments.
    """

    #: Tells ``MoMERecognizer`` to pass the raw clips as ``modality_inputs``.
    uses_modality_inputs = True

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_experts: int,
                 modality_channels: Union[int, Sequence[int]] = 3,
                 gate_input_size: Sequence[int] = (2, 8, 8),
                 gate_channels: Optional[int] = 256,
                 **kwargs) -> None:
        if isinstance(modality_channels, int):
            modality_channels = [modality_channels] * num_experts
        if len(modality_channels) != num_experts:
            raise ValueError(
                f'modality_channels {list(modality_channels)} must give one '
                f'channel count per expert ({num_experts})')
        if len(gate_input_size) != 3:
            raise ValueError('gate_input_size must be (T, H, W), got '
                             f'{gate_input_size}')
        self.modality_channels = list(modality_channels)
        self.gate_input_size = tuple(gate_input_size)
        super().__init__(
            num_classes,
            in_channels,
            num_experts,
            gate_type='input',
            gate_channels=gate_channels,
            **kwargs)

    def init_gate(self) -> None:
        """Build the 3-layer gate over the down-sampled raw clips."""
        t, h, w = self.gate_input_size
        in_features = sum(self.modality_channels) * t * h * w
        self.gate = nn.Sequential(
            nn.Linear(in_features, self.gate_channels), nn.ReLU(inplace=True),
            nn.Linear(self.gate_channels, self.gate_channels),
            nn.ReLU(inplace=True),
            nn.Linear(self.gate_channels, self.num_experts))

    def gate_scores(self,
                    expert_outputs: torch.Tensor,
                    modality_inputs: Optional[Sequence[torch.Tensor]] = None,
                    modality_mask: Optional[torch.Tensor] = None,
                    **kwargs) -> torch.Tensor:
        """Gate scores from the raw clips.

        Args:
            expert_outputs (torch.Tensor): Shape (B, N, C); not used by the
                gate.
            modality_inputs (Sequence[torch.Tensor]): N clips, each of shape
                (B, C_n, T, H, W), ordered as the experts.
            modality_mask (torch.Tensor, optional): (B, N) bool, True =
                online; an offline camera's clip is read as zeros.

        Returns:
            torch.Tensor: Scores of shape (B, N).
        """
        if modality_inputs is None or len(modality_inputs) != \
                self.num_experts:
            raise ValueError(
                f'{type(self).__name__} needs modality_inputs: one raw clip '
                f'tensor (B, C, T, H, W) per expert ({self.num_experts})')
        pooled = []
        for index, clips in enumerate(modality_inputs):
            if clips.dim() != 5 or \
                    clips.shape[1] != self.modality_channels[index]:
                raise ValueError(
                    f'Clip {index} for the input gate must have shape (B, '
                    f'{self.modality_channels[index]}, T, H, W), got '
                    f'{tuple(clips.shape)}')
            # (B, C_n, T, H, W) -> (B, C_n * t * h * w)
            features = F.adaptive_avg_pool3d(clips.float(),
                                             self.gate_input_size).flatten(1)
            if modality_mask is not None:  # an offline clip reads as zeros
                features = features.masked_fill(
                    ~modality_mask[:, index:index + 1], 0.)
            pooled.append(features)
        gate_inputs = torch.cat(pooled, dim=1).to(expert_outputs.dtype)
        return self.gate(gate_inputs)

    def forward(self,
                expert_outputs: torch.Tensor,
                modality_inputs: Optional[Sequence[torch.Tensor]] = None,
                **kwargs) -> Tuple[torch.Tensor, torch.Tensor]:
        """Gate on the raw clips, fuse the expert outputs, classify.

        Args:
            expert_outputs (torch.Tensor): Shape (B, N, C).
            modality_inputs (Sequence[torch.Tensor]): N clips of shape
                (B, C_n, T, H, W).

        Returns:
            Tuple[torch.Tensor, torch.Tensor]: Logits (B, num_classes) and
            gate weights (B, N).
        """
        return super().forward(
            expert_outputs, modality_inputs=modality_inputs, **kwargs)
