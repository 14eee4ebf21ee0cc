from .modality_experts import ModalityExperts

__all__ = ['ModalityExperts']
