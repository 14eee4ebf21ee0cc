"""Inference latency: onnxruntime vs PyTorch eager, CPU, batch 1.

Builds the MoME+HTL model of ``configs/synthetic/mome_htl_synthetic.py``
(tiny: 3 pretrained-size tiny UniFormerV2 experts, 8 x 64 x 64) or
``configs/mome_htl_driveact.py`` (b16: 3 x UniFormerV2-B16, 8 x 224 x 224),
random weights (latency does not depend on them), exports it with
``tools/deployment/export_onnx.py``'s code (with the ``modality_mask``
input) into a temporary folder, checks the outputs agree, then times one
forward of each runtime on the same clips in turns (PyTorch, onnxruntime,
PyTorch, ...) until the ratio of the fastest calls settles within
``--tolerance`` or ``--budget`` seconds pass, and prints min and median
latency and the ratio. Both use the same number of threads
(``--threads``, default: torch's).

Usage::

    python benchmarks/onnx_latency.py --size tiny
    python benchmarks/onnx_latency.py --size b16 --budget 300
"""
import argparse
import os
import statistics
import tempfile
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from pathlib import Path
from timing import describe_stop, interleaved_until_stable

import mome_mmaction  # noqa: F401  (registers our models, fixes the stack)
from mome_mmaction.deployment import (ExportableRecognizer, example_inputs,
                                      export_onnx, max_abs_differences)

REPO_ROOT = Path(__file__).resolve().parents[1]
SIZES = dict(
    tiny=('configs/synthetic/mome_htl_synthetic.py', (8, 64, 64)),
    b16=('configs/mome_htl_driveact.py', (8, 224, 224)))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', choices=sorted(SIZES), default='tiny')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--tolerance', type=float, default=0.01)
    parser.add_argument(
        '--budget', type=float, default=120., help='seconds of timing')
    args = parser.parse_args(argv)
    import onnxruntime
    threads = args.threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    config, frames_size = SIZES[args.size]
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(REPO_ROOT / config).model).eval()
    wrapper = ExportableRecognizer(model)
    inputs = example_inputs(wrapper, frames_size, batch_size=1)
    with tempfile.TemporaryDirectory() as folder:
        onnx_file = os.path.join(folder, 'model.onnx')
        export_onnx(wrapper, inputs, onnx_file)
        size_mib = sum(
            os.path.getsize(os.path.join(folder, name))
            for name in os.listdir(folder)) / 2**20
        differences = max_abs_differences(wrapper, onnx_file, inputs)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            onnx_file, options, providers=['CPUExecutionProvider'])
        feeds = {
            name: tensor.numpy()
            for name, tensor in zip(wrapper.input_names, inputs)
        }

        def pytorch() -> None:
            with torch.no_grad():
                wrapper(*inputs)

        def ort() -> None:
            session.run(None, feeds)

        timing = interleaved_until_stable(
            dict(pytorch=pytorch, onnxruntime=ort),
            baseline='pytorch',
            tolerance=args.tolerance,
            budget_s=args.budget)
    print(f'[{args.size}] {config}, batch 1, clips {frames_size}, '
          f'{threads} threads; ONNX file {size_mib:.1f} MiB; max abs '
          'difference ' + ', '.join(f'{name} {value:.1e}'
                                    for name, value in differences.items()))
    print('  ' + describe_stop(timing, args.tolerance))
    for label, times in timing.times.items():
        print(f'  {label:12s} min {1000 * min(times):9.1f} ms  median '
              f'{1000 * statistics.median(times):9.1f} ms  | x'
              f'{timing.ratios[label]:.3f} of PyTorch (ratio of mins)')


if __name__ == '__main__':
    main()
