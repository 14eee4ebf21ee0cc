"""tools/analysis/compute_temporal_rus.py on a tiny trained MoME model."""
import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.optim import OptimWrapper

from mome_mmaction.models.utils import load_temporal_rus
from ..conftest import REPO_ROOT, run_tool

MODALITIES = ('rgb', 'ir', 'depth')

#: The synthetic configs' experts: the pretrained tiny expert, 8 frames of
#: 64x64, width 128.
FRAMES, SIZE, WIDTH = 8, 64, 128


def tiny_mome_checkpoint(path):
    """The synthetic MoME (pretrained tiny experts) trained for two steps,
    saved as mmengine does."""
    torch.manual_seed(0)
    model = MODELS.build(
        Config.fromfile(
            str(REPO_ROOT / 'configs/synthetic/mome_synthetic.py')).model)
    model.init_weights()
    optim_wrapper = OptimWrapper(torch.optim.AdamW(model.parameters(), 1e-3))
    for step in range(2):
        model.train_step(
            dict(
                inputs={
                    name: [
                        torch.rand(1, 3, FRAMES, SIZE, SIZE) * 255
                        for _ in range(2)
                    ]
                    for name in MODALITIES
                },
                data_samples=[
                    ActionDataSample().set_gt_label(label) for label in (0, 1)
                ]), optim_wrapper)
    torch.save(dict(meta=dict(epoch=1), state_dict=model.state_dict()), path)
    return path


def test_tool_writes_rus_file_the_head_loads(synthetic_driveact_root,
                                             tmp_path):
    checkpoint = tiny_mome_checkpoint(tmp_path / 'mome.pth')
    rus_file = tmp_path / 'rus' / 'synthetic.npz'
    config = tmp_path / 'rus_config.py'
    base = REPO_ROOT / 'configs/synthetic/rus_guided_moe_synthetic.py'
    config.write_text(f"""
_base_ = ['{base}']
data_root = '{synthetic_driveact_root}'
model = dict(cls_head=dict(rus_file='{rus_file}'))
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root))
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       dataset=dict(data_root=data_root))
""")
    result = run_tool([
        'tools/analysis/compute_temporal_rus.py', config, checkpoint,
        '--steps', '20'
    ],
                      cwd=tmp_path)
    assert f'wrote {rus_file}' in result.stdout
    with np.load(rus_file, allow_pickle=False) as archive:
        shapes = {key: archive[key].shape for key in archive.files}
        assert archive['modalities'].tolist() == list(MODALITIES)
    assert shapes == dict(
        modalities=(3, ),
        U=(3, FRAMES),
        R=(3, 3, FRAMES),
        S=(3, 3, FRAMES),
        mi_single=(3, FRAMES),
        mi_pair=(3, 3, FRAMES),
        label_entropy=(),
        lag=())
    rus = load_temporal_rus(rus_file, num_modalities=3, num_frames=FRAMES)
    assert all((rus[key] >= 0).all() for key in rus)
    # The config's head now builds with the file and runs on frame tokens.
    cfg = Config.fromfile(str(config))
    model = MODELS.build(cfg.model).eval()
    logits, routing_weights = model.cls_head(
        torch.randn(2, 3, WIDTH),
        frame_tokens=torch.randn(2, 3, FRAMES, WIDTH))
    assert routing_weights.shape == (2, 3, FRAMES, 4)


def test_tool_refuses_checkpoint_without_experts(tmp_path):
    torch.save(
        dict(state_dict={'cls_head.fc.weight': torch.zeros(1)}),
        tmp_path / 'head_only.pth')
    config = REPO_ROOT / 'configs/synthetic/interaction_experts_synthetic.py'
    with pytest.raises(pytest.fail.Exception, match='no backbone'):
        run_tool([
            'tools/analysis/compute_temporal_rus.py', config,
            tmp_path / 'head_only.pth'
        ],
                 cwd=tmp_path)
