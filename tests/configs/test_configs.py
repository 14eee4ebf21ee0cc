"""Every config builds (model and datasets); every synthetic config trains."""
import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from pathlib import Path
from typing import Callable

from mome_mmaction.datasets import DRIVEACT_MIDLEVEL_CLASSES
from mome_mmaction.deployment.onnx_export import HEAD_WEIGHT_OUTPUTS
from mome_mmaction.models.heads import AnchorSemanticHead
from mome_mmaction.models.utils.label_descriptions import (
    DEFAULT_LABEL_DESCRIPTIONS, load_label_descriptions)
from mome_mmaction.models.utils.temporal_rus import save_temporal_rus
from mome_mmaction.utils import load_checkpoint_weights_only
from tests.conftest import (MAIN_JOB_CONFIG, REPO_ROOT, parameters_on_meta,
                            run_tool)

CONFIGS = sorted(
    path for path in (REPO_ROOT / 'configs').rglob('*.py')
    if '_base_' not in path.parts)
#: Every config parsed once, to choose test parameters (tests that change a
#: config parse their own copy).
PARSED_CONFIGS = {path: Config.fromfile(path) for path in CONFIGS}
#: The demo's config (tools/demo.py).
SYNTHETIC_DRIVEACT_CONFIGS = [
    path for path in CONFIGS if path.parent.name == 'synthetic'
    and PARSED_CONFIGS[path].train_dataloader.dataset.type == 'DriveActDataset'
]

#: Two-stage configs (stage 2, naming their stage-1 configs).
TWO_STAGE_CONFIGS = [
    path for path in CONFIGS if 'stage1_configs' in PARSED_CONFIGS[path]
]
#: Synthetic configs whose experts could start from stage-1 checkpoints.
SYNTHETIC_EXPERT_CONFIGS = [
    path for path in SYNTHETIC_DRIVEACT_CONFIGS
    if PARSED_CONFIGS[path].model.type == 'MoMERecognizer'
]
#: Configs whose head ties the classes to their text descriptions.
LABEL_DESCRIPTION_CONFIGS = [
    path for path in CONFIGS
    if PARSED_CONFIGS[path].model.cls_head.get('type') == 'AnchorSemanticHead'
]
SYNTHETIC_STAGE1_CONFIGS = {
    modality: REPO_ROOT / f'configs/synthetic/single_{modality}_synthetic.py'
    for modality in ('rgb', 'ir', 'depth')
}


def config_id(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT / 'configs'))


def is_full_size(path: Path) -> bool:
    """A UniFormerV2-B16 (or larger) config."""
    return PARSED_CONFIGS[path].model.backbone.get('width', 0) >= 768


def is_not_the_main_job(path: Path) -> bool:
    return path != MAIN_JOB_CONFIG


def marked_slow(paths: list, is_slow: Callable[[Path], bool]) -> list:
    """``paths`` as test parameters, those ``is_slow`` marked slow."""
    return [
        pytest.param(
            path,
            id=config_id(path),
            marks=[pytest.mark.slow] if is_slow(path) else [])
        for path in paths
    ]


def use_rus_file(cfg: Config, tmp_path: Path) -> None:
    """Give a RUS-guided head a well-formed RUS file of its shapes (the
    real one is estimated from a trained model, tests/tools/
    test_compute_temporal_rus.py)."""
    head = cfg.model.cls_head
    if 'rus_file' not in head:
        return
    modalities = cfg.model.modalities
    frames = cfg.model.backbone.t_size
    rus = dict(
        U=torch.full((len(modalities), frames), 0.2),
        R=torch.full((len(modalities), len(modalities), frames), 0.1),
        S=torch.full((len(modalities), len(modalities), frames), 0.05))
    head.rus_file = str(
        save_temporal_rus(tmp_path / 'rus.npz', rus, modalities))


def save_stage1_checkpoints(stage1_configs: dict, tmp_path: Path) -> dict:
    """Build (without training) the model of each stage-1 config and save
    it as a stage-1 checkpoint; returns the backbone state dicts."""
    backbones = {}
    for modality, stage1_config in stage1_configs.items():
        torch.manual_seed(len(backbones))
        stage1 = MODELS.build(Config.fromfile(stage1_config).model)
        torch.save(
            dict(state_dict=stage1.state_dict()),
            tmp_path / f'stage1_{modality}.pth')
        backbones[modality] = stage1.backbone.state_dict()
    return backbones


def use_stage1_checkpoints(cfg: Config, tmp_path: Path) -> None:
    """Fill a two-stage config's expert checkpoints (train_two_stage.sh
    gives the best checkpoints of its stage-1 runs)."""
    if 'stage1_configs' not in cfg:
        return
    save_stage1_checkpoints(cfg.stage1_configs, tmp_path)
    for modality in cfg.stage1_configs:
        checkpoint = tmp_path / f'stage1_{modality}.pth'
        cfg.model.expert_checkpoints[modality] = str(checkpoint)


def use_data_root(cfg: Config, data_root: Path) -> None:
    """Point every split at ``data_root``, in this process (no workers)."""
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
        dataset = cfg[loader].dataset
        if dataset.type == 'DriveActDataset':
            dataset.data_root = str(data_root)


@pytest.mark.parametrize('path', marked_slow(CONFIGS, is_full_size))
def test_config_builds_model_and_datasets(path, synthetic_driveact_root,
                                          motion_videos_workspace,
                                          motion_pretraining_root, monkeypatch,
                                          tmp_path):
    cfg = Config.fromfile(path)
    if 'rus_file' in cfg.model.cls_head:  # as on a fresh clone
        cfg.model.cls_head.rus_file = str(tmp_path / 'not_written.npz')
    with parameters_on_meta():  # full-size: no weights, no memory
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    del model
    # Full-size Drive&Act configs read the synthetic data, which has the
    # same layout and real class names, through their full-size pipelines.
    use_data_root(cfg, synthetic_driveact_root)
    # The smoke and pretraining configs' data/.
    monkeypatch.chdir(motion_videos_workspace)
    crop = cfg.model.backbone.get('input_resolution', 32)
    frames = cfg.model.backbone.get('t_size', 4)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = DATASETS.build(cfg[loader].dataset)
        inputs = dataset[0]['inputs']
        if isinstance(inputs, dict):
            assert tuple(inputs) == tuple(cfg.model.modalities), loader
            shapes = {tuple(value.shape) for value in inputs.values()}
        else:
            shapes = {tuple(inputs.shape)}
        # The 4-clip x 3-crop test protocol: 12 views per sample.
        views = 12 if loader == 'test_dataloader' and path.stem.endswith(
            '_test4x3') else 1
        assert shapes == {(views, 3, frames, crop, crop)}, (loader, shapes)


class KeepValMetrics(Hook):
    """Keeps the metrics of the last validation (no second pass for them)."""

    def __init__(self) -> None:
        self.metrics = None

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.metrics = metrics


@pytest.mark.parametrize(
    'path', marked_slow(SYNTHETIC_DRIVEACT_CONFIGS, is_not_the_main_job))
def test_synthetic_config_trains(path, synthetic_driveact_root, tmp_path):
    cfg = Config.fromfile(path)
    use_rus_file(cfg, tmp_path)
    use_stage1_checkpoints(cfg, tmp_path)
    use_data_root(cfg, synthetic_driveact_root)
    # one optimizer step of batch 8; the validation then runs the updated model
    cfg.train_dataloader.dataset.indices = 8
    cfg.val_dataloader.dataset.indices = 4
    cfg.train_cfg.max_epochs = 1
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    validation = KeepValMetrics()
    runner.register_hook(validation, 'LOWEST')
    runner.train()  # validates after its epoch (val_interval 1)
    metrics = validation.metrics
    assert metrics is not None, 'the training did not validate'
    assert 0 <= metrics['acc/top1'] <= 1
    gate_keys = [f'gate/{m}' for m in cfg.model.get('modalities', ())]
    if gate_keys and all(key in metrics for key in gate_keys):
        assert sum(metrics[key] for key in gate_keys) == pytest.approx(1)
    parameters = dict(runner.model.named_parameters())
    assert all(torch.isfinite(p).all() for p in parameters.values())
    # the head's per-sample weights are distributions
    runner.model.eval()
    prediction = runner.model.test_step(next(iter(runner.val_dataloader)))[0]
    head = getattr(runner.model, 'cls_head', None)
    field = next((name for head_type, name in HEAD_WEIGHT_OUTPUTS.items()
                  if isinstance(head, head_type)), 'gate_weights')
    if field in prediction:
        # anchor attention (A, N, T): each anchor's weights over N*T tokens
        dims = (-2, -1) if isinstance(head, AnchorSemanticHead) else (-1, )
        sums = prediction.get(field).sum(dims)
        torch.testing.assert_close(sums, torch.ones_like(sums))


@pytest.mark.parametrize('path', LABEL_DESCRIPTION_CONFIGS, ids=config_id)
def test_descriptions_cover_every_class_of_the_config(path):
    """The head's class names are the dataset's, in order, and the
    description file has a distinct description for each of them."""
    cfg = PARSED_CONFIGS[path]
    head = cfg.model.cls_head
    dataset_classes = tuple(
        cfg.train_dataloader.dataset.get('classes')
        or DRIVEACT_MIDLEVEL_CLASSES)
    class_names = tuple(head.get('class_names') or DRIVEACT_MIDLEVEL_CLASSES)
    assert class_names == dataset_classes
    descriptions = load_label_descriptions(
        head.get('label_descriptions') or DEFAULT_LABEL_DESCRIPTIONS,
        class_names)
    assert len(set(descriptions)) == head.num_classes == len(class_names)


def test_descriptions_configs_are_found():
    assert {path.name
            for path in LABEL_DESCRIPTION_CONFIGS} >= {
                'anchor_semantic_synthetic.py', 'anchor_semantic_driveact.py'
            }


@pytest.mark.parametrize('path', TWO_STAGE_CONFIGS, ids=config_id)
def test_two_stage_config_names_a_stage1_config_per_expert(path):
    """Each stage-1 model has the backbone of its stage-2 expert, and the
    expert checkpoints are slots that tools/train_two_stage.sh fills."""
    cfg = Config.fromfile(path)
    assert sorted(cfg.stage1_configs) == sorted(cfg.model.modalities)
    assert cfg.model.expert_checkpoints == {
        modality: None
        for modality in cfg.model.modalities
    }
    for modality, stage1_config in cfg.stage1_configs.items():
        stage1 = Config.fromfile(stage1_config)
        assert stage1.model.type == 'Recognizer3D', modality
        assert stage1.model.backbone == cfg.model.backbone, modality
        assert stage1.train_dataloader.dataset.modalities == dict(
            imgs=cfg.modalities[modality])
        assert stage1.train_cfg == cfg.train_cfg  # the same schedule


@pytest.mark.parametrize('path', SYNTHETIC_EXPERT_CONFIGS, ids=config_id)
def test_stage1_checkpoints_start_the_experts(path, tmp_path):
    """model.expert_checkpoints works for every multimodal family (gate,
    late fusion, input-gated, interaction and RUS-guided heads, HTL, MoDE),
    from the synthetic single-modality configs' checkpoints."""
    cfg = Config.fromfile(path)
    use_rus_file(cfg, tmp_path)
    stage1_configs = {
        modality: SYNTHETIC_STAGE1_CONFIGS[modality]
        for modality in cfg.model.modalities
    }
    backbones = save_stage1_checkpoints(stage1_configs, tmp_path)
    cfg.model.expert_checkpoints = {
        modality: str(tmp_path / f'stage1_{modality}.pth')
        for modality in stage1_configs
    }
    model = MODELS.build(cfg.model)
    model.init_weights()
    for modality, backbone in backbones.items():
        expert = model.backbone.experts[modality].state_dict()
        assert expert.keys() == backbone.keys()
        for key, value in backbone.items():
            assert torch.equal(expert[key], value), (modality, key)


@pytest.mark.slow
def test_the_main_job_is_deterministic(main_job_run, tmp_path):
    """Two runs of the demo's config (MoME + HTL from the pretrained tiny
    expert, random crops, dropout, shuffling) with one seed end with
    identical weights: the main job's training (``tools/demo.py`` runs
    ``tools/train.py``) and the same ``tools/train.py`` command again."""
    run_tool([
        'tools/train.py', main_job_run['config'], '--work-dir',
        tmp_path / 'second', '--cfg-options', *main_job_run['options']
    ],
             cwd=REPO_ROOT)
    runs = [
        load_checkpoint_weights_only(str(work_dir /
                                         'epoch_1.pth'))['state_dict']
        for work_dir in (main_job_run['work_dir'], tmp_path / 'second')
    ]
    assert runs[0].keys() == runs[1].keys()
    for name, weight in runs[0].items():
        assert torch.equal(weight, runs[1][name]), name


def test_the_stable_recipe_and_its_synthetic_twin_agree():
    """configs/mome_htl_stable_driveact.py is measured by its synthetic twin
    on the benchmark: both change the paper's head and HTL the same way (the
    L_inter warm-up aside, which counts each dataset's own steps)."""
    full = PARSED_CONFIGS[REPO_ROOT /
                          'configs/mome_htl_stable_driveact.py'].model
    twin_path = 'mome_htl_stable_prediction_inter_synthetic.py'
    twin = PARSED_CONFIGS[REPO_ROOT / 'configs/synthetic' / twin_path].model
    for key in ('expert_loss_weight', 'mlp_channels', 'gate_token_norm',
                'fusion'):
        assert full.cls_head.get(key) == twin.cls_head.get(key), key
    full_htl, twin_htl = MODELS.build(full.htl_loss), MODELS.build(
        twin.htl_loss)
    for key in ('alpha', 'beta', 'inter_reduction', 'intra_cls_teacher',
                'detach_teacher', 'inter_batch_standardize', 'inter_target'):
        assert getattr(full_htl, key) == getattr(twin_htl, key), key
    assert full_htl.inter_target == 'predictions'
    assert full_htl.beta_warmup_iters > 0 and twin_htl.beta_warmup_iters > 0
