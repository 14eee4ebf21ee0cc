from .early_fusion_recognizer import EarlyFusionRecognizer
from .mome_recognizer import MoMERecognizer

__all__ = ['EarlyFusionRecognizer', 'MoMERecognizer']
