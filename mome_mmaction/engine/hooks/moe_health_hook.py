"""Training-health monitor of models that fuse modality experts."""
import json
import math
import torch
import torch.nn.functional as F
from mmaction.registry import HOOKS
from mmengine.dist import all_reduce, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from ...evaluation.gate_ablation import expert_probabilities
from ...models.heads.token_voting_gate_head import TokenVotingGateHead
from ...models.utils.class_indices import class_indices
from .non_finite_guard_hook import runner_optimizers

#: What a user can change, per warning kind (config keys).
HEALTH_ADVICE = {
    'gate_one_hot':
    'model.cls_head.expert_loss_weight=1.0 (every expert trained on its '
    'own), model.cls_head.gate_warmup_iters (uniform gate first), '
    'model.cls_head.gate_balance_weight (importance loss)',
    'tokens_indistinguishable':
    'model.htl_loss.beta (lower), model.htl_loss.beta_warmup_iters (ramp '
    'L_inter up), model.cls_head.expert_loss_weight=1.0',
    'classifier_stalled':
    'model.htl_loss.beta_warmup_iters or a lower model.htl_loss.beta, '
    'model.cls_head.expert_loss_weight=1.0'
}


def gate_statistics(gate_weights: torch.Tensor) -> Dict[str, torch.Tensor]:
    """Sums over a batch of gate weights, for averaging later.

    Args:
        gate_weights (torch.Tensor): Shape (B, N), rows summing to 1.

    Returns:
        dict[str, torch.Tensor]: ``weight_sum`` (N,) and ``entropy_sum``
        (scalar) of the normalized entropy (entropy / ln N, in [0, 1]).
    """
    weights = gate_weights.detach().float()
    entropy = -(weights * weights.clamp_min(1e-12).log()).sum(1)
    return dict(
        weight_sum=weights.sum(0),
        entropy_sum=(entropy / math.log(weights.shape[1])).sum())


def token_similarities(expert_outputs: torch.Tensor) -> torch.Tensor:
    """Mean cosine similarity between different experts' output tokens, of
    the same clip and of different clips.

    Args:
        expert_outputs (torch.Tensor): Shape (B, N, C), N >= 2.

    Returns:
        torch.Tensor: Sums over the batch (for averaging later), shape (2,):
        the same-clip similarity (mean over the N(N-1) ordered expert pairs)
        and the other-clip one (clip b's expert n against clip b+1's expert
        k != n, cyclically; equal to the same-clip one for B = 1).
    """
    tokens = F.normalize(expert_outputs.detach().float(), dim=-1)
    num_experts = tokens.shape[1]
    off_diagonal = 1. - torch.eye(num_experts, device=tokens.device)
    pairs = num_experts * (num_experts - 1)
    # (B, N, C) x (B, C, N) -> (B, N, N) cosine of every expert pair
    same = (tokens @ tokens.transpose(1, 2) * off_diagonal).sum((1, 2))
    other = (tokens @ tokens.roll(1, dims=0).transpose(1, 2) *
             off_diagonal).sum((1, 2))
    return torch.stack([same.sum(), other.sum()]) / pairs


def gradient_norm(module: torch.nn.Module) -> torch.Tensor:
    """The L2 norm of ``module``'s parameter gradients, as one vector.

    Returns:
        torch.Tensor: A float32 scalar on the CPU; 0 when no parameter has
        a gradient.
    """
    grads = [
        param.grad for param in module.parameters() if param.grad is not None
    ]
    return torch.nn.utils.get_total_norm(
        grads).float().cpu() if grads else torch.tensor(0.)


@HOOKS.register_module()
class MoEHealthHook(Hook):
    """Watch a model that fuses modality experts for the ways it collapses.

    Active when the model (a :class:`MoMERecognizer`) has several experts
    (``model.backbone.experts``) and a head that fuses them; otherwise it
    does nothing. It logs, under ``health/`` (in the log and
    ``vis_data/scalars.json``), after each validation (``val/health/...``):

    - ``gate_entropy``: the gate's entropy divided by ln N (1 = uniform,
      0 = one-hot), averaged over the clips; ``gate_<m>``: each expert's
      mean weight (heads whose forward returns ``(logits, gate_weights)``);
    - ``expert_top1_<m>``: each expert's own Top-1, its token alone
      through the fused classifier (a :class:`TokenVotingGateHead` or its
      subclasses, whose ``expert_logits`` classifies each expert's token;
      clips averaged as probabilities);
    - ``token_cos_same_clip``: the mean cosine similarity between
      different experts' output tokens of one clip, next to
      ``token_cos_other_clip``, the same between different clips.

    Every ``interval`` training iterations (``train/health/...``): the same
    gate and token figures on the training batch, and ``grad_share_<m>``:
    each expert's share of the experts' gradient norm (norm of its
    gradients over the sum of the experts' norms, measured when the
    optimizer steps).

    It logs a WARNING starting ``MoE health:`` that names what collapsed and
    when, and the config keys to change (:data:`HEALTH_ADVICE`), once per
    kind:

    - ``gate_one_hot``: one expert's mean validation weight >=
      ``one_hot_threshold`` at two validations in a row;
    - ``tokens_indistinguishable``: at a validation, the token
      similarity between experts >= ``similarity_threshold`` both on the
      same clip and across clips: every expert emits one vector whatever
      its camera sees (``L_inter``'s trivial minimum). Experts that agree
      on a clip but differ across clips are healthy: the cameras may
      carry the same information;
    - ``classifier_stalled``: after the first epoch, the epoch's mean
      ``loss_cls`` within ``stall_tolerance`` (relative) of ln C while an
      auxiliary loss term fell by more than ``aux_drop`` from its value
      over the first iterations.

    Everything it measured and warned goes to ``health.json`` in the work
    dir (rewritten after each validation and warning).

    Turn it off with ``enabled=False`` (in our configs:
    ``--cfg-options custom_hooks.3.enabled=False``).

    Args:
        interval (int): Training iterations between training-batch checks.
            Defaults to 50.
        one_hot_threshold (float): Mean weight of one expert taken as a
            one-hot gate. Defaults to 0.9.
        similarity_threshold (float): Cosine similarity (same clip and
            across clips) taken as indistinguishable tokens. Defaults to
            0.95.
        stall_tolerance (float): Relative distance of ``loss_cls`` to ln C
            taken as no learning. Defaults to 0.05.
        aux_drop (float): Relative fall of an auxiliary loss taken as its
            collapse. Defaults to 0.8.
        enabled (bool): Defaults to True.
        out_file (str): File name in the work dir. Defaults to
            'health.json'.
    """

    priority = 'NORMAL'  # after RuntimeInfoHook, before LoggerHook

    def __init__(self,
                 interval: int = 50,
                 one_hot_threshold: float = 0.9,
                 similarity_threshold: float = 0.95,
                 stall_tolerance: float = 0.05,
                 aux_drop: float = 0.8,
                 enabled: bool = True,
                 out_file: str = 'health.json') -> None:
        self.interval = interval
        self.one_hot_threshold = one_hot_threshold
        self.similarity_threshold = similarity_threshold
        self.stall_tolerance = stall_tolerance
        self.aux_drop = aux_drop
        self.enabled = enabled
        self.out_file = out_file
        self.modalities: Sequence[str] = ()
        self.head: Optional[torch.nn.Module] = None
        self.experts: Dict[str, torch.nn.Module] = {}
        self.records: Dict[str, List] = dict(
            validations=[], train=[], warnings=[])
        self._captured: List[tuple] = []
        self._capture_handle = None
        self._val_sums: Dict[str, torch.Tensor] = {}
        self._measure_grads = False
        self._grad_norms: Optional[torch.Tensor] = None
        self._first_losses: Dict[str, List[float]] = {}
        self._epoch_losses: Dict[str, List[float]] = {}
        self._one_hot_streak: List[Optional[str]] = []
        self._warned: set = set()

    @property
    def active(self) -> bool:
        """bool: Enabled and watching a model with several experts."""
        return self.enabled and self.head is not None

    def before_run(self, runner) -> None:
        """Find the experts and the fusing head of the model."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        experts = getattr(getattr(model, 'backbone', None), 'experts', None)
        head = getattr(model, 'cls_head', None)
        if not self.enabled or experts is None or len(experts) < 2 or \
                getattr(head, 'num_experts', 1) < 2:
            return
        self.head = head
        self.experts = dict(experts.items())
        self.modalities = tuple(self.experts)

    # -- capture of the head's inputs and gate weights ------------------------

    def _start_capture(self) -> None:

        def capture(head, args, kwargs, output):
            gate_weights = output[1] if isinstance(output, tuple) else None
            self._captured.append(
                (args[0].detach(), kwargs.get('modality_mask'),
                 gate_weights.detach()
                 if torch.is_tensor(gate_weights) else None))

        self._captured = []
        self._capture_handle = self.head.register_forward_hook(
            capture, with_kwargs=True)

    def _stop_capture(self) -> List[tuple]:
        if self._capture_handle is not None:
            self._capture_handle.remove()
            self._capture_handle = None
        captured, self._captured = self._captured, []
        return captured

    def _batch_sums(self, expert_outputs: torch.Tensor,
                    gate_weights: Optional[torch.Tensor]
                    ) -> Dict[str, torch.Tensor]:
        sums = dict(
            clips=torch.tensor(float(expert_outputs.shape[0])),
            token_cos=token_similarities(expert_outputs).cpu())
        if gate_weights is not None and gate_weights.dim() == 2:
            sums.update({
                key: value.cpu()
                for key, value in gate_statistics(gate_weights).items()
            })
        return sums

    @staticmethod
    def _accumulate(total: Dict[str, torch.Tensor],
                    sums: Dict[str, torch.Tensor]) -> None:
        for key, value in sums.items():
            total[key] = total[key] + value if key in total else value

    def _figures(self, sums: Dict[str, torch.Tensor]) -> Dict[str, float]:
        """Means of accumulated sums, as the ``health/`` scalars."""
        clips = float(sums['clips'])
        figures = dict(
            token_cos_same_clip=float(sums['token_cos'][0]) / clips,
            token_cos_other_clip=float(sums['token_cos'][1]) / clips)
        if 'weight_sum' in sums:
            figures['gate_entropy'] = float(sums['entropy_sum']) / clips
            for modality, weight in zip(self.modalities, sums['weight_sum']):
                figures[f'gate_{modality}'] = float(weight) / clips
        if 'expert_correct' in sums:
            samples = float(sums['samples'])
            for modality, correct in zip(self.modalities,
                                         sums['expert_correct']):
                figures[f'expert_top1_{modality}'] = float(correct) / samples
        return figures

    # -- validation --------------------------------------------------------

    def before_val_epoch(self, runner) -> None:
        if self.active:
            self._val_sums = {}
            self._start_capture()

    def after_val_iter(self,
                       runner,
                       batch_idx: int,
                       data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        if not self.active:
            return
        for expert_outputs, modality_mask, gate_weights in \
                self._stop_capture():
            sums = self._batch_sums(expert_outputs, gate_weights)
            if isinstance(self.head, TokenVotingGateHead) and outputs:
                sums.update(
                    self._expert_correct(expert_outputs, modality_mask,
                                         outputs))
            self._accumulate(self._val_sums, sums)
        self._start_capture()

    @torch.no_grad()
    def _expert_correct(self, expert_outputs: torch.Tensor,
                        modality_mask: Optional[torch.Tensor],
                        data_samples: Sequence) -> Dict[str, torch.Tensor]:
        """Correct predictions of each expert alone, clips averaged."""
        labels = class_indices(data_samples, expert_outputs.device)
        probs = expert_probabilities(self.head, expert_outputs)
        # (B*clips, N, K) -> (B, clips, N, K), averaged over the clips
        probs = probs.view(len(labels), -1, *probs.shape[1:]).mean(1)
        correct = probs.argmax(-1) == labels.unsqueeze(1)  # (B, N)
        return dict(
            expert_correct=correct.float().sum(0).cpu(),
            samples=torch.tensor(float(len(labels))))

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        if not self.active:
            return
        self._stop_capture()
        if not self._val_sums:
            return
        for key in sorted(self._val_sums):  # in place: every rank's clips
            all_reduce(self._val_sums[key], op='sum')
        figures = self._figures(self._val_sums)
        for key, value in figures.items():
            runner.message_hub.update_scalar(f'val/health/{key}', value)
        self.records['validations'].append(
            dict(epoch=runner.epoch, iter=runner.iter, **figures))
        self._check_validation(runner, figures)
        self._dump(runner)

    # -- training ----------------------------------------------------------

    def before_train(self, runner) -> None:
        """Measure the experts' gradient norms when the optimizer steps."""
        if not self.active:
            return
        for optimizer in runner_optimizers(runner):
            optimizer.step = self._measuring_step(optimizer.step)

    def _measuring_step(self, step: Callable) -> Callable:

        def measuring_step(*args, **kwargs):
            if self._measure_grads:
                self._grad_norms = torch.stack([
                    gradient_norm(expert) for expert in self.experts.values()
                ])
            return step(*args, **kwargs)

        return measuring_step

    def _monitored(self, runner) -> bool:
        return self.active and (runner.iter + 1) % self.interval == 0

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        if self._monitored(runner):
            self._measure_grads = True
            self._start_capture()

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if not self.active:
            return
        for key, value in (outputs or {}).items():
            if key.startswith('loss'):
                value = float(
                    value.detach()) if torch.is_tensor(value) else float(value)
                first = self._first_losses.setdefault(key, [])
                if len(first) < 5:
                    first.append(value)
                self._epoch_losses.setdefault(key, []).append(value)
        if not self._measure_grads:
            return
        self._measure_grads = False
        sums: Dict[str, torch.Tensor] = {}
        for expert_outputs, _, gate_weights in self._stop_capture():
            self._accumulate(sums,
                             self._batch_sums(expert_outputs, gate_weights))
        figures = self._figures(sums) if sums else {}
        if self._grad_norms is not None:
            total = float(self._grad_norms.sum())
            for modality, norm in zip(self.modalities, self._grad_norms):
                figures[f'grad_share_{modality}'] = float(norm) / total \
                    if total > 0 else 0.
            self._grad_norms = None
        for key, value in figures.items():
            runner.message_hub.update_scalar(f'train/health/{key}', value)
        self.records['train'].append(
            dict(epoch=runner.epoch, iter=runner.iter + 1, **figures))

    def after_train_epoch(self, runner) -> None:
        """Check for a classifier that does not learn (after epoch 1)."""
        if not self.active:
            return
        epoch_losses, self._epoch_losses = self._epoch_losses, {}
        cls_losses = epoch_losses.get('loss_cls')
        if runner.epoch < 1 or not cls_losses:
            return
        chance = math.log(self.head.num_classes)
        loss_cls = sum(cls_losses) / len(cls_losses)
        if abs(loss_cls - chance) > self.stall_tolerance * chance:
            return
        fallen = []
        for key, values in epoch_losses.items():
            first = self._first_losses.get(key)
            if key in ('loss', 'loss_cls') or not first:
                continue
            start, now = sum(first) / len(first), sum(values) / len(values)
            if start > 0 and (start - now) / start > self.aux_drop:
                fallen.append(f'{key} {start:.4g} -> {now:.4g}')
        if fallen:
            self._warn(
                runner, 'classifier_stalled',
                f'loss_cls {loss_cls:.4f} is within '
                f'{100 * self.stall_tolerance:.0f}% of ln C = {chance:.4f} '
                f'(chance) in epoch {runner.epoch + 1} while '
                f'{", ".join(fallen)} (fell by more than '
                f'{100 * self.aux_drop:.0f}%): the auxiliary loss reached '
                'its minimum before the classifier learned anything')
            self._dump(runner)

    # -- checks --------------------------------------------------------------

    def _check_validation(self, runner, figures: Dict[str, float]) -> None:
        weights = {
            modality: figures[f'gate_{modality}']
            for modality in self.modalities if f'gate_{modality}' in figures
        }
        top = max(weights, key=weights.get) if weights else None
        one_hot = top if top and \
            weights[top] >= self.one_hot_threshold else None
        self._one_hot_streak.append(one_hot)
        if one_hot and self._one_hot_streak[-2:] == [one_hot, one_hot]:
            earlier = self.records['validations'][-2]
            self._warn(
                runner, 'gate_one_hot',
                f'the gate is one-hot on {one_hot} (mean validation weight '
                f'{earlier[f"gate_{one_hot}"]:.3f}, then '
                f'{weights[one_hot]:.3f}, at the validations of epochs '
                f'{earlier["epoch"]} and {runner.epoch}; normalized gate '
                f'entropy {figures["gate_entropy"]:.3f}): the other experts '
                'get almost no gradient through the fusion')
        same = figures['token_cos_same_clip']
        other = figures['token_cos_other_clip']
        if min(same, other) >= self.similarity_threshold:
            self._warn(
                runner, 'tokens_indistinguishable',
                f'the experts\' output tokens are indistinguishable at the '
                f'validation of epoch {runner.epoch} (mean cosine '
                f'similarity between experts {same:.3f} on the same clip, '
                f'{other:.3f} across clips): every expert emits the same '
                'vector whatever its camera sees, so neither the gate nor '
                'the classifier has anything to go on')

    def _warn(self, runner, kind: str, what: str) -> None:
        if kind in self._warned:
            return
        self._warned.add(kind)
        message = f'MoE health: {what}. Change: {HEALTH_ADVICE[kind]}.'
        runner.logger.warning(message)
        self.records['warnings'].append(
            dict(
                kind=kind,
                epoch=runner.epoch,
                iter=runner.iter,
                message=message))

    def _dump(self, runner) -> None:
        if is_main_process():
            path = Path(runner.work_dir) / self.out_file
            path.write_text(json.dumps(self.records, indent=1))
