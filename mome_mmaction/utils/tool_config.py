"""The config arguments our command-line tools share."""
import argparse
from mmengine.config import Config, DictAction
from typing import Optional, Tuple


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the positional ``config`` and ``--cfg-options KEY=VALUE ...``."""
    parser.add_argument('config')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, as in tools/train.py and tools/test.py')


def config_from_args(args: argparse.Namespace) -> Config:
    """``args.config`` with ``args.cfg_options`` merged in."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def backbone_clip_size(cfg: Config) -> Optional[Tuple[int, int, int]]:
    """(T, H, W) of the config's backbone (UniFormerV2: ``t_size``,
    ``input_resolution``), or None when it names neither."""
    backbone = cfg.model.get('backbone', {})
    if 't_size' in backbone and 'input_resolution' in backbone:
        return (backbone['t_size'], backbone['input_resolution'],
                backbone['input_resolution'])
    return None
