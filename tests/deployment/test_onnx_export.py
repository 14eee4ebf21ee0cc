"""ONNX export of every recognizer family, checked through onnxruntime."""
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

import mome_mmaction  # noqa: F401
from mome_mmaction.deployment import (ExportableRecognizer, example_inputs,
                                      export_onnx, max_abs_differences,
                                      onnxruntime_outputs)
from mome_mmaction.models.utils import save_temporal_rus
from tests.conftest import REPO_ROOT, run_tool

pytest.importorskip('onnxruntime')

SYNTHETIC = REPO_ROOT / 'configs' / 'synthetic'
FRAMES_SIZE = (8, 64, 64)  # the tiny pretrained expert's clips


def build(config: str, tmp_path=None) -> torch.nn.Module:
    torch.manual_seed(0)
    cfg = Config.fromfile(SYNTHETIC / config)
    if 'rus_file' in cfg.model.cls_head:
        cfg.model.cls_head.rus_file = str(
            save_temporal_rus(
                tmp_path / 'rus.npz',
                dict(
                    U=torch.rand(3, 8) * 0.2,
                    R=torch.rand(3, 3, 8) * 0.2,
                    S=torch.rand(3, 3, 8) * 0.2), ('rgb', 'ir', 'depth')))
    return MODELS.build(cfg.model).eval()


def test_mome_htl_matches_pytorch_with_and_without_a_mask(tmp_path):
    wrapper = ExportableRecognizer(build('mome_htl_synthetic.py'))
    assert wrapper.input_names == ['rgb', 'ir', 'depth', 'modality_mask']
    assert wrapper.output_names == ['scores', 'gate_weights']
    onnx_file = str(tmp_path / 'mome_htl.onnx')
    export_onnx(
        wrapper,
        example_inputs(wrapper, FRAMES_SIZE),
        onnx_file,
        dynamic_batch=True)
    clips = example_inputs(wrapper, FRAMES_SIZE, batch_size=3, seed=1)
    differences = max_abs_differences(wrapper, onnx_file, clips)
    assert max(differences.values()) < 1e-4, differences
    mask = torch.tensor([[False, True, True], [True, False, False],
                         [True, True, True]])
    masked = clips[:3] + (mask, )
    differences = max_abs_differences(wrapper, onnx_file, masked)
    assert max(differences.values()) < 1e-4, differences
    got = onnxruntime_outputs(onnx_file, wrapper, masked)
    assert (got['gate_weights'][~mask.numpy()] == 0).all()
    assert got['gate_weights'][1].tolist() == [1, 0, 0]
    # An offline camera's clip does not matter to the exported graph.
    garbage = (clips[0] * 0 + 255, ) + masked[1:]
    torch.testing.assert_close(
        torch.from_numpy(
            onnxruntime_outputs(onnx_file, wrapper, garbage)['scores'][0]),
        torch.from_numpy(got['scores'][0]))


def test_scores_are_what_predict_gives():
    """The graph's inputs are clips before the data preprocessor; its
    scores and gate weights are the predictions' ``pred_score`` and
    ``gate_weights``."""
    model = build('mome_synthetic.py')
    wrapper = ExportableRecognizer(model)
    clips = example_inputs(wrapper, FRAMES_SIZE, batch_size=2)
    clips = tuple(clip.round() for clip in clips[:3]) + clips[3:]
    packed = [
        dict(
            inputs={
                name: clip[index].unsqueeze(0)  # (num_clips=1, C, T, H, W)
                for name, clip in zip(wrapper.modalities, clips)
            },
            data_samples=ActionDataSample()) for index in range(2)
    ]
    with torch.no_grad():
        predictions = model.test_step(pseudo_collate(packed))
        scores, gate_weights = wrapper(*clips)
    for index, prediction in enumerate(predictions):
        torch.testing.assert_close(scores[index], prediction.pred_score)
        torch.testing.assert_close(gate_weights[index],
                                   prediction.gate_weights)


@pytest.mark.parametrize('config, outputs', [
    ('input_gated_moe_synthetic.py', ['scores', 'gate_weights']),
    ('late_fusion_synthetic.py', ['scores']),
    ('early_fusion_synthetic.py', ['scores']),
    ('single_ir_synthetic.py', ['scores']),
    ('interaction_experts_synthetic.py', ['scores', 'interaction_weights']),
    ('rus_guided_moe_synthetic.py', ['scores', 'routing_weights']),
    ('asymmetric_moe_synthetic.py', ['scores', 'group_weights']),
    ('anchor_semantic_synthetic.py', ['scores', 'anchor_attention']),
])
def test_every_family_exports_and_matches(config, outputs, tmp_path):
    wrapper = ExportableRecognizer(build(config, tmp_path))
    assert wrapper.output_names == outputs
    onnx_file = str(tmp_path / 'model.onnx')
    dynamic = config != 'input_gated_moe_synthetic.py'
    if not dynamic:
        with pytest.raises(
                ValueError,
                match='InputGatedMoEHead cannot be '
                'exported with a dynamic batch'):
            export_onnx(
                wrapper,
                example_inputs(wrapper, FRAMES_SIZE),
                onnx_file,
                dynamic_batch=True)
    export_onnx(
        wrapper,
        example_inputs(wrapper, FRAMES_SIZE),
        onnx_file,
        dynamic_batch=dynamic)
    for batch_size in (1, 2) if dynamic else (1, ):
        differences = max_abs_differences(
            wrapper, onnx_file,
            example_inputs(wrapper, FRAMES_SIZE, batch_size, seed=1))
        assert max(differences.values()) < 1e-4, differences


def test_a_mask_for_a_head_that_cannot_take_one_is_refused():
    with pytest.raises(ValueError, match='LateFusionHead .* cannot take'):
        ExportableRecognizer(
            build('late_fusion_synthetic.py'), with_modality_mask=True)
    assert not ExportableRecognizer(
        build('mome_synthetic.py'), with_modality_mask=False).input_names[-1] \
        == 'modality_mask'


@pytest.mark.slow
def test_export_tool_prints_differences_opset_and_size(tmp_path):
    checkpoint = tmp_path / 'random.pth'
    torch.save(
        dict(state_dict=build('mome_htl_synthetic.py').state_dict()),
        checkpoint)
    result = run_tool([
        'tools/deployment/export_onnx.py', SYNTHETIC / 'mome_htl_synthetic.py',
        checkpoint, '--out', tmp_path / 'model.onnx', '--dynamic-batch',
        '--opset', '17'
    ], REPO_ROOT)
    assert (tmp_path / 'model.onnx').is_file()
    assert 'opset 17' in result.stdout
    lines = [line for line in result.stdout.splitlines() if 'max abs' in line]
    assert len(lines) == 2 and 'rgb offline' in lines[1]
    for line in lines:
        values = [
            float(part.split()[-1]) for part in line.split(':')[-1].split(',')
        ]
        assert max(values) < 1e-4, line
