"""Two-stage training: single-modality experts, then the multimodal model.

Usage: ``python tools/train_two_stage.py CONFIG GPUS [tools/train.py args]``
(what ``tools/train_two_stage.sh`` runs).

CONFIG is the stage-2 config; its top-level ``stage1_configs = dict(
<modality>=<single-modality config>, ...)`` names one stage-1 config per
expert. Each stage-1 config is trained with ``tools/dist_train.sh`` on GPUS
processes, then CONFIG with ``--cfg-options model.expert_checkpoints.
<modality>=<that stage's best checkpoint>``. Work dirs: ``RUN_DIR/stage1_
<modality>/`` and ``RUN_DIR/stage2/``, where RUN_DIR is ``--work-dir`` if
given, else ``$WORK_ROOT/<config name>`` (``WORK_ROOT`` defaults to
``work_dirs``). The other train args (``--cfg-options`` with split overrides,
``--amp``, ...) go to every stage.

Resumable: a finished stage leaves ``two_stage_done.json`` (its config and
checkpoint) and is not re-run (delete the file to train it again); a stage
that was interrupted is re-run with ``--resume``.
"""
import argparse
import json
import os
import subprocess
import sys
from mmengine.config import Config
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from mome_mmaction.evaluation import best_checkpoint

TOOLS = Path(__file__).resolve().parent
DONE_FILE = 'two_stage_done.json'


def read_stage1_configs(config: Path) -> Dict[str, Path]:
    """The ``stage1_configs`` of a two-stage config, checked.

    Args:
        config (Path): The stage-2 config.

    Returns:
        dict[str, Path]: Stage-1 config per modality, in the model's
        modality order.
    """
    cfg = Config.fromfile(str(config), import_custom_modules=False)
    stage1_configs = cfg.get('stage1_configs')
    if not isinstance(stage1_configs, dict) or not stage1_configs:
        sys.exit(f'{config} is not a two-stage config: it needs a top-level '
                 'stage1_configs = dict(<modality>=<single-modality config>, '
                 '...), one per expert')
    modalities = list(cfg.model.get('modalities', ()))
    if sorted(stage1_configs) != sorted(modalities):
        sys.exit(f'{config}: stage1_configs names {sorted(stage1_configs)} '
                 f'but the model has experts {modalities}')
    paths = {}
    for modality in modalities:
        path = Path(stage1_configs[modality])
        if not path.is_absolute():
            path = config.parent / path
        if not path.is_file():
            sys.exit(f'{config}: stage-1 config of {modality!r} not found: '
                     f'{path}')
        paths[modality] = path
    return paths


def split_train_args(train_args: List[str]
                     ) -> Tuple[List[str], List[str], Optional[str]]:
    """Separate ``--work-dir`` and ``--cfg-options`` from the other args.

    Args:
        train_args (list[str]): ``tools/train.py`` arguments after CONFIG.

    Returns:
        tuple: The other arguments, the ``--cfg-options`` values (so that
        each stage passes one ``--cfg-options``, with its own options
        added) and the ``--work-dir`` (None if not given).
    """
    others: List[str] = []
    cfg_options: List[str] = []
    work_dir = None
    pending = list(train_args)
    while pending:
        arg = pending.pop(0)
        if arg == '--work-dir' and pending:
            work_dir = pending.pop(0)
        elif arg.startswith('--work-dir='):
            work_dir = arg.split('=', 1)[1]
        elif arg == '--cfg-options':
            while pending and not pending[0].startswith('--'):
                cfg_options.append(pending.pop(0))
        else:
            others.append(arg)
    return others, cfg_options, work_dir


def final_checkpoint(work_dir: Path) -> Path:
    """The checkpoint a finished run hands on: its newest ``best_*.pth``
    (``save_best``), else its last checkpoint."""
    if list(work_dir.glob('best_*.pth')):
        return best_checkpoint(work_dir).resolve()
    last = work_dir / 'last_checkpoint'
    if last.is_file():
        return Path(last.read_text().strip()).resolve()
    sys.exit(f'[two-stage] no checkpoint in {work_dir} after training')


def run_stage(name: str, config: Path, work_dir: Path, gpus: int,
              args: List[str], cfg_options: List[str]) -> Path:
    """Train one stage with ``tools/dist_train.sh`` unless it is done.

    Returns:
        Path: The stage's :func:`final_checkpoint`.
    """
    done = work_dir / DONE_FILE
    if done.is_file():
        checkpoint = Path(json.loads(done.read_text())['checkpoint'])
        print(f'[two-stage] {name}: done ({done}), not re-run', flush=True)
        return checkpoint
    command = [str(TOOLS / 'dist_train.sh'), str(config), str(gpus)]
    command += ['--work-dir', str(work_dir), *args]
    if (work_dir / 'last_checkpoint').is_file() and '--resume' not in args:
        command.append('--resume')  # continue an interrupted run
    if cfg_options:
        command += ['--cfg-options', *cfg_options]
    print(f'[two-stage] {name}: {" ".join(command)}', flush=True)
    returncode = subprocess.run(command).returncode
    if returncode:
        sys.exit(f'[two-stage] {name} failed (exit {returncode}); run the '
                 'same command again to resume it')
    checkpoint = final_checkpoint(work_dir)
    done.write_text(
        json.dumps(dict(config=str(config), checkpoint=str(checkpoint))))
    print(f'[two-stage] {name}: checkpoint {checkpoint}', flush=True)
    return checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', type=Path, help='the stage-2 config')
    parser.add_argument('gpus', type=int, help='processes per stage')
    parser.add_argument(
        'train_args',
        nargs=argparse.REMAINDER,
        help='tools/train.py arguments, for every stage')
    args = parser.parse_args()
    stage1_configs = read_stage1_configs(args.config)
    others, cfg_options, work_dir = split_train_args(args.train_args)
    run_dir = Path(work_dir) if work_dir else Path(
        os.environ.get('WORK_ROOT', 'work_dirs')) / args.config.stem
    expert_options = []
    for modality, config in stage1_configs.items():
        checkpoint = run_stage(f'stage 1 ({modality})', config,
                               run_dir / f'stage1_{modality}', args.gpus,
                               others, cfg_options)
        expert_options.append(
            f'model.expert_checkpoints.{modality}={checkpoint}')
    run_stage('stage 2', args.config, run_dir / 'stage2', args.gpus, others,
              cfg_options + expert_options)


if __name__ == '__main__':
    main()
