"""Read per-block tokens out of a video transformer with forward hooks.

:class:`TokenTap` hooks every block of ``module.<block_path>`` (a
``ModuleList``, e.g. UniFormerV2's ``transformer.resblocks``) and keeps a
reference to each block's output. The backbone's source is not touched.

Layout (UniFormerV2, "LND"): a block's output ``x`` has shape
(1 + HW, B*T, C): the first token is each frame's class token, the other HW
are the frame's patch tokens. From it the tap derives

* the class token of the block, ``x[0]`` viewed as (B, T, C) and averaged
  over T -> (B, C); or kept per frame, (B, T, C);
* the spatio-temporal (ST) tokens, ``x[1:]`` as a (B, T, HW, C) *view*
  (a strided one: no copy; ``flatten(1, 2)`` gives (B, T*HW, C),
  time-major, as a copy).

Both are computed on request only, from the kept block outputs (which
autograd keeps alive anyway while training), so a tap costs nothing until a
loss asks for tokens, and nothing at all when it is not installed. Class
tokens of every frame and ST tokens share storage with the block outputs:
a loss that keeps them for backward (HTL's KL keeps its students) keeps
nothing autograd did not keep already.
"""
import torch
from torch import nn
from typing import Any, Dict, List, Optional, Tuple


class TokenTap:
    """Forward hooks that capture every block's output of one backbone.

    Use it as a context manager; the hooks exist only inside the ``with``
    block (or between :meth:`install` and :meth:`remove`)::

        with TokenTap(expert, 'transformer.resblocks') as tap:
            features = expert(clips)
        class_tokens = tap.class_tokens()   # L x (B, C), shallow -> deep
        frame_tokens = tap.frame_class_tokens()  # L x (B, T, C)
        st_tokens = tap.st_tokens()         # L x (B, T, HW, C), views

    Each block's output is recorded once per session: when a block runs
    again, as activation checkpointing does when it recomputes the block
    during backward, the first recording is kept, so tokens are never
    duplicated. Call :meth:`reset` between two forward passes in one session.
    Hooks live on the wrapped modules themselves, so a tap installed inside
    a ``DistributedDataParallel`` forward works per replica.

    Args:
        module (nn.Module): The backbone, e.g. one ``UniFormerV2`` expert.
        block_path (str): Dotted path of the block ``ModuleList`` inside
            ``module``. Defaults to ``'transformer.resblocks'``.
        num_frames (int, optional): Frames T in the blocks' tokens. If None,
            read from each block call (UniFormerV2 passes it as the second
            positional argument, or keyword ``T``). Defaults to None.
    """

    def __init__(self,
                 module: nn.Module,
                 block_path: str = 'transformer.resblocks',
                 num_frames: Optional[int] = None) -> None:
        self.blocks = resolve_blocks(module, block_path)
        self.block_path = block_path
        self.num_frames = num_frames
        self._handles: List[Any] = []
        # block index -> (block output (1 + HW, B*T, C), T)
        self._outputs: Dict[int, Tuple[torch.Tensor, int]] = {}

    @property
    def installed(self) -> bool:
        """bool: Whether the hooks are currently registered."""
        return bool(self._handles)

    def install(self) -> 'TokenTap':
        """Register one forward hook per block."""
        if self.installed:
            raise RuntimeError(
                f'TokenTap on {self.block_path!r} is already installed')
        self.reset()
        for index, block in enumerate(self.blocks):
            self._handles.append(
                block.register_forward_hook(
                    self._make_hook(index), with_kwargs=True))
        return self

    def remove(self) -> None:
        """Remove every hook this tap registered; recorded tokens stay."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def reset(self) -> None:
        """Forget the recorded block outputs."""
        self._outputs = {}

    def __enter__(self) -> 'TokenTap':
        return self.install()

    def __exit__(self, *exc_info) -> None:
        self.remove()

    def _make_hook(self, index: int):

        def record_block_output(block: nn.Module, args: tuple, kwargs: dict,
                                output: torch.Tensor) -> None:
            if index in self._outputs:
                # Activation checkpointing re-runs the block in backward.
                return
            self._outputs[index] = (output,
                                    self._frames_of_call(index, args, kwargs))

        return record_block_output

    def _frames_of_call(self, index: int, args: tuple, kwargs: dict) -> int:
        if self.num_frames is not None:
            return self.num_frames
        if len(args) > 1 and isinstance(args[1], int):
            return args[1]
        if isinstance(kwargs.get('T'), int):
            return kwargs['T']
        raise ValueError(
            f'TokenTap could not tell the number of frames of block {index} '
            f'of {self.block_path!r}: the block was called without an int '
            'second argument or keyword T; pass num_frames=... to TokenTap.')

    def _recorded(self) -> List[Tuple[torch.Tensor, int]]:
        missing = [
            i for i in range(len(self.blocks)) if i not in self._outputs
        ]
        if missing:
            raise RuntimeError(
                f'TokenTap on {self.block_path!r} has no output for blocks '
                f'{missing} of {len(self.blocks)}: run the backbone forward '
                'while the tap is installed.')
        return [self._outputs[i] for i in range(len(self.blocks))]

    def class_tokens(self) -> List[torch.Tensor]:
        """Per-block class tokens, frame-averaged.

        Returns:
            list[torch.Tensor]: L tensors of shape (B, C), shallow -> deep.
        """
        return [
            block_class_token(output, num_frames)
            for output, num_frames in self._recorded()
        ]

    def frame_class_tokens(self) -> List[torch.Tensor]:
        """Per-block class tokens of every frame.

        Returns:
            list[torch.Tensor]: L tensors of shape (B, T, C), shallow -> deep.
        """
        return [
            block_frame_class_tokens(output, num_frames)
            for output, num_frames in self._recorded()
        ]

    def st_tokens(self) -> List[torch.Tensor]:
        """Per-block spatio-temporal tokens, views of the block outputs.

        Returns:
            list[torch.Tensor]: L strided views of shape (B, T, HW, C),
            shallow -> deep.
        """
        return [
            block_st_tokens(output, num_frames)
            for output, num_frames in self._recorded()
        ]


def resolve_blocks(module: nn.Module, block_path: str) -> nn.ModuleList:
    """Return ``module.<block_path>``, checking that it is a block list.

    Raises:
        AttributeError: The path does not exist or is not a ``ModuleList``.
    """
    try:
        blocks = module.get_submodule(block_path)
    except AttributeError as error:
        raise AttributeError(
            f'Token tap path {block_path!r} not found in '
            f'{type(module).__name__}: {error}. Set the path of the '
            "backbone's block ModuleList (UniFormerV2: "
            "'transformer.resblocks').") from error
    if not isinstance(blocks, (nn.ModuleList, nn.Sequential)):
        raise AttributeError(
            f'Token tap path {block_path!r} of {type(module).__name__} is a '
            f'{type(blocks).__name__}, expected a ModuleList of blocks.')
    return blocks


def _check_lnd(tokens: torch.Tensor, num_frames: int) -> Tuple[int, int, int]:
    if tokens.dim() != 3 or tokens.shape[1] % num_frames:
        raise ValueError(
            'Expected block tokens of shape (1 + HW, B*T, C) with B*T '
            f'divisible by T={num_frames}, got {tuple(tokens.shape)}.')
    num_tokens, batch_frames, channels = tokens.shape
    return num_tokens - 1, batch_frames // num_frames, channels


def block_frame_class_tokens(tokens: torch.Tensor,
                             num_frames: int) -> torch.Tensor:
    """Class token of every frame of one block.

    Args:
        tokens (torch.Tensor): Block output of shape (1 + HW, B*T, C).
        num_frames (int): T.

    Returns:
        torch.Tensor: Shape (B, T, C).
    """
    _, batch_size, channels = _check_lnd(tokens, num_frames)
    return tokens[0].view(batch_size, num_frames, channels)


def block_class_token(tokens: torch.Tensor, num_frames: int) -> torch.Tensor:
    """Class token of one block, averaged over frames.

    Args:
        tokens (torch.Tensor): Block output of shape (1 + HW, B*T, C).
        num_frames (int): T.

    Returns:
        torch.Tensor: Shape (B, C).
    """
    return block_frame_class_tokens(tokens, num_frames).mean(dim=1)


def block_st_tokens(tokens: torch.Tensor, num_frames: int) -> torch.Tensor:
    """Spatio-temporal tokens of one block, as a view (no copy).

    Args:
        tokens (torch.Tensor): Block output of shape (1 + HW, B*T, C).
        num_frames (int): T.

    Returns:
        torch.Tensor: A strided view of ``tokens`` of shape (B, T, HW, C);
        ``[b, t, p]`` is patch p of frame t of sample b.
    """
    num_patches, batch_size, channels = _check_lnd(tokens, num_frames)
    # (HW, B*T, C) -> (HW, B, T, C) -> (B, T, HW, C), all views
    st = tokens[1:].view(num_patches, batch_size, num_frames, channels)
    return st.permute(1, 2, 0, 3)
