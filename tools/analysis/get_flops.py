"""FLOPs and parameters of a config's model, multimodal recognizers included.

Usage: ``python tools/analysis/get_flops.py CONFIG [--shape T H W]
[--stage head|backbone] [--cfg-options KEY=VALUE ...]``.

MMAction2's ``analysis_tools/get_flops.py`` feeds one tensor to
``extract_feat``, which fits single-backbone recognizers but not
``MoMERecognizer`` or ``EarlyFusionRecognizer``, whose input is a dict of
clips, one per modality. This tool gives every modality of the model one
(1, 1, 3, T, H, W) clip (default T, H, W: the backbone's ``t_size`` and
``input_resolution``) and counts with mmengine's
``get_model_complexity_info``, the counter MMAction2's tool uses. A
RUS-guided head whose RUS file is not written yet counts with zero RUS
values (the cost does not depend on them), and says so.
"""
import argparse
import torch
from mmaction.registry import MODELS
from mmengine.analysis import get_model_complexity_info
from mmengine.registry import init_default_scope
from typing import Sequence

import mome_mmaction  # noqa: F401  (stack fixes, registries)
from mome_mmaction.utils.tool_config import (add_config_arguments,
                                             backbone_clip_size,
                                             config_from_args)


class ClipsToFeatures(torch.nn.Module):
    """``forward(*clips)``: the recognizer's ``extract_feat`` on
    ``{modality: clip}`` (a plain tensor for single-input recognizers)."""

    def __init__(self, recognizer: torch.nn.Module, modalities: Sequence[str],
                 stage: str) -> None:
        super().__init__()
        self.recognizer = recognizer
        self.modalities = tuple(modalities)
        self.stage = stage

    def forward(self, *clips: torch.Tensor) -> torch.Tensor:
        inputs = dict(zip(self.modalities,
                          clips)) if self.modalities else (clips[0])
        return self.recognizer.extract_feat(inputs, stage=self.stage)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    parser.add_argument('--shape', type=int, nargs=3, metavar=('T', 'H', 'W'))
    parser.add_argument(
        '--stage',
        choices=('head', 'backbone'),
        default='head',
        help='count the head too (default) or the '
        'backbone(s) alone')
    args = parser.parse_args()
    cfg = config_from_args(args)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model).eval()
    head = getattr(model, 'cls_head', None)
    if getattr(head, 'rus_loaded', True) is False:
        print(f'RUS file {head.rus_file} not written yet: counting with '
              'zero RUS values (FLOPs do not depend on them)')
        head.use_zero_rus()
    clip_size = args.shape or backbone_clip_size(cfg)
    if clip_size is None:
        parser.error(f'{args.config}: the backbone names no t_size and '
                     'input_resolution; pass --shape T H W')
    frames, height, width = clip_size
    modalities = tuple(getattr(model, 'modalities', ()))
    clips = tuple(
        torch.zeros(1, 1, 3, frames, height, width)
        for _ in modalities or ('clip', ))
    with torch.no_grad():
        analysis = get_model_complexity_info(
            ClipsToFeatures(model, modalities, args.stage),
            inputs=clips,
            show_table=False,
            show_arch=False)
    print(f'Config: {args.config}\n'
          f'Inputs: {len(clips)} x {tuple(clips[0].shape)} '
          f'({", ".join(modalities) or "one clip"})\n'
          f'Flops: {analysis["flops"]} ({analysis["flops_str"]})\n'
          f'Params: {analysis["params"]} ({analysis["params_str"]})')


if __name__ == '__main__':
    main()
