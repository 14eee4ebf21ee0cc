"""Sliding-window inference over whole, synchronized recordings.

Each window of ``window_s`` seconds (every ``stride_s`` seconds) becomes one
sample exactly like a Drive&Act chunk: per view the frames
``[offset + round(start * fps), offset + round(end * fps))`` of that view's
own video, run through the config's *test pipeline* (so decoding, sampling,
resizing and cropping are the ones the model was tested with), then through
the model (PyTorch, or the ONNX graph of ``tools/deployment/export_onnx.py``
with onnxruntime).
"""
import csv
import json
import os.path as osp
import time
import torch
from mmengine.dataset import Compose, pseudo_collate
from pathlib import Path
from typing import (Callable, Dict, List, Mapping, NamedTuple, Optional,
                    Sequence)

from ..datasets.driveact_dataset import read_driveact_view_csv
from ..utils.progress import LogFriendlyProgressBar
from .onnx_export import HEAD_WEIGHT_OUTPUTS

#: Prediction fields holding per-sample fusion weights, by head.
WEIGHT_FIELDS = ('gate_weights', *HEAD_WEIGHT_OUTPUTS.values())


class RecordingView(NamedTuple):
    """One camera's video of a recording.

    Attributes:
        modality (str): The model's input key, e.g. ``'ir'``.
        filename (str): The video file.
        fps (float): Its frame rate.
        num_frames (int): Its frame count.
        frame_offset (int): Its frame number at time 0 of the recording;
            negative for a camera that started after time 0 (its frame 0
            is at ``-frame_offset / fps`` seconds).
    """
    modality: str
    filename: str
    fps: float
    num_frames: int
    frame_offset: int

    @property
    def covered_s(self) -> tuple:
        """tuple[float, float]: The seconds its frames cover."""
        return (-self.frame_offset / self.fps,
                (self.num_frames - self.frame_offset) / self.fps)


class WindowResult(NamedTuple):
    """The prediction of one window.

    Attributes:
        start_s (float): Start, seconds from time 0.
        end_s (float): End, seconds.
        scores (list[float]): Class scores (K).
        weights (list[float], optional): Fusion weights per camera (N).
    """
    start_s: float
    end_s: float
    scores: List[float]
    weights: Optional[List[float]]


def open_views(videos: Dict[str, str],
               frame_offsets: Dict[str, int]) -> List[RecordingView]:
    """Read each video's frame rate and length.

    Args:
        videos (dict[str, str]): Modality -> video file.
        frame_offsets (dict[str, int]): Modality -> frame at time 0
            (others 0).

    Raises:
        ValueError: An offset names no video.
        FileNotFoundError: A video does not exist.
    """
    import decord
    unknown = sorted(set(frame_offsets) - set(videos))
    if unknown:
        raise ValueError(f'frame offsets for {unknown}, which have no video '
                         f'(videos: {sorted(videos)})')
    views = []
    for modality, filename in videos.items():
        if not osp.isfile(filename):
            raise FileNotFoundError(
                f'video of {modality!r} not found: {filename}')
        reader = decord.VideoReader(filename, num_threads=1)
        views.append(
            RecordingView(modality, filename, float(reader.get_avg_fps()),
                          len(reader), int(frame_offsets.get(modality, 0))))
    return views


def sliding_windows(views: Sequence[RecordingView], window_s: float,
                    stride_s: float) -> List[tuple]:
    """(start, end) seconds of every window that all views cover, from
    the first instant they all cover.

    Raises:
        ValueError: Non-positive window or stride, or views that overlap for
            less than one window.
    """
    if window_s <= 0 or stride_s <= 0:
        raise ValueError(f'window ({window_s} s) and stride ({stride_s} s) '
                         'must be positive')
    first = max(view.covered_s[0] for view in views)
    last = min(view.covered_s[1] for view in views)
    if last - first < window_s:
        covers = ', '.join(
            f'{view.modality} {view.covered_s[0]:.2f}-{view.covered_s[1]:.2f}'
            f' s' for view in views)
        raise ValueError(
            f'the views overlap for {max(last - first, 0.):.2f} s only '
            f'({covers}), shorter than one window of {window_s} s')
    count = int((last - first - window_s) / stride_s + 1e-9) + 1
    return [(first + index * stride_s, first + index * stride_s + window_s)
            for index in range(count)]


def window_sample(views: Sequence[RecordingView], start_s: float,
                  end_s: float) -> dict:
    """The window as a ``DriveActDataset`` sample (``modality_infos``)."""
    infos = {}
    for view in views:
        first = max(view.frame_offset + int(round(start_s * view.fps)), 0)
        last = min(view.frame_offset + int(round(end_s * view.fps)),
                   view.num_frames)
        infos[view.modality] = dict(
            filename=view.filename,
            start_index=first,
            total_frames=max(last - first, 1),
            frame_start=first,
            frame_end=last)
    return dict(modality_infos=infos, label=-1)


def torch_predictor(model: torch.nn.Module) -> Callable[[dict], tuple]:
    """Predict a packed sample with a MMAction2 model's ``test_step``.

    Returns:
        callable: packed sample -> (scores (K,), weights (N,) or None).
    """

    def predict(packed: dict) -> tuple:
        with torch.no_grad():
            prediction, = model.test_step(pseudo_collate([packed]))
        weights = next((prediction.get(field)
                        for field in WEIGHT_FIELDS if field in prediction),
                       None)
        return prediction.pred_score, weights

    return predict


def onnx_predictor(onnx_file: str,
                   modalities: Sequence[str]) -> Callable[[dict], tuple]:
    """Predict a packed sample with an exported graph (onnxruntime).

    The sample's clips (num_clips, C, T, H, W) per modality are run one
    clip at a time (the graph may have a fixed batch of 1) and their scores
    and weights averaged, as the model averages clips; a ``modality_mask``
    input gets every camera online unless the sample carries a mask.
    """
    import numpy as np
    import onnxruntime
    session = onnxruntime.InferenceSession(
        onnx_file, providers=['CPUExecutionProvider'])
    input_names = [node.name for node in session.get_inputs()]
    clip_names = [name for name in input_names if name != 'modality_mask']
    if len(clip_names) == 1 and len(modalities) == 1:
        clip_names = {clip_names[0]: modalities[0]}
    else:
        missing = sorted(set(clip_names) - set(modalities))
        if missing:
            raise ValueError(f'{onnx_file} has inputs {missing}, which the '
                             f'config does not give (modalities '
                             f'{list(modalities)})')
        clip_names = {name: name for name in clip_names}

    def predict(packed: dict) -> tuple:
        inputs = packed['inputs']
        if not isinstance(inputs, dict):
            inputs = {modalities[0]: inputs}
        num_clips = next(iter(inputs.values())).shape[0]
        mask = packed['data_samples'].get('modality_mask', None) or {}
        if not isinstance(mask, Mapping):  # N values in modality order
            mask = dict(zip(modalities, torch.as_tensor(mask).tolist()))
        outputs = []
        for clip in range(num_clips):
            feeds = {
                name: inputs[key][clip:clip + 1].float().numpy()
                for name, key in clip_names.items()
            }
            if 'modality_mask' in input_names:
                feeds['modality_mask'] = np.array(
                    [[bool(mask.get(name, True)) for name in clip_names]])
            outputs.append(session.run(None, feeds))
        mean = [
            torch.from_numpy(np.mean([out[i][0] for out in outputs], axis=0))
            for i in range(len(outputs[0]))
        ]
        return mean[0], (mean[1] if len(mean) > 1 else None)

    return predict


def infer_recording(test_pipeline: List[dict],
                    predict: Callable[[dict], tuple],
                    views: Sequence[RecordingView],
                    window_s: float = 3.0,
                    stride_s: float = 1.0) -> tuple:
    """Predict every window of a recording.

    Args:
        test_pipeline (list[dict]): The config's test pipeline.
        predict (callable): :func:`torch_predictor` or
            :func:`onnx_predictor`.
        views (Sequence[RecordingView]): From :func:`open_views`.
        window_s (float): Window length, seconds. Defaults to 3.0.
        stride_s (float): Seconds between window starts. Defaults to 1.0.

    Returns:
        tuple[list[WindowResult], float]: One result per window, and the
        real-time factor (seconds of video per second of compute).
    """
    pipeline = Compose(test_pipeline)
    windows = sliding_windows(views, window_s, stride_s)
    results = []
    progress = LogFriendlyProgressBar(len(windows), desc='windows')
    started = time.perf_counter()
    for start_s, end_s in windows:
        scores, weights = predict(
            pipeline(window_sample(views, start_s, end_s)))
        results.append(
            WindowResult(
                start_s, end_s,
                scores.float().tolist(),
                None if weights is None else weights.float().tolist()))
        progress.update()
    seconds = time.perf_counter() - started
    covered = windows[-1][1] - windows[0][0]
    return results, covered / seconds


def annotated_chunks(csv_file: str, video: str, fps: float,
                     frame_offset: int) -> List[dict]:
    """The Drive&Act chunks of one recording, in seconds from time 0.

    Args:
        csv_file (str): A Drive&Act chunk CSV (any split and subset), in the
            frame numbering of ``video``'s view.
        video (str): That view's video; rows whose ``file_id`` names it
            (same file name) are the recording's.
        fps (float): Its frame rate.
        frame_offset (int): Its frame at time 0.

    Returns:
        list[dict]: ``activity``, ``start_s``, ``end_s`` per chunk.

    Raises:
        ValueError: No row of the CSV is about the video.
    """
    chunks = read_driveact_view_csv(csv_file, '', '')
    name = osp.basename(video)
    rows = [
        dict(
            activity=chunk['activity'],
            start_s=(chunk['frame_start'] - frame_offset) / fps,
            end_s=(chunk['frame_end'] - frame_offset) / fps)
        for chunk in chunks.values() if osp.basename(chunk['filename']) == name
    ]
    if not rows:
        raise ValueError(
            f'{csv_file} has no chunk of {name} (no row whose file_id ends '
            f'in {name[:-4] if name.endswith(".mp4") else name})')
    return sorted(rows, key=lambda row: row['start_s'])


def evaluate_chunks(results: Sequence[WindowResult], chunks: Sequence[dict],
                    classes: Sequence[str]) -> dict:
    """Per-recording Top-1 and Mean-1 over the annotated chunks.

    A chunk's prediction is the mean score of the windows whose centre lies
    in it (the nearest window when none does).

    Returns:
        dict: ``top1``, ``mean1`` (fractions), ``chunks`` (count) and
        ``predictions`` (per chunk: activity, predicted class, windows).
    """
    centres = torch.tensor([(r.start_s + r.end_s) / 2 for r in results])
    scores = torch.tensor([r.scores for r in results])
    unknown = sorted({c['activity'] for c in chunks} - set(classes))
    if unknown:
        raise ValueError(f'annotated activities {unknown} are not classes of '
                         'the model')
    predictions = []
    for chunk in chunks:
        inside = (centres >= chunk['start_s']) & (centres < chunk['end_s'])
        if not inside.any():
            middle = (chunk['start_s'] + chunk['end_s']) / 2
            inside = (centres - middle).abs() == (centres - middle).abs().min()
        predicted = classes[int(scores[inside].mean(0).argmax())]
        predictions.append(
            dict(chunk, predicted=predicted, windows=int(inside.sum())))
    correct = [p['predicted'] == p['activity'] for p in predictions]
    per_class = {}
    for prediction, right in zip(predictions, correct):
        per_class.setdefault(prediction['activity'], []).append(right)
    return dict(
        top1=sum(correct) / len(correct),
        mean1=sum(sum(v) / len(v)
                  for v in per_class.values()) / len(per_class),
        chunks=len(predictions),
        predictions=predictions)


def write_window_results(results: Sequence[WindowResult],
                         classes: Sequence[str],
                         modalities: Sequence[str],
                         out_dir: Path,
                         topk: int = 3,
                         chunks: Optional[Sequence[dict]] = None
                         ) -> Dict[str, Path]:
    """``windows.csv``, ``windows.json`` and ``timeline.png`` in ``out_dir``
    (the timeline with an annotated-activity strip when ``chunks``, from
    :func:`annotated_chunks`, are given).

    Returns:
        dict[str, Path]: ``csv``, ``json``, ``png`` -> the files.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for result in results:
        order = sorted(
            range(len(classes)), key=lambda k: -result.scores[k])[:topk]
        rows.append(
            dict(
                start_s=round(result.start_s, 3),
                end_s=round(result.end_s, 3),
                top=[
                    dict(label=classes[k], score=result.scores[k])
                    for k in order
                ],
                weights=None if result.weights is None else dict(
                    zip(modalities, result.weights))))
    files = dict(
        csv=out_dir / 'windows.csv',
        json=out_dir / 'windows.json',
        png=out_dir / 'timeline.png')
    files['json'].write_text(json.dumps(rows, indent=1))
    with open(files['csv'], 'w', newline='') as stream:
        writer = csv.writer(stream)
        header = ['start_s', 'end_s']
        for rank in range(1, min(topk, len(classes)) + 1):
            header += [f'top{rank}', f'score{rank}']
        with_weights = results[0].weights is not None
        header += [f'weight_{m}' for m in modalities] if with_weights else []
        writer.writerow(header)
        for row in rows:
            line = [row['start_s'], row['end_s']]
            for top in row['top']:
                line += [top['label'], f'{top["score"]:.4f}']
            if with_weights:
                line += [f'{row["weights"][m]:.4f}' for m in modalities]
            writer.writerow(line)
    plot_timeline(results, classes, modalities, files['png'], chunks)
    return files


def plot_timeline(results: Sequence[WindowResult],
                  classes: Sequence[str],
                  modalities: Sequence[str],
                  png_file: Path,
                  chunks: Optional[Sequence[dict]] = None) -> None:
    """Predicted class strip (and the annotated one), each camera's weight
    over time."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    with_weights = results[0].weights is not None
    step = results[1].start_s - results[0].start_s if len(results) > 1 \
        else results[0].end_s - results[0].start_s
    strips = [('predicted', [
        ((r.start_s + r.end_s - step) / 2, (r.start_s + r.end_s + step) / 2,
         max(range(len(classes)), key=r.scores.__getitem__)) for r in results
    ])]
    if chunks:
        strips.append(('annotated', [(c['start_s'], c['end_s'],
                                      list(classes).index(c['activity']))
                                     for c in chunks]))
    figure, axes = plt.subplots(
        len(strips) + int(with_weights),
        1,
        figsize=(10, 0.6 * len(strips) + (2.2 if with_weights else 1.)),
        sharex=True,
        squeeze=False,
        layout='constrained',
        gridspec_kw=dict(height_ratios=[1] * len(strips) +
                         ([2.5] if with_weights else [])))
    colours = plt.get_cmap('tab20')
    for row, (title, spans) in enumerate(strips):
        strip = axes[row][0]
        for start, end, label in spans:
            strip.axvspan(start, end, color=colours(label % 20), lw=0)
        strip.set_yticks([])
        strip.set_ylabel(title, rotation=0, ha='right', va='center')
    for label in sorted({span[2] for _, spans in strips for span in spans}):
        axes[0][0].plot([], [],
                        color=colours(label % 20),
                        lw=6,
                        label=classes[label])
    figure.legend(
        loc='outside lower center', ncol=5, fontsize=7, frameon=False)
    if with_weights:
        centres = [(r.start_s + r.end_s) / 2 for r in results]
        weights = axes[-1][0]
        for index, modality in enumerate(modalities):
            weights.plot(
                centres, [r.weights[index] for r in results], label=modality)
        weights.set_ylim(0, 1)
        weights.set_ylabel('weight')
        weights.legend(loc='upper left', bbox_to_anchor=(1.01, 1))
    axes[-1][0].set_xlabel('time (s)')
    figure.savefig(png_file, dpi=100)
    plt.close(figure)
