from .anchor_semantic_head import AnchorSemanticHead
from .asymmetric_moe_head import AsymmetricMoEHead
from .base_fusion_head import BaseFusionHead
from .input_gated_moe_head import InputGatedMoEHead
from .interaction_experts_head import InteractionExpertsHead
from .late_fusion_head import LateFusionHead
from .rus_guided_moe_head import RUSGuidedMoEHead
from .token_voting_gate_head import TokenVotingGateHead

__all__ = [
    'AnchorSemanticHead', 'AsymmetricMoEHead', 'BaseFusionHead',
    'InputGatedMoEHead', 'InteractionExpertsHead', 'LateFusionHead',
    'RUSGuidedMoEHead', 'TokenVotingGateHead'
]
