"""Deployment: ONNX export of the recognizers (``pip install -e .[deploy]``
for onnx and onnxruntime)."""
from .onnx_export import (ExportableRecognizer, clip_channels, example_inputs,
                          export_onnx, max_abs_differences,
                          onnxruntime_outputs)

__all__ = [
    'ExportableRecognizer', 'clip_channels', 'example_inputs', 'export_onnx',
    'max_abs_differences', 'onnxruntime_outputs'
]
