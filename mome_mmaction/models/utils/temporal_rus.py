"""Dataset-level temporal redundancy / uniqueness / synergy (RUS) values.

:class:`RUSGuidedMoEHead` routes with RUS values estimated offline by
``tools/analysis/compute_temporal_rus.py``, which calls
:func:`collect_frame_tokens` and :func:`estimate_temporal_rus` and writes
the result with :func:`save_temporal_rus`. The file is a plain ``.npz``
(no pickled objects) with

* ``U`` (N, T): uniqueness of each modality at frame t;
* ``R`` (N, N, T), ``S`` (N, N, T): redundancy and synergy of each
  modality pair at frame t (diagonals 0);
* ``modalities`` (N,) str, ``mi_single`` (N, T), ``mi_pair`` (N, N, T),
  ``label_entropy`` (), ``lag`` () -- for reference.

Estimation (all values in bits). For frame t, modality m is summarized by
its temporal prefix: the mean of its per-frame tokens over frames 0..t.
Small learned discriminators (an MLP per modality / pair and frame)
predict the label from one prefix or from two concatenated prefixes
(modality k's prefix ending ``lag`` frames earlier); the mutual information
is estimated as ``I(Y; X) = max(0, H(Y) - CE)`` with the cross-entropy CE on
held-out training samples. The partial information decomposition then uses
minimum mutual information::

    R[m, k, t] = min(I_m(t), I_k(t - lag))
    S[m, k, t] = max(0, I_mk(t) - max(I_m(t), I_k(t - lag)))
    U[m, t]    = mean over k != m of max(0, I_m(t) - R[m, k, t])
"""
import math
import numpy as np
import torch
import torch.nn.functional as F
from pathlib import Path
from torch import nn
from typing import Dict, Optional, Sequence, Tuple, Union

from .class_indices import class_indices
from .token_tap import TokenTap

RUS_KEYS = ('U', 'R', 'S')


def save_temporal_rus(path: Union[str, Path], rus: Dict[str, torch.Tensor],
                      modalities: Sequence[str]) -> Path:
    """Write RUS values (and the reference entries) as an ``.npz`` file.

    Args:
        path (str | Path): Output file; ``.npz`` is appended if missing.
        rus (dict[str, torch.Tensor]): ``U`` (N, T), ``R`` and ``S``
            (N, N, T); optional ``mi_single``, ``mi_pair``,
            ``label_entropy``, ``lag``.
        modalities (Sequence[str]): N modality names.

    Returns:
        Path: The written file.
    """
    path = Path(path)
    if path.suffix != '.npz':
        path = path.with_name(path.name + '.npz')
    check_temporal_rus(rus, str(path), num_modalities=len(modalities))
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {
        key: torch.as_tensor(value).detach().cpu().float().numpy()
        for key, value in rus.items()
    }
    np.savez(path, modalities=np.array(list(modalities), dtype=str), **arrays)
    return path


def check_temporal_rus(rus: Dict[str, torch.Tensor],
                       source: str,
                       num_modalities: Optional[int] = None,
                       num_frames: Optional[int] = None) -> None:
    """Raise a ``ValueError`` naming ``source`` unless the shapes are right.

    Args:
        rus (dict): Needs ``U`` (N, T), ``R`` and ``S`` (N, N, T).
        source (str): File name (or other origin) for the error message.
        num_modalities (int, optional): Expected N.
        num_frames (int, optional): Expected T.
    """
    missing = [key for key in RUS_KEYS if key not in rus]
    if missing:
        raise ValueError(f'RUS file {source} lacks {missing}; expected '
                         'arrays U (N, T), R (N, N, T) and S (N, N, T)')
    shapes = {key: tuple(rus[key].shape) for key in RUS_KEYS}
    if len(shapes['U']) != 2:
        raise ValueError(f'RUS file {source}: U must have shape (N, T), got '
                         f'{shapes["U"]}')
    n, t = shapes['U']
    expected_n = num_modalities if num_modalities is not None else n
    expected_t = num_frames if num_frames is not None else t
    expected = dict(
        U=(expected_n, expected_t),
        R=(expected_n, expected_n, expected_t),
        S=(expected_n, expected_n, expected_t))
    if shapes != expected:
        raise ValueError(
            f'RUS file {source} has shapes {shapes}, expected {expected} '
            f'(N={expected_n} modalities, T={expected_t} frames)')
    for key in RUS_KEYS:
        if not torch.isfinite(torch.as_tensor(rus[key])).all():
            raise ValueError(f'RUS file {source}: {key} has non-finite '
                             'values')


def load_temporal_rus(path: Union[str, Path],
                      num_modalities: Optional[int] = None,
                      num_frames: Optional[int] = None
                      ) -> Dict[str, torch.Tensor]:
    """Load ``U``, ``R`` and ``S`` from a file of :func:`save_temporal_rus`.

    Args:
        path (str | Path): The ``.npz`` file.
        num_modalities (int, optional): Expected N.
        num_frames (int, optional): Expected T.

    Returns:
        dict[str, torch.Tensor]: ``U`` (N, T), ``R`` (N, N, T), ``S``
        (N, N, T), float32.

    Raises:
        FileNotFoundError: No file at ``path``.
        ValueError: Not a readable ``.npz``, or arrays missing or of the
            wrong shape.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f'RUS file {path} not found; write it with '
            'tools/analysis/compute_temporal_rus.py CONFIG CHECKPOINT '
            f'--out {path}')
    try:
        with np.load(path, allow_pickle=False) as archive:
            rus = {
                key:
                torch.from_numpy(np.asarray(archive[key], dtype=np.float32))
                for key in RUS_KEYS if key in archive
            }
    except (OSError, ValueError) as error:
        raise ValueError(f'RUS file {path} is not a readable .npz file of '
                         f'numeric arrays: {error}') from error
    check_temporal_rus(rus, str(path), num_modalities, num_frames)
    return rus


@torch.no_grad()
def collect_frame_tokens(experts: nn.Module,
                         data_preprocessor: nn.Module,
                         dataloader,
                         token_tap_path: str = 'transformer.resblocks',
                         max_samples: Optional[int] = None
                         ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per-frame class tokens of frozen experts over a data loader.

    The tokens are those ``MoMERecognizer`` gives heads with
    ``uses_frame_tokens``: the deepest tapped block's per-frame class tokens.

    Args:
        experts (nn.Module): A ``ModalityExperts`` (``experts`` dict,
            ``modalities`` list), in eval mode.
        data_preprocessor (nn.Module): The recognizer's
            ``MultiModalDataPreprocessor``.
        dataloader (Iterable): Batches of ``inputs`` / ``data_samples``.
        token_tap_path (str): Block list path in each expert.
        max_samples (int, optional): Stop after this many samples.

    Returns:
        Tuple[torch.Tensor, torch.Tensor]: Tokens (S, N, T, C), averaged
        over clips, and labels (S,) long.
    """
    all_tokens, all_labels = [], []
    num_samples = 0
    for batch in dataloader:
        data = data_preprocessor(batch, False)
        inputs, data_samples = data['inputs'], data['data_samples']
        batch_size = len(data_samples)
        per_modality = []
        for name in experts.modalities:
            clips = inputs[name]
            # (B, num_clips, C, T, H, W) -> (B*num_clips, C, T, H, W)
            clips = clips.reshape((-1, ) + clips.shape[2:])
            with TokenTap(experts.experts[name], token_tap_path) as tap:
                experts.experts[name](clips)
            frame_tokens = tap.frame_class_tokens()[-1]  # (B*clips, T, C)
            per_modality.append(
                frame_tokens.view(batch_size, -1,
                                  *frame_tokens.shape[1:]).mean(dim=1))
        all_tokens.append(torch.stack(per_modality, dim=1).float().cpu())
        all_labels.append(class_indices(data_samples, torch.device('cpu')))
        num_samples += batch_size
        if max_samples is not None and num_samples >= max_samples:
            break
    if not all_tokens:
        raise ValueError('The data loader gave no samples to estimate RUS')
    tokens, labels = torch.cat(all_tokens), torch.cat(all_labels)
    if max_samples is not None:
        tokens, labels = tokens[:max_samples], labels[:max_samples]
    return tokens, labels


def _prefix_means(tokens: torch.Tensor) -> torch.Tensor:
    """Mean over frames 0..t for every t: (S, N, T, C) -> (S, N, T, C)."""
    counts = torch.arange(
        1, tokens.shape[2] + 1, dtype=tokens.dtype).view(1, 1, -1, 1)
    return tokens.cumsum(dim=2) / counts


def _label_entropy_bits(labels: torch.Tensor, num_classes: int) -> float:
    frequencies = torch.bincount(labels, minlength=num_classes).double()
    frequencies = frequencies[frequencies > 0] / len(labels)
    return float(-(frequencies * frequencies.log2()).sum())


def _heldout_cross_entropy_bits(features: torch.Tensor, labels: torch.Tensor,
                                fit: torch.Tensor, heldout: torch.Tensor,
                                num_classes: int, hidden_channels: int,
                                steps: int, lr: float,
                                weight_decay: float) -> torch.Tensor:
    """Train D independent MLP discriminators at once; held-out CE (bits).

    Discriminator d (Linear -> ReLU -> Linear on standardized features) is
    trained on ``features[d, fit]`` with full-batch AdamW. Batching them
    (one bmm per layer) gives the same result as training each alone
    (independent parameters, element-wise optimizer) with D times fewer
    kernel launches.

    Args:
        features (torch.Tensor): (D, S, F).
        labels (torch.Tensor): (S,) long.
        fit (torch.Tensor): Indices of the training samples.
        heldout (torch.Tensor): Indices of the evaluation samples.

    Returns:
        torch.Tensor: Cross-entropy per discriminator (D,), in bits.
    """
    num_discriminators, _, in_features = features.shape
    mean = features[:, fit].mean(dim=1, keepdim=True)
    std = features[:, fit].std(dim=1, unbiased=False, keepdim=True)
    features = (features - mean) / std.clamp_min(1e-6)

    def uniform(*shape: int, fan_in: int) -> nn.Parameter:
        bound = 1 / math.sqrt(fan_in)
        return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))

    hidden_weight = uniform(
        num_discriminators, in_features, hidden_channels, fan_in=in_features)
    hidden_bias = uniform(
        num_discriminators, 1, hidden_channels, fan_in=in_features)
    output_weight = uniform(
        num_discriminators,
        hidden_channels,
        num_classes,
        fan_in=hidden_channels)
    output_bias = uniform(
        num_discriminators, 1, num_classes, fan_in=hidden_channels)
    parameters = [hidden_weight, hidden_bias, output_weight, output_bias]

    def cross_entropy(indices: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(
            torch.baddbmm(hidden_bias, features[:, indices], hidden_weight))
        logits = torch.baddbmm(output_bias, hidden, output_weight)
        # (D, S', K) -> per-discriminator mean CE (D,)
        return F.cross_entropy(
            logits.flatten(0, 1),
            labels[indices].repeat(num_discriminators),
            reduction='none').view(num_discriminators, -1).mean(dim=1)

    optimizer = torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay)
    with torch.enable_grad():
        for _ in range(steps):
            optimizer.zero_grad()
            # Sum of independent losses: each discriminator gets its own
            # gradient.
            cross_entropy(fit).sum().backward()
            optimizer.step()
    with torch.no_grad():
        return cross_entropy(heldout) / math.log(2)


def estimate_temporal_rus(tokens: torch.Tensor,
                          labels: torch.Tensor,
                          num_classes: int,
                          lag: int = 0,
                          heldout_fraction: float = 0.25,
                          hidden_channels: int = 32,
                          steps: int = 100,
                          lr: float = 1e-2,
                          weight_decay: float = 1e-2,
                          seed: int = 0,
                          max_chunk_elements: int = 2**26
                          ) -> Dict[str, torch.Tensor]:
    """Estimate dataset-level temporal U, R, S from per-frame tokens.

    See the module docstring for the estimator.

    Args:
        tokens (torch.Tensor): Frozen per-frame tokens (S, N, T, C).
        labels (torch.Tensor): Labels (S,) in [0, num_classes).
        num_classes (int): K.
        lag (int): Frames by which the partner modality's prefix lags in
            the pair discriminators. Defaults to 0.
        heldout_fraction (float): Fraction of samples the cross-entropy is
            measured on (the rest trains). With fewer than 4 samples all of
            them are used for both. Defaults to 0.25.
        hidden_channels (int): Hidden width of each discriminator.
            Defaults to 32.
        steps (int): Full-batch AdamW steps per discriminator. Defaults to
            100.
        lr (float): Learning rate. Defaults to 1e-2.
        weight_decay (float): Defaults to 1e-2.
        seed (int): Seed of the split and the discriminators. Defaults to 0.
        max_chunk_elements (int): Discriminators are trained in batches
            whose features hold at most this many numbers (memory bound).
            Defaults to 2**26.

    Returns:
        dict[str, torch.Tensor]: ``U`` (N, T), ``R`` (N, N, T), ``S``
        (N, N, T), ``mi_single`` (N, T), ``mi_pair`` (N, N, T),
        ``label_entropy`` (), ``lag`` () -- all in bits.
    """
    if tokens.dim() != 4:
        raise ValueError('tokens must have shape (S, N, T, C), got '
                         f'{tuple(tokens.shape)}')
    num_samples, num_modalities, num_frames, _ = tokens.shape
    if labels.shape != (num_samples, ):
        raise ValueError(f'labels must have shape ({num_samples},), got '
                         f'{tuple(labels.shape)}')
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f'labels must lie in [0, {num_classes}), got '
                         f'{int(labels.min())}..{int(labels.max())}')
    if not 0 <= lag < num_frames:
        raise ValueError(f'lag must be in [0, {num_frames}), got {lag}')
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(num_samples, generator=generator)
    num_heldout = int(round(num_samples * heldout_fraction))
    if num_samples < 4 or num_heldout < 1 or num_heldout >= num_samples:
        fit = heldout = order
    else:
        heldout, fit = order[:num_heldout], order[num_heldout:]
    label_entropy = _label_entropy_bits(labels[fit], num_classes)
    prefixes = _prefix_means(tokens.float())  # (S, N, T, C)

    def mutual_information(sources: Sequence[Sequence[Tuple[int, int]]]
                           ) -> torch.Tensor:
        """I(Y; X) in bits for each feature set, (D,).

        ``sources[d]`` lists the (modality, frame) prefixes concatenated
        into the features of discriminator d; features are built chunk by
        chunk to bound memory.
        """
        torch.manual_seed(seed)
        feature_size = num_samples * len(sources[0]) * prefixes.shape[-1]
        per_chunk = max(1, max_chunk_elements // feature_size)
        cross_entropy = []
        for start in range(0, len(sources), per_chunk):
            # (d, S, F)
            features = torch.stack([
                torch.cat([prefixes[:, m, t] for m, t in source], dim=1)
                for source in sources[start:start + per_chunk]
            ])
            cross_entropy.append(
                _heldout_cross_entropy_bits(features, labels, fit, heldout,
                                            num_classes, hidden_channels,
                                            steps, lr, weight_decay))
        return (label_entropy - torch.cat(cross_entropy)).clamp(min=0)

    # One discriminator per modality and frame.
    mi_single = mutual_information([[(m, t)] for m in range(num_modalities)
                                    for t in range(num_frames)
                                    ]).view(num_modalities, num_frames)
    pairs = [(m, k) for m in range(num_modalities)
             for k in range(num_modalities) if k != m and (lag > 0 or k > m)]
    mi_pair = torch.zeros(num_modalities, num_modalities, num_frames)
    redundancy = torch.zeros_like(mi_pair)
    synergy = torch.zeros_like(mi_pair)
    if pairs:
        partner_frames = [max(t - lag, 0) for t in range(num_frames)]
        # One discriminator per ordered pair (m, k) and frame t.
        pair_information = mutual_information([[(m, t), (k, partner_frames[t])]
                                               for m, k in pairs
                                               for t in range(num_frames)
                                               ]).view(len(pairs), num_frames)
        for index, (m, k) in enumerate(pairs):
            single_m = mi_single[m]
            single_k = mi_single[k, partner_frames]
            mi_pair[m, k] = pair_information[index]
            redundancy[m, k] = torch.minimum(single_m, single_k)
            synergy[m, k] = (pair_information[index] -
                             torch.maximum(single_m, single_k)).clamp(min=0)
            if lag == 0:
                mi_pair[k, m] = mi_pair[m, k]
                redundancy[k, m] = redundancy[m, k]
                synergy[k, m] = synergy[m, k]
    uniqueness = torch.zeros(num_modalities, num_frames)
    if num_modalities > 1:
        for m in range(num_modalities):
            partners = [k for k in range(num_modalities) if k != m]
            uniqueness[m] = (mi_single[m].unsqueeze(0) -
                             redundancy[m, partners]).clamp(min=0).mean(0)
    return dict(
        U=uniqueness,
        R=redundancy,
        S=synergy,
        mi_single=mi_single,
        mi_pair=mi_pair,
        label_entropy=torch.tensor(label_entropy),
        lag=torch.tensor(float(lag)))
