"""Widen a backbone's input convolution for channel-concatenated modalities.

Early fusion feeds N modalities of C channels each as one (N*C)-channel
clip. The pretrained patch embedding expects C channels; instead of a new,
randomly initialized convolution, its kernel is tiled over the N copies and
divided by N, so a clip whose modalities are identical gives exactly the
pretrained response. Checkpoints saved with the C-channel kernel are widened
the same way when loaded (mmengine ``Pretrained`` init, ``load_from``).
"""
import torch
from mmengine.logging import print_log
from torch import nn
from typing import Optional


def tile_input_channels(weight: torch.Tensor, num_copies: int) -> torch.Tensor:
    """Tile a conv kernel over ``num_copies`` input groups, scaled by 1/N.

    Args:
        weight (torch.Tensor): Kernel of shape (C_out, C_in, *kernel).

    Returns:
        torch.Tensor: Kernel of shape (C_out, N*C_in, *kernel).
    """
    repeats = (1, num_copies) + (1, ) * (weight.dim() - 2)
    return weight.repeat(*repeats) / num_copies


def inflate_input_channels(module: nn.Module, conv_path: str,
                           num_copies: int) -> nn.Module:
    """Replace ``module.<conv_path>`` by a conv with ``num_copies`` x inputs.

    The new convolution keeps every other setting; its kernel is the old one
    tiled (see :func:`tile_input_channels`). A load-state-dict pre hook widens
    C_in-channel kernels in loaded state dicts the same way.

    Args:
        module (nn.Module): The backbone (e.g. ``UniFormerV2``).
        conv_path (str): Dotted path of its input conv (UniFormerV2:
            ``'conv1'``).
        num_copies (int): Number of modalities N.

    Returns:
        nn.Module: The new convolution (already set on ``module``).
    """
    try:
        conv = module.get_submodule(conv_path)
    except AttributeError as error:
        raise AttributeError(f'Patch embedding {conv_path!r} not found in '
                             f'{type(module).__name__}: {error}') from error
    if not isinstance(conv, nn.modules.conv._ConvNd):
        raise TypeError(f'{type(module).__name__}.{conv_path} is a '
                        f'{type(conv).__name__}, expected a convolution.')
    if conv.groups != 1:
        raise TypeError(f'{type(module).__name__}.{conv_path} is a grouped '
                        'convolution; only groups=1 can be inflated.')
    in_channels = conv.in_channels
    inflated = type(conv)(
        in_channels * num_copies,
        conv.out_channels,
        kernel_size=conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        bias=conv.bias is not None,
        padding_mode=conv.padding_mode)
    with torch.no_grad():
        inflated.weight.copy_(tile_input_channels(conv.weight, num_copies))
        if conv.bias is not None:
            inflated.bias.copy_(conv.bias)

    def widen_loaded_kernel(loaded_module: nn.Module, state_dict: dict,
                            prefix: str, *args) -> None:
        key = prefix + 'weight'
        weight: Optional[torch.Tensor] = state_dict.get(key)
        if weight is not None and weight.dim() > 1 and \
                weight.shape[1] == in_channels and num_copies > 1:
            state_dict[key] = tile_input_channels(weight, num_copies)
            print_log(
                f'Inflated {key} from {tuple(weight.shape)} to '
                f'{tuple(state_dict[key].shape)} for {num_copies} '
                'channel-concatenated modalities',
                logger='current')

    inflated.register_load_state_dict_pre_hook(widen_loaded_kernel)
    parent_path, _, name = conv_path.rpartition('.')
    parent = module.get_submodule(parent_path) if parent_path else module
    setattr(parent, name, inflated)
    return inflated
