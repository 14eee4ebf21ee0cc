"""Export a trained recognizer to ONNX and check it with onnxruntime.

Usage: ``python tools/deployment/export_onnx.py CONFIG CKPT [--out F.onnx]
[--shape T H W] [--dynamic-batch] [--opset N] [--no-modality-mask]
[--cfg-options KEY=VALUE ...]``.

Works for every recognizer family we ship: ``MoMERecognizer`` with each head
(gate, input-gated, late fusion, interaction experts, RUS-guided MoE),
``EarlyFusionRecognizer`` and MMAction2's ``Recognizer3D`` (one expert).
The graph has one input per modality, named after it (``inputs`` for a
``Recognizer3D``), each a (B, C, T, H, W) float clip of raw pixel values as
the test pipeline gives them (normalization is inside the graph), plus
``modality_mask`` (B, N) bool (True = camera online) for the gate heads; its
outputs are ``scores`` (B, K) and, for heads that fuse with weights,
``gate_weights`` / ``interaction_weights`` / ``routing_weights`` /
``group_weights`` / ``anchor_attention``.

The exported graph is run with onnxruntime on random clips (and, with a
mask, once more with the first camera offline); the tool prints the max abs
difference to PyTorch per output, the opset and the file size. Needs
``pip install -e .[deploy]`` (onnx, onnxruntime).
"""
import argparse
import os
import torch
from mmaction.registry import MODELS
from mmengine.runner import load_checkpoint
from pathlib import Path

import mome_mmaction  # noqa: F401  (stack fixes, registries)
from mome_mmaction.deployment import (ExportableRecognizer, example_inputs,
                                      export_onnx, max_abs_differences)
from mome_mmaction.utils.tool_config import (add_config_arguments,
                                             backbone_clip_size,
                                             config_from_args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    parser.add_argument('checkpoint')
    parser.add_argument(
        '--out', type=Path, help='default: CKPT with the suffix .onnx')
    parser.add_argument(
        '--shape',
        nargs=3,
        type=int,
        metavar=('T', 'H', 'W'),
        help="clip size (default: the backbone's t_size and "
        'input_resolution)')
    parser.add_argument(
        '--dynamic-batch',
        action='store_true',
        help='dynamic batch dimension (default: batch 1)')
    parser.add_argument('--opset', type=int, default=18)
    parser.add_argument(
        '--no-modality-mask',
        action='store_true',
        help='no modality_mask input for the gate heads')
    args = parser.parse_args()
    cfg = config_from_args(args)
    frames_size = tuple(args.shape or backbone_clip_size(cfg) or ())
    if not frames_size:
        parser.error(f'{args.config}: the backbone names no t_size and '
                     'input_resolution; pass --shape T H W')
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    wrapper = ExportableRecognizer(
        model.eval(),
        with_modality_mask=False if args.no_modality_mask else None)
    out_file = args.out or Path(args.checkpoint).with_suffix('.onnx')
    out_file.parent.mkdir(parents=True, exist_ok=True)
    inputs = example_inputs(wrapper, frames_size, batch_size=1)
    export_onnx(wrapper, inputs, str(out_file), args.opset, args.dynamic_batch)
    print(f'[export_onnx] {type(model).__name__} with '
          f'{type(model.cls_head).__name__} -> {out_file} (opset '
          f'{args.opset}, {os.path.getsize(out_file) / 2**20:.1f} MiB)')
    print(f'[export_onnx] inputs {wrapper.input_names} (clips of '
          f'T, H, W = {frames_size}), outputs {wrapper.output_names}')
    checks = [('random clips',
               example_inputs(wrapper, frames_size,
                              2 if args.dynamic_batch else 1, 1))]
    if wrapper.with_modality_mask:
        offline = example_inputs(wrapper, frames_size,
                                 2 if args.dynamic_batch else 1, 2)
        offline[-1][:, 0] = False
        checks.append((f'{wrapper.modalities[0]} offline', offline))
    for name, check_inputs in checks:
        differences = max_abs_differences(wrapper, str(out_file), check_inputs)
        print(f'[export_onnx] onnxruntime vs PyTorch, {name} (batch '
              f'{check_inputs[0].shape[0]}): max abs difference ' +
              ', '.join(f'{output} {value:.2e}'
                        for output, value in differences.items()))


if __name__ == '__main__':
    with torch.no_grad():
        main()
