"""Evaluate a checkpoint with each modality dropped or degraded."""
import copy
from mmaction.registry import RUNNERS
from mmengine.config import Config
from mmengine.runner import Runner
from typing import Dict, List, Optional, Sequence, Tuple

#: ``PackActionInputs``' default ``meta_keys`` (MMAction2 1.2).
DEFAULT_META_KEYS = ('img_shape', 'img_key', 'video_id', 'timestamp')

#: Test-time failures applied to each modality in turn: (name, transform).
DEFAULT_FAILURES: Tuple[Tuple[str, Dict], ...] = (
    ('drop', dict(type='DropModality')),
    ('mask', dict(type='DropModality', mask=True)),
    ('darken', dict(type='CorruptModality', kind='darken', severity=0.8)),
    ('noise', dict(type='CorruptModality', kind='noise', severity=0.3)),
    ('occlusion', dict(type='CorruptModality', kind='occlusion',
                       severity=0.5)),
)


def failure_cases(
    modalities: Sequence[str],
    failures: Sequence[Tuple[str, Dict]] = DEFAULT_FAILURES
) -> List[Tuple[str, Optional[Dict]]]:
    """``('clean', None)`` then ``('<modality> <failure>', transform)``."""
    cases: List[Tuple[str, Optional[Dict]]] = [('clean', None)]
    for modality in modalities:
        for name, transform in failures:
            cases.append(
                (f'{modality} {name}', dict(transform, modality=modality)))
    return cases


def insert_before_packing(pipeline: List[Dict], transform: Dict) -> List[Dict]:
    """A copy of ``pipeline`` with ``transform`` right before packing.

    A transform that sets the sample's ``modality_mask`` (``mask=True``)
    also gets the key added to the packing step's ``meta_keys``.
    """
    types = [step['type'] for step in pipeline]
    if 'PackActionInputs' not in types:
        raise ValueError('the test pipeline has no PackActionInputs step to '
                         f'insert a failure before (steps: {types})')
    index = types.index('PackActionInputs')
    packing = copy.deepcopy(pipeline[index])
    if transform.get('mask'):
        meta_keys = tuple(packing.get('meta_keys', DEFAULT_META_KEYS))
        packing['meta_keys'] = meta_keys + ('modality_mask', )
    return [*pipeline[:index], transform, packing, *pipeline[index + 1:]]


def evaluate_case(cfg: Config,
                  checkpoint: str,
                  work_dir: str,
                  case: str,
                  transform: Optional[Dict] = None,
                  dump_file: Optional[str] = None) -> Dict[str, float]:
    """Test ``checkpoint`` with ``transform`` added to the test pipeline.

    Adds ``GateWeightMetric`` next to the config's test evaluator when the
    model names its ``modalities`` and the config has none, and mmengine's
    ``DumpResults`` when ``dump_file`` is given (as ``tools/test.py --dump``
    does).

    Returns:
        dict: The evaluator's metrics, e.g. ``acc/top1``, ``gate/rgb``.
    """
    cfg = copy.deepcopy(cfg)
    dataset = cfg.test_dataloader.dataset
    if transform is not None:
        dataset.pipeline = insert_before_packing(dataset.pipeline, transform)
    evaluators = cfg.test_evaluator
    evaluators = list(evaluators) if isinstance(evaluators,
                                                (list,
                                                 tuple)) else [evaluators]
    if cfg.model.get('modalities') and not any(
            evaluator.get('type') == 'GateWeightMetric'
            for evaluator in evaluators):
        evaluators.append(
            dict(
                type='GateWeightMetric',
                modalities=tuple(cfg.model.modalities)))
    if dump_file is not None:
        evaluators.append(dict(type='DumpResults', out_file_path=dump_file))
    cfg.test_evaluator = evaluators
    cfg.load_from = checkpoint
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.experiment_name = case.replace(' ', '_')
    runner = (
        RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg))
    return runner.test()
