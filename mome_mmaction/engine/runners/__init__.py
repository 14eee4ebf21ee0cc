from .portable_runner import PortableRunner

__all__ = ['PortableRunner']
