"""Per-class gate weights and confusion matrix from dumped predictions."""
import numpy as np
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from ..datasets.synthetic import synthetic_conditions
from .split_report import to_markdown, write_csv


def predictions_to_arrays(predictions: Sequence[Dict]
                          ) -> Dict[str, np.ndarray]:
    """Stack what ``tools/test.py --dump`` wrote for each sample.

    Args:
        predictions (Sequence[dict]): Dumped data samples, each with
            ``gt_label`` (1,), ``pred_score`` (num_classes,) and
            ``gate_weights`` (N,).

    Returns:
        dict: ``labels`` (S,), ``predicted`` (S,), ``gate_weights`` (S, N).
    """
    for index, sample in enumerate(predictions):
        missing = [
            key for key in ('gt_label', 'pred_score', 'gate_weights')
            if key not in sample
        ]
        if missing:
            raise KeyError(
                f'prediction {index} has no {missing} (keys: '
                f'{sorted(sample)}); dump a model whose head returns gate '
                'weights, e.g. MoMERecognizer with TokenVotingGateHead')
    return dict(
        labels=np.array(
            [int(s['gt_label'].reshape(-1)[0]) for s in predictions]),
        predicted=np.array(
            [int(np.asarray(s['pred_score']).argmax()) for s in predictions]),
        gate_weights=np.stack(
            [np.asarray(s['gate_weights'], np.float64) for s in predictions]))


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray,
                     num_classes: int) -> np.ndarray:
    """Counts (num_classes, num_classes): rows true, columns predicted."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def per_class_table(arrays: Dict[str, np.ndarray], classes: Sequence[str],
                    modalities: Sequence[str]) -> List[List]:
    """Header plus a row per class present: count, accuracy, mean weights."""
    rows = [['class', 'samples', 'top1'] + [f'gate {m}' for m in modalities]]
    for class_id, name in enumerate(classes):
        mask = arrays['labels'] == class_id
        if not mask.any():
            continue
        accuracy = float(np.mean(arrays['predicted'][mask] == class_id))
        weights = arrays['gate_weights'][mask].mean(axis=0)
        rows.append(
            [name, int(mask.sum()), round(accuracy, 4)] +
            [round(float(w), 4) for w in weights])
    overall = arrays['gate_weights'].mean(axis=0)
    rows.append([
        'all',
        len(arrays['labels']),
        round(float(np.mean(arrays['predicted'] == arrays['labels'])), 4)
    ] + [round(float(w), 4) for w in overall])
    return rows


#: The metainfo keys naming a prediction's Drive&Act chunk.
CHUNK_KEYS = ('participant_id', 'recording', 'annotation_id', 'chunk_id')


def prediction_conditions(predictions: Sequence[Dict],
                          chunk_conditions: Dict[tuple, str]) -> List[str]:
    """The sensing condition of each prediction's chunk.

    Args:
        predictions (Sequence[dict]): Dumped data samples carrying
            :data:`CHUNK_KEYS` (``PackActionInputs(meta_keys=...)``, as the
            synthetic configs' test pipeline does).
        chunk_conditions (dict): (participant_id, recording, annotation_id,
            chunk_id) -> condition, e.g. from
            :func:`mome_mmaction.datasets.synthetic.synthetic_conditions`.

    Returns:
        list[str]: One condition per prediction.
    """
    conditions = []
    for index, sample in enumerate(predictions):
        missing = [key for key in CHUNK_KEYS if key not in sample]
        if missing:
            raise KeyError(
                f'prediction {index} has no {missing}; add them to '
                'PackActionInputs(meta_keys=...) in the test pipeline')
        key = tuple(sample[name] for name in CHUNK_KEYS)
        if key not in chunk_conditions:
            raise KeyError(f'prediction {index}: chunk {key} is not in the '
                           'metadata of the sensing conditions')
        conditions.append(chunk_conditions[key])
    return conditions


def recorded_conditions(samples: Sequence[Dict],
                        data_root: str) -> Optional[List[str]]:
    """:func:`prediction_conditions` of the samples where ``data_root`` is
    synthetic data, which records each chunk's sensing condition (its
    ``synthetic_driveact.json``); None for any other data."""
    if not (Path(data_root) / 'synthetic_driveact.json').is_file():
        return None
    return prediction_conditions(samples, synthetic_conditions(data_root))


def per_condition_table(arrays: Dict[str,
                                     np.ndarray], conditions: Sequence[str],
                        modalities: Sequence[str]) -> List[List]:
    """Header plus a row per sensing condition (``clean`` first, then by
    name): samples, accuracy and mean gate weight per modality."""
    rows = [['condition', 'samples', 'top1'] +
            [f'gate {m}' for m in modalities]]
    conditions = np.asarray(conditions)
    clean_first = sorted(
        set(conditions.tolist()), key=lambda name: (name != 'clean', name))
    for condition in clean_first:
        mask = conditions == condition
        accuracy = float(
            np.mean(arrays['predicted'][mask] == arrays['labels'][mask]))
        weights = arrays['gate_weights'][mask].mean(axis=0)
        rows.append([condition, int(mask.sum()),
                     round(accuracy, 4)] +
                    [round(float(w), 4) for w in weights])
    return rows


def plot_gate_weights(rows: List[List], modalities: Sequence[str], title: str,
                      path: Path) -> None:
    """Stacked horizontal bars of the mean gate weight per modality, a bar
    per row of a :func:`per_class_table` / :func:`per_condition_table`
    (header first), saved to ``path`` (its suffix picks the format)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    names = [str(row[0]) for row in rows[1:]]
    weights = np.array([row[3:] for row in rows[1:]], dtype=float)
    figure, axis = plt.subplots(figsize=(8, 0.35 * len(names) + 1.5))
    left = np.zeros(len(names))
    for index, modality in enumerate(modalities):
        axis.barh(names, weights[:, index], left=left, label=modality)
        left += weights[:, index]
    axis.invert_yaxis()
    axis.set_xlim(0, 1)
    axis.set_xlabel('mean gate weight')
    axis.legend(loc='upper left', bbox_to_anchor=(1.01, 1))  # off the bars
    axis.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def write_gate_report(predictions: Sequence[Dict],
                      classes: Sequence[str],
                      modalities: Sequence[str],
                      out_dir: Path,
                      conditions: Optional[Sequence[str]] = None,
                      plot_format: str = 'png') -> List[Path]:
    """Write the gate tables and plots into ``out_dir``.

    Files: ``gate_weights_per_class.csv`` / ``.md`` / ``.png`` (stacked bars
    of the mean weight per modality for each class),
    ``confusion_matrix.csv`` / ``.png`` (rows normalized to 1) and, given
    each prediction's sensing condition (:func:`prediction_conditions`),
    ``gate_weights_per_condition.csv`` / ``.md`` / ``.png`` (the same bars
    per condition). ``plot_format`` (a matplotlib format: 'png', 'svg',
    'pdf') replaces the plots' ``.png``.

    Returns:
        list[Path]: The files written.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    arrays = predictions_to_arrays(predictions)
    if arrays['gate_weights'].shape[1] != len(modalities):
        raise ValueError(
            f'gate weights have {arrays["gate_weights"].shape[1]} entries '
            f'but the config names modalities {list(modalities)}')
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = per_class_table(arrays, classes, modalities)
    files = [
        out_dir / name
        for name in ('gate_weights_per_class.csv', 'gate_weights_per_class.md',
                     f'gate_weights_per_class.{plot_format}',
                     'confusion_matrix.csv', f'confusion_matrix.{plot_format}')
    ]
    write_csv(rows, files[0])
    files[1].write_text(
        to_markdown([[str(cell) for cell in row] for row in rows]) + '\n')

    plot_gate_weights(rows, modalities, 'Gate weight per class and modality',
                      files[2])

    matrix = confusion_matrix(arrays['labels'], arrays['predicted'],
                              len(classes))
    write_csv([['true \\ predicted', *classes]] +
              [[name, *counts]
               for name, counts in zip(classes, matrix.tolist())], files[3])
    normalized = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = 0.3 * len(classes) + 3
    figure, axis = plt.subplots(figsize=(size, size))
    image = axis.imshow(normalized, cmap='Blues', vmin=0, vmax=1)
    axis.set_xticks(range(len(classes)), classes, rotation=90, fontsize=7)
    axis.set_yticks(range(len(classes)), classes, fontsize=7)
    axis.set_xlabel('predicted')
    axis.set_ylabel('true')
    figure.colorbar(image, fraction=0.046)
    figure.tight_layout()
    figure.savefig(files[4], dpi=120)
    plt.close(figure)
    if conditions is not None:
        rows = per_condition_table(arrays, conditions, modalities)
        files += [
            out_dir / 'gate_weights_per_condition.csv',
            out_dir / 'gate_weights_per_condition.md',
            out_dir / f'gate_weights_per_condition.{plot_format}'
        ]
        write_csv(rows, files[-3])
        files[-2].write_text(
            to_markdown([[str(cell) for cell in row] for row in rows]) + '\n')
        plot_gate_weights(rows, modalities,
                          'Gate weight per sensing condition and modality',
                          files[-1])
    return files
