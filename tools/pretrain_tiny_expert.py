"""Pretrain the tiny UniFormerV2 expert and export its backbone weights.

Usage: ``python tools/pretrain_tiny_expert.py [--config CONFIG] [--out FILE]
[--work-dir DIR] [--workers W] [--videos-per-class N]
[--val-videos-per-class M] [--cfg-options KEY=VALUE ...]
[tools/train.py args]``
(``bash tools/pretrain_tiny_expert.sh`` installs everything first).

1. writes, or completes, the generic synthetic motion corpus at the
   config's data root (``data/motion_pretraining``; an existing complete
   corpus is kept, one made with other arguments is refused);
2. trains ``--config`` (default
   ``configs/pretrain/uniformerv2_tiny_motion_pretrain.py``, stage 1) with
   ``tools/train.py`` into ``--work-dir`` (default ``work_dirs/<config
   name>``);
3. exports the best checkpoint's backbone (``backbone.*`` keys, fp32) to
   ``--out`` (default: the config's ``backbone_export``) with
   ``tools/export_backbone_weights.py``, printing its SHA-256 and size.

Paths are relative to the current folder, as in MMAction2's tools.
"""
import argparse
import subprocess
import sys
from mmengine.config import Config, DictAction
from pathlib import Path

from mome_mmaction.datasets.synthetic import make_motion_pretraining
from mome_mmaction.evaluation import best_checkpoint

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG = REPO_ROOT / 'configs/pretrain/uniformerv2_tiny_motion_pretrain.py'


def parse_args() -> argparse.Namespace:
    # No abbreviations: tools/pretrain_tiny_expert.sh refuses --config, --out
    # and --work-dir by their full names.
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0], allow_abbrev=False)
    parser.add_argument(
        '--config',
        type=Path,
        default=CONFIG,
        help='pretraining config (default: stage 1)')
    parser.add_argument(
        '--out',
        help="backbone weights file (default: the config's "
        'backbone_export)')
    parser.add_argument(
        '--work-dir', help='training work dir (default: work_dirs/<config>)')
    parser.add_argument(
        '--workers', type=int, default=2, help='processes writing the corpus')
    parser.add_argument('--videos-per-class', type=int, default=120)
    parser.add_argument('--val-videos-per-class', type=int, default=8)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='KEY=VALUE overrides for training, as in tools/train.py')
    args, args.train_args = parser.parse_known_args()
    return args


def run(*command: str) -> None:
    """Run one of our tools with this interpreter; stop if it fails."""
    command = (sys.executable, *command)
    print('[pretrain] ' + ' '.join(command), flush=True)
    subprocess.run(command, check=True)


def main() -> None:
    args = parse_args()
    args.work_dir = args.work_dir or f'work_dirs/{args.config.stem}'
    cfg = Config.fromfile(args.config)
    cfg_options = ['--cfg-options', *args.cfg_options
                   ] if args.cfg_options else []
    option_parser = argparse.ArgumentParser()
    option_parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={})
    cfg.merge_from_dict(option_parser.parse_args(cfg_options).cfg_options)
    args.out = args.out or cfg.get('backbone_export')
    if not args.out:
        raise SystemExit(f'{args.config} sets no backbone_export: give --out '
                         'FILE, where the backbone weights go')
    data_root = Path(cfg.train_dataloader.dataset.ann_file).parent
    print(f'[pretrain] corpus {data_root}', flush=True)
    corpus = make_motion_pretraining(
        data_root,
        videos_per_class=args.videos_per_class,
        val_videos_per_class=args.val_videos_per_class,
        workers=args.workers,
        progress=True)
    print(
        f'[pretrain] wrote {corpus["written"]} clips, kept '
        f'{corpus["skipped"]} existing',
        flush=True)
    run(
        str(REPO_ROOT / 'tools/train.py'), str(args.config), '--work-dir',
        args.work_dir, *args.train_args, *cfg_options)
    run(
        str(REPO_ROOT / 'tools/export_backbone_weights.py'),
        str(best_checkpoint(args.work_dir)), args.out)
    print(f"[pretrain] experts load it with init_cfg=dict(type='Pretrained', "
          f"checkpoint='{args.out}', prefix='backbone.')")


if __name__ == '__main__':
    main()
