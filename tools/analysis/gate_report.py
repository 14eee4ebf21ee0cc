"""Gate weights per class and modality, and a confusion matrix.

Usage: ``python tools/analysis/gate_report.py CONFIG (CHECKPOINT | DUMP.pkl)
[--out DIR] [--plot-format png|svg|pdf]
[--cfg-options KEY=VALUE ...]``. With a checkpoint, tests it on
the config's test set first (dumping the predictions to
``DIR/predictions.pkl``); with a dump from ``tools/test.py CONFIG CKPT --dump
DUMP.pkl`` it only reads it. Writes
``gate_weights_per_class.{csv,md,png}`` and ``confusion_matrix.{csv,png}``
into DIR (default: ``work_dirs/<config name>/gate_report``) and, for the
synthetic data (its ``synthetic_driveact.json`` in the test set's
data_root), ``gate_weights_per_condition.{csv,md,png}``: accuracy and gate
weights per sensing condition (clean, each camera's failures). The plots
are PNG unless ``--plot-format`` says otherwise (the documentation's are
SVG, text files).
"""
import argparse
from pathlib import Path

import mome_mmaction  # noqa: F401  (stack fixes, registries)
from mome_mmaction.datasets import DRIVEACT_MIDLEVEL_CLASSES
from mome_mmaction.evaluation import recorded_conditions, write_gate_report
from mome_mmaction.evaluation.robustness import evaluate_case
from mome_mmaction.utils import load_pickle_safely
from mome_mmaction.utils.tool_config import (add_config_arguments,
                                             config_from_args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    parser.add_argument(
        'predictions',
        help='a checkpoint (.pth) or a dump '
        '(.pkl) of tools/test.py --dump')
    parser.add_argument('--out', type=Path)
    parser.add_argument(
        '--plot-format',
        default='png',
        help='matplotlib format of the plots (png, svg, pdf)')
    args = parser.parse_args()
    cfg = config_from_args(args)
    out_dir = args.out or Path('work_dirs') / Path(
        args.config).stem / 'gate_report'
    dump_file = Path(args.predictions)
    if dump_file.suffix != '.pkl':
        dump_file = out_dir / 'predictions.pkl'
        out_dir.mkdir(parents=True, exist_ok=True)
        evaluate_case(
            cfg,
            args.predictions,
            str(out_dir),
            'gate_report',
            dump_file=str(dump_file))
    classes = (
        cfg.test_dataloader.dataset.get('classes')
        or DRIVEACT_MIDLEVEL_CLASSES)
    predictions = load_pickle_safely(str(dump_file))
    conditions = recorded_conditions(
        predictions, cfg.test_dataloader.dataset.get('data_root', ''))
    files = write_gate_report(predictions, classes,
                              tuple(cfg.model.modalities), out_dir, conditions,
                              args.plot_format)
    print(f"{(out_dir / 'gate_weights_per_class.md').read_text()}")
    if conditions is not None:
        print(f"{(out_dir / 'gate_weights_per_condition.md').read_text()}")
    print('wrote ' + ', '.join(str(path) for path in files))


if __name__ == '__main__':
    main()
