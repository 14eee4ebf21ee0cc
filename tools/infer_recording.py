"""Sliding-window inference over whole, synchronized multi-camera recordings.

Usage::

    python tools/infer_recording.py CONFIG CKPT \
        --video rgb=A.mp4 ir=B.mp4 depth=C.mp4 [--frame-offset ir=7 ...] \
        [--window 3.0] [--stride 1.0] [--topk 3] [--out DIR] \
        [--annotations CHUNKS.csv] [--onnx F.onnx] [--cfg-options ...]

Every ``--stride`` seconds a window of ``--window`` seconds of each view
(its own fps; its frame number ``--frame-offset`` is time 0, negative for a
camera that started later; windows run where all views have frames) goes
through the config's test pipeline and the model (or, with ``--onnx``, the
graph of ``tools/deployment/export_onnx.py`` through onnxruntime). Writes
``windows.csv`` / ``windows.json`` (per window the top-k classes with scores
and each camera's gate weight) and ``timeline.png`` to DIR (default
``work_dirs/<config name>/recording``) and prints the real-time factor
(seconds of video per second of compute). With ``--annotations`` (a
Drive&Act chunk CSV in the numbering of the first ``--video``'s view) it
also prints the recording's Top-1 and Mean-1 over its annotated chunks.
"""
import argparse
import json
from mmaction.registry import MODELS
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from pathlib import Path
from typing import Dict, List

import mome_mmaction  # noqa: F401  (stack fixes, registries)
from mome_mmaction.datasets import DRIVEACT_MIDLEVEL_CLASSES
from mome_mmaction.deployment.recording_inference import (annotated_chunks,
                                                          evaluate_chunks,
                                                          infer_recording,
                                                          onnx_predictor,
                                                          open_views,
                                                          torch_predictor,
                                                          write_window_results)
from mome_mmaction.utils.tool_config import (add_config_arguments,
                                             config_from_args)


def key_values(pairs: List[str], option: str, cast=str) -> Dict:
    """``['rgb=A.mp4', ...]`` -> ``{'rgb': 'A.mp4', ...}``."""
    parsed = {}
    for pair in pairs or []:
        key, sep, value = pair.partition('=')
        if not sep or not key or not value:
            raise SystemExit(f'{option} takes MODALITY=VALUE, got {pair!r}')
        try:
            parsed[key] = cast(value)
        except ValueError:
            raise SystemExit(f'{option} {pair!r}: {value!r} is not a '
                             f'{cast.__name__}') from None
    return parsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    parser.add_argument('checkpoint')
    parser.add_argument(
        '--video',
        nargs='+',
        required=True,
        metavar='MODALITY=FILE',
        help='one video per modality of the model')
    parser.add_argument(
        '--frame-offset', nargs='+', metavar='MODALITY=FRAME', default=[])
    parser.add_argument('--window', type=float, default=3.0, help='seconds')
    parser.add_argument('--stride', type=float, default=1.0, help='seconds')
    parser.add_argument('--topk', type=int, default=3)
    parser.add_argument('--out', type=Path)
    parser.add_argument('--annotations', help='a Drive&Act chunk CSV')
    parser.add_argument(
        '--onnx', help='run this exported graph with onnxruntime instead')
    args = parser.parse_args()
    cfg = config_from_args(args)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    videos = key_values(args.video, '--video')
    modalities = list(cfg.model.get('modalities', videos))
    if set(videos) != set(modalities):
        parser.error(f'the model takes {modalities}; --video gives '
                     f'{sorted(videos)}')
    views = open_views({m: videos[m]
                        for m in modalities},
                       key_values(args.frame_offset, '--frame-offset', int))
    classes = list(
        cfg.test_dataloader.dataset.get('classes')
        or DRIVEACT_MIDLEVEL_CLASSES)
    chunks = None
    if args.annotations:  # read first: a bad file fails before inference
        chunks = annotated_chunks(args.annotations, views[0].filename,
                                  views[0].fps, views[0].frame_offset)
    if args.onnx:
        predict = onnx_predictor(args.onnx, modalities)
    else:
        model = MODELS.build(cfg.model)
        load_checkpoint(model, args.checkpoint, map_location='cpu')
        predict = torch_predictor(model.eval())
    for view in views:
        print(f'[infer_recording] {view.modality}: {view.filename}, '
              f'{view.num_frames} frames at {view.fps:.2f} fps, time 0 = '
              f'frame {view.frame_offset}')
    results, realtime_factor = infer_recording(
        cfg.test_dataloader.dataset.pipeline, predict, views, args.window,
        args.stride)
    out_dir = args.out or Path('work_dirs') / Path(
        args.config).stem / 'recording'
    files = write_window_results(results, classes, modalities, out_dir,
                                 args.topk, chunks)
    print(f'[infer_recording] {len(results)} windows of {args.window} s '
          f'every {args.stride} s, {"onnxruntime" if args.onnx else "PyTorch"}'
          f': real-time factor {realtime_factor:.2f} (seconds of video per '
          'second of compute)')
    print('[infer_recording] wrote ' + ', '.join(map(str, files.values())))
    if chunks:
        report = evaluate_chunks(results, chunks, classes)
        (out_dir / 'chunks.json').write_text(json.dumps(report, indent=1))
        print(f'[infer_recording] {report["chunks"]} annotated chunks: '
              f'Top-1 {100 * report["top1"]:.2f}  Mean-1 '
              f'{100 * report["mean1"]:.2f} (per chunk in '
              f'{out_dir / "chunks.json"})')


if __name__ == '__main__':
    main()
