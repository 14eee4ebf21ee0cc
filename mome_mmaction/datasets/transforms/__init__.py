from .corrupt_modality import CorruptModality
from .drop_modality import DropModality
from .modality_dropout import ModalityDropout

__all__ = ['CorruptModality', 'DropModality', 'ModalityDropout']
