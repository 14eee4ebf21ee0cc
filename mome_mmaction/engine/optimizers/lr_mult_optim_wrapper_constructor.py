"""Per-module learning-rate multipliers that keep the weight-decay rules."""
from mmaction.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn
from typing import Dict, List, Optional, Union


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LrMultOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's constructor, where a ``custom_keys`` entry that sets only
    ``lr_mult`` scales the learning rate and leaves weight decay to the
    other rules.

    mmengine applies the first matching custom key of a parameter and then
    skips every other rule, so the fine-tuning recipe
    ``custom_keys={'backbone.experts': dict(lr_mult=0.1)}`` would also put
    weight decay back on the experts' norms and biases
    (``norm_decay_mult``/``bias_decay_mult``). Here such lr-only keys are
    applied after mmengine's rules: the parameter's learning rate (the
    base rate, or what another custom key set) is multiplied by
    ``lr_mult`` of the longest matching lr-only key, and its weight decay is
    exactly what it would be without the key. Keys with anything else
    (``decay_mult``, ...) keep mmengine's meaning.

    Example::

        optim_wrapper = dict(
            constructor='LrMultOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.05),
            paramwise_cfg=dict(
                norm_decay_mult=0., bias_decay_mult=0.,
                custom_keys={'backbone.experts': dict(lr_mult=0.1)}))

    Args:
        optim_wrapper_cfg (dict): As mmengine's
            ``DefaultOptimWrapperConstructor``.
        paramwise_cfg (dict, optional): As mmengine's, with lr-only
            ``custom_keys`` as above. Defaults to None.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        custom_keys = dict(paramwise_cfg.get('custom_keys', {}))
        self.lr_mult_keys: Dict[str, float] = {
            key: float(options['lr_mult'])
            for key, options in custom_keys.items()
            if set(options) == {'lr_mult'}
        }
        paramwise_cfg['custom_keys'] = {
            key: options
            for key, options in custom_keys.items()
            if key not in self.lr_mult_keys
        }
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   is_dcn_module: Optional[Union[int, float]] = None) -> None:
        """mmengine's parameter groups, then the lr-only multipliers (at
        the top-level call, where every parameter's name is known)."""
        super().add_params(params, module, prefix, is_dcn_module)
        if prefix or not self.lr_mult_keys:
            return
        names = {id(param): name for name, param in module.named_parameters()}
        # mmengine's order: the longest key first, ties alphabetical
        keys = sorted(sorted(self.lr_mult_keys), key=len, reverse=True)
        for group in params:
            name = names[id(group['params'][0])]
            key = next((key for key in keys if key in name), None)
            if key is not None:
                group['lr'] = group.get('lr', self.base_lr) * \
                    self.lr_mult_keys[key]
