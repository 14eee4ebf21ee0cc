from .input_gated_moe_head import InputGatedMoEHead
from .late_fusion_head import LateFusionHead
from .token_voting_gate_head import TokenVotingGateHead

__all__ = ['InputGatedMoEHead', 'LateFusionHead', 'TokenVotingGateHead']
