import os
import torch
from contextlib import ExitStack
from mmaction.registry import MODELS
from mmaction.utils import ConfigType
from mmengine.model import BaseModule, ModuleDict
from typing import Collection, Dict, Optional, Sequence, Union

from ...utils.modalities import check_input_keys, normalize_modalities
from ..utils.activation_checkpointing import checkpoint_blocks
from ..utils.expert_checkpoint import (check_expert_checkpoint_file,
                                       load_expert_checkpoint)
from ..utils.pretrained import (check_pretrained_files, load_report,
                                pretrained_init_skipped)


@MODELS.register_module()
class ModalityExperts(BaseModule):
    """Independent backbones, one per modality, with stacked outputs.

    Each expert is built from its own copy of the config, so experts share
    no weights. ``experts[modality]`` is a plain MMAction2 backbone (e.g.
    ``UniFormerV2``); its ``init_cfg`` (e.g. mmengine ``Pretrained`` with
    ``prefix='backbone.'``) initializes it. Before loading, every local
    checkpoint is checked to exist, and each load's missing / unexpected keys
    are logged.

    Experts trained from scratch can start from one random draw
    (``shared_init=True``), as pretrained experts all start from one
    checkpoint: HTL's ``L_inter`` then starts small instead of pulling
    unrelated random features together.

    Two-stage recipe: ``expert_checkpoints`` names a stage-1 checkpoint per
    modality (a ``Recognizer3D`` one, keys ``backbone.*``, or a
    single-expert ``MoMERecognizer`` one, keys
    ``backbone.experts.<modality>.*``). Those experts skip their
    ``Pretrained`` init (no Kinetics-710 file is needed) and, after the
    normal initialization and ``shared_init``, load their backbone from the
    file strictly (see :func:`load_expert_checkpoint`).

    Args:
        backbone (dict): Backbone config built once per modality, or a dict
            mapping every modality to its own backbone config.
        modalities (Sequence[str]): Input keys, one expert each, in the order
            of the stacked outputs.
        shared_init (bool): After initialization, copy the first expert's
            weights into every other expert (all experts must have the same
            architecture). Defaults to False.
        expert_checkpoints (dict[str, str], optional): Stage-1 checkpoint
            path per modality, for any subset of ``modalities``. A modality
            mapped to None is a slot to fill: ``init_weights()`` raises until
            it names a file. Defaults to None (no expert checkpoints).
        with_cp (bool): Activation checkpointing: every block of each
            expert's ``cp_block_path`` keeps only its input for backward and
            recomputes its inside then (:func:`checkpoint_blocks`; the
            blocks' source is not touched; a token tap still sees each block
            output once). Less memory for about one more forward of compute.
            Defaults to False.
        cp_block_path (str): Path of the block ``ModuleList`` inside each
            expert that ``with_cp`` checkpoints. Defaults to
            ``'transformer.resblocks'`` (UniFormerV2).
        init_cfg (dict, optional): Initialization config of this container.
            Defaults to None.
    """

    def __init__(self,
                 backbone: Union[ConfigType, Dict[str, ConfigType]],
                 modalities: Sequence[str],
                 shared_init: bool = False,
                 expert_checkpoints: Optional[Dict[str, Optional[str]]] = None,
                 with_cp: bool = False,
                 cp_block_path: str = 'transformer.resblocks',
                 init_cfg: ConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.modalities = normalize_modalities(modalities)
        self.shared_init = shared_init
        expert_checkpoints = dict(expert_checkpoints or {})
        unknown = sorted(set(expert_checkpoints) - set(self.modalities))
        if unknown:
            raise KeyError(
                f'expert_checkpoints names modalities {unknown} that have no '
                f'expert; the experts are {self.modalities}')
        self.expert_checkpoints = {
            name: None if path is None else os.fspath(path)
            for name, path in expert_checkpoints.items()
        }
        if 'type' in backbone:
            expert_cfgs = {name: backbone for name in self.modalities}
        else:
            if set(backbone) != set(self.modalities):
                raise KeyError(
                    'A per-modality backbone dict needs one config per '
                    f'modality {self.modalities}, got keys {sorted(backbone)}')
            expert_cfgs = backbone
        # MODELS.build copies the config, so experts are independent.
        self.experts = ModuleDict({
            name: MODELS.build(expert_cfgs[name])
            for name in self.modalities
        })
        self.with_cp = with_cp
        if with_cp:
            for expert in self.experts.values():
                checkpoint_blocks(expert, cp_block_path)

    def init_weights(self) -> None:
        """Initialize with load reports, then load the expert checkpoints.

        Checks first that every file the initialization reads exists
        (``Pretrained`` checkpoints of experts without an expert
        checkpoint, and the expert checkpoints).
        """
        unset = [
            name for name, path in self.expert_checkpoints.items()
            if path is None
        ]
        if unset:
            raise ValueError(
                f'expert_checkpoints of {unset} are not set (None): these '
                'experts start from their stage-1 checkpoints. Give them '
                'with --cfg-options model.expert_checkpoints.<modality>=PATH '
                'or train both stages with tools/train_two_stage.sh.')
        for name, path in self.expert_checkpoints.items():
            check_expert_checkpoint_file(path, name)
        with ExitStack() as init:
            for name, path in self.expert_checkpoints.items():
                init.enter_context(
                    pretrained_init_skipped(
                        self.experts[name],
                        owner=f'expert {name!r}',
                        reason=f'the expert loads its stage-1 checkpoint '
                        f'{path}'))
            for name, expert in self.experts.items():
                check_pretrained_files(expert, owner=f'expert {name!r}')
                init.enter_context(
                    load_report(expert, owner=f'expert {name!r}'))
            super().init_weights()
        if self.shared_init:
            first, *others = self.experts.values()
            for expert in others:
                expert.load_state_dict(first.state_dict())
        for name, path in self.expert_checkpoints.items():
            load_expert_checkpoint(self.experts[name], path, name)

    def forward(
        self, inputs: Dict[str, torch.Tensor], skip: Collection[str] = ()
    ) -> torch.Tensor:
        """Run every expert on its modality.

        Args:
            inputs (dict[str, torch.Tensor]): Clips per modality, each of
                shape (B, C, T, H, W).
            skip (Collection[str]): Modalities whose expert is not run (an
                offline camera); their outputs are zeros. At least one
                expert must run. Defaults to ().

        Returns:
            torch.Tensor: Expert outputs of shape (B, N, C), ordered as
            ``modalities``. Feature maps (B, C, ...) are averaged over their
            trailing dimensions.
        """
        check_input_keys(inputs, self.modalities, type(self).__name__)
        unknown = sorted(set(skip) - set(self.modalities))
        if unknown or len(set(skip)) == len(self.modalities):
            raise ValueError(
                f'{type(self).__name__} can skip some of {self.modalities}, '
                f'not {sorted(skip)}')
        outputs = {}
        for name in self.modalities:
            if name in skip:
                continue
            feature = self.experts[name](inputs[name])
            if isinstance(feature, (tuple, list)):
                feature = feature[-1]
            if feature.dim() > 2:
                feature = feature.flatten(2).mean(dim=2)
            outputs[name] = feature
        widths = {  # int(): under torch.jit tracing sizes are tensors
            name: int(out.shape[1])
            for name, out in outputs.items()
        }
        if len(set(widths.values())) > 1:
            raise ValueError(
                'Experts must output features of one width to be stacked, '
                f'got {widths}')
        zeros = torch.zeros_like(next(iter(outputs.values())))
        ordered = [outputs.get(name, zeros) for name in self.modalities]
        return torch.stack(ordered, dim=1)
