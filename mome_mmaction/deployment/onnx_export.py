"""Export a recognizer to ONNX: plain tensors in, scores and weights out.

:class:`ExportableRecognizer` wraps a built recognizer (``MoMERecognizer``
with any head, ``EarlyFusionRecognizer``, MMAction2's ``Recognizer3D``) as a
module whose inputs are one clip per modality and whose outputs are named
tensors, which ``torch.onnx.export`` can trace:

* inputs: ``<modality>`` (B, C, T, H, W) float, raw pixel values as the
  test pipeline leaves them after ``FormatShape('NCTHW')`` (the data
  preprocessor's normalization is part of the graph), one clip per sample;
  for a single-expert ``Recognizer3D`` the one input is ``inputs``; for
  gate heads also ``modality_mask`` (B, N) bool, True = camera online;
* outputs: ``scores`` (B, K), what ``predict`` gives as ``pred_score``
  for one clip (class probabilities with ``average_clips='prob'``);
  ``gate_weights`` (B, N) for the gate heads, ``interaction_weights`` or
  ``routing_weights`` for the interaction-aware heads, ``group_weights``
  (B, 3) for ``AsymmetricMoEHead``, ``anchor_attention`` (B, A, N, T) for
  ``AnchorSemanticHead``.
"""
import torch
import warnings
from mmaction.models.recognizers import Recognizer3D
from torch import nn
from typing import Dict, List, Optional, Tuple

from ..models.heads import (AnchorSemanticHead, AsymmetricMoEHead,
                            InputGatedMoEHead, InteractionExpertsHead,
                            LateFusionHead, RUSGuidedMoEHead)
from ..models.recognizers import EarlyFusionRecognizer, MoMERecognizer

#: Name of the extra output of each head that returns fusion weights.
HEAD_WEIGHT_OUTPUTS = {
    InteractionExpertsHead: 'interaction_weights',
    RUSGuidedMoEHead: 'routing_weights',
    AsymmetricMoEHead: 'group_weights',
    AnchorSemanticHead: 'anchor_attention',
}


class ExportableRecognizer(nn.Module):
    """A recognizer with tensor inputs and outputs (see the module doc).

    Args:
        model (nn.Module): A built recognizer; it is put in eval mode.
        with_modality_mask (bool, optional): Add the ``modality_mask``
            input. Defaults to True where the head accepts a mask (the gate
            heads), else False; True for another head is an error.
    """

    def __init__(self,
                 model: nn.Module,
                 with_modality_mask: Optional[bool] = None) -> None:
        super().__init__()
        if not isinstance(model, Recognizer3D) and not isinstance(
                model, MoMERecognizer):
            raise TypeError(
                'ONNX export supports MoMERecognizer, EarlyFusionRecognizer '
                f'and Recognizer3D models, got {type(model).__name__}')
        self.model = model
        head = model.cls_head
        accepts_mask = isinstance(model, MoMERecognizer) and getattr(
            head, 'accepts_modality_mask', False)
        if with_modality_mask is None:
            with_modality_mask = accepts_mask
        if with_modality_mask and not accepts_mask:
            raise ValueError(
                f'{type(head).__name__} of {type(model).__name__} cannot take '
                'a modality_mask (only the MoME gate heads can give an '
                'offline camera zero weight); export without it')
        self.with_modality_mask = with_modality_mask
        self.modalities: Tuple[str, ...] = tuple(
            getattr(model, 'modalities', ('inputs', )))
        self.weight_output = self._weight_output_name(head)
        # Eval mode for good: torch.onnx.export restores the wrapper's mode
        # onto every submodule after tracing.
        self.eval()

    def _weight_output_name(self, head: nn.Module) -> Optional[str]:
        if not isinstance(self.model, MoMERecognizer) or isinstance(
                head, LateFusionHead):
            return None
        for head_type, name in HEAD_WEIGHT_OUTPUTS.items():
            if isinstance(head, head_type):
                return name
        return 'gate_weights'

    @property
    def input_names(self) -> List[str]:
        """list[str]: The graph's inputs, in ``forward`` order."""
        return list(self.modalities) + (['modality_mask']
                                        if self.with_modality_mask else [])

    @property
    def output_names(self) -> List[str]:
        """list[str]: The graph's outputs, in ``forward`` order."""
        return ['scores'
                ] + ([self.weight_output] if self.weight_output else [])

    def normalize(self, clips: Dict[str, torch.Tensor]) -> Dict:
        """The data preprocessor's normalization of each (B, C, T, H, W)
        clip, as (B, 1, C, T, H, W) (one clip per sample)."""
        preprocessor = self.model.data_preprocessor
        per_key = getattr(preprocessor, 'preprocessors', None)
        normalized = {}
        for name, clip in clips.items():
            step = per_key[name] if per_key is not None else preprocessor
            mean, std = getattr(step, 'mean', None), getattr(step, 'std', None)
            if mean is not None:
                clip = (clip - mean) / std  # (C, 1, 1, 1) for NCTHW
            normalized[name] = clip.unsqueeze(1)
        return normalized

    def forward(self, *tensors: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Scores (and fusion weights) of one clip per sample.

        Args:
            *tensors (torch.Tensor): The inputs of :attr:`input_names`.

        Returns:
            tuple[torch.Tensor, ...]: The outputs of :attr:`output_names`.
        """
        clips = self.normalize(dict(zip(self.modalities, tensors)))
        head = self.model.cls_head
        if isinstance(self.model, MoMERecognizer):
            mask = tensors[-1] if self.with_modality_mask else None
            feats, head_kwargs = self.model.extract_feat(
                clips, modality_mask=mask, skip_offline_experts=False)
            outputs = head(feats, **head_kwargs)
            logits, weights = (outputs[0], outputs[1]) if isinstance(
                outputs, tuple) else (outputs, None)
            if isinstance(head, LateFusionHead):
                # The experts average as clips do: (B, N, K) -> (B, K).
                return (head.average_clip(
                    logits.flatten(0, 1), num_segs=logits.shape[1]), )
            return (head.average_clip(logits, num_segs=1), weights)
        if isinstance(self.model, EarlyFusionRecognizer):
            inputs = clips
        else:
            inputs = clips['inputs']
        feats, _ = self.model.extract_feat(inputs, test_mode=True)
        return (head.average_clip(head(feats), num_segs=1), )


def clip_channels(model: nn.Module) -> Dict[str, int]:
    """Channels C of each input of :class:`ExportableRecognizer`, read from
    the first convolution of each expert (early fusion: its N*C split
    evenly over the modalities)."""

    def first_conv_channels(module: nn.Module) -> int:
        for layer in module.modules():
            if isinstance(layer, nn.modules.conv._ConvNd):
                return layer.in_channels
        raise ValueError(f'{type(module).__name__} has no convolution to '
                         'read its input channels from')

    if isinstance(model, MoMERecognizer):
        return {
            name: first_conv_channels(expert)
            for name, expert in model.backbone.experts.items()
        }
    if isinstance(model, EarlyFusionRecognizer):
        channels = first_conv_channels(model.backbone)
        return {
            name: channels // len(model.modalities)
            for name in model.modalities
        }
    return dict(inputs=first_conv_channels(model.backbone))


def example_inputs(wrapper: ExportableRecognizer,
                   frames_size: Tuple[int, int, int],
                   batch_size: int = 1,
                   seed: int = 0) -> Tuple[torch.Tensor, ...]:
    """Random clips (raw pixel values in [0, 255]) for every input, and an
    all-online ``modality_mask`` where the graph has one.

    Args:
        wrapper (ExportableRecognizer): The model to feed.
        frames_size (tuple[int, int, int]): (T, H, W) of each clip.
        batch_size (int): B. Defaults to 1.
        seed (int): Seed of the clips. Defaults to 0.
    """
    generator = torch.Generator().manual_seed(seed)
    channels = clip_channels(wrapper.model)
    tensors = [
        255 * torch.rand(
            batch_size, channels[name], *frames_size, generator=generator)
        for name in wrapper.modalities
    ]
    if wrapper.with_modality_mask:
        tensors.append(
            torch.ones(batch_size, len(wrapper.modalities), dtype=torch.bool))
    return tuple(tensors)


def export_onnx(wrapper: ExportableRecognizer,
                inputs: Tuple[torch.Tensor, ...],
                out_file: str,
                opset: int = 18,
                dynamic_batch: bool = False) -> None:
    """Trace ``wrapper`` on ``inputs`` into the ONNX file ``out_file``.

    Uses torch's TorchScript-based exporter (``dynamo=False``): it traces
    the recognizer as it runs, hooks (the token tap) included.

    Args:
        wrapper (ExportableRecognizer): The model, in eval mode.
        inputs (tuple[torch.Tensor, ...]): Example inputs, in
            ``wrapper.input_names`` order.
        out_file (str): Where to write the graph.
        opset (int): ONNX opset. Defaults to 18.
        dynamic_batch (bool): Make the batch dimension of every input and
            output dynamic (not for ``InputGatedMoEHead``). Defaults to
            False.

    Raises:
        ValueError: A dynamic batch for ``InputGatedMoEHead``.
    """
    head = wrapper.model.cls_head
    if dynamic_batch and isinstance(head, InputGatedMoEHead):
        raise ValueError(
            'InputGatedMoEHead cannot be exported with a dynamic batch: with '
            "one, torch's exporter loses the clips' sizes, which the gate's "
            'adaptive_avg_pool3d needs; export it with a fixed batch (no '
            '--dynamic-batch)')
    names = wrapper.input_names + wrapper.output_names
    dynamic_axes = {name: {0: 'batch'} for name in names} \
        if dynamic_batch else None
    fastpath = torch.backends.mha.get_fastpath_enabled()
    # Without gradients, nn.TransformerEncoderLayer and nn.MultiheadAttention
    # (the interaction-aware heads) take fused kernels that have no ONNX
    # form; the plain path computes the same.
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # The TorchScript exporter is our choice (see above), not an
            # oversight: its DeprecationWarning would only say so again.
            warnings.filterwarnings(
                'ignore',
                message='You are using the legacy TorchScript-based ONNX',
                category=DeprecationWarning)
            torch.onnx.export(
                wrapper,
                inputs,
                out_file,
                input_names=wrapper.input_names,
                output_names=wrapper.output_names,
                dynamic_axes=dynamic_axes,
                opset_version=opset,
                dynamo=False)
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)


def onnxruntime_outputs(onnx_file: str, wrapper: ExportableRecognizer,
                        inputs: Tuple[torch.Tensor, ...]) -> Dict:
    """Run the exported graph with onnxruntime (CPU) on ``inputs``.

    Returns:
        dict[str, numpy.ndarray]: Output name -> value.
    """
    import onnxruntime  # optional: pip install -e .[deploy]
    session = onnxruntime.InferenceSession(
        onnx_file, providers=['CPUExecutionProvider'])
    feeds = {
        name: tensor.numpy()
        for name, tensor in zip(wrapper.input_names, inputs)
    }
    return dict(zip(wrapper.output_names, session.run(None, feeds)))


def max_abs_differences(wrapper: ExportableRecognizer, onnx_file: str,
                        inputs: Tuple[torch.Tensor, ...]) -> Dict[str, float]:
    """Largest absolute difference of each output, onnxruntime vs PyTorch.

    Returns:
        dict[str, float]: Output name -> max ``|onnxruntime - PyTorch|``.
    """
    with torch.no_grad():
        expected = dict(zip(wrapper.output_names, wrapper(*inputs)))
    got = onnxruntime_outputs(onnx_file, wrapper, inputs)
    return {
        name: float((torch.from_numpy(got[name]) - expected[name]).abs().max())
        for name in wrapper.output_names
    }
