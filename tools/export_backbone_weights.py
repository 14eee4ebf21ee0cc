"""Keep only a trained recognizer's backbone weights, as plain tensors.

Usage: ``python tools/export_backbone_weights.py CKPT OUT [--prefix
backbone.] [--dtype {float32,float16}]``.

Reads an mmengine checkpoint (weights-only) and writes ``{'state_dict':
{key: tensor}, 'meta': {...}}`` with the keys that start with ``--prefix``,
prefix kept: the file loads weights-only (``torch.load(OUT,
weights_only=True)``) and into an expert exactly as MMAction2's
Kinetics-710 file does::

    init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')

Prints the file's SHA-256 and size.
"""
import argparse
import hashlib
import os
import os.path as osp
import torch

from mome_mmaction.utils import load_checkpoint_weights_only

DTYPES = dict(float32=torch.float32, float16=torch.float16)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='mmengine checkpoint to read')
    parser.add_argument('out', help='weights file to write')
    parser.add_argument(
        '--prefix',
        default='backbone.',
        help='keys to keep (kept in the output keys)')
    parser.add_argument(
        '--dtype',
        choices=sorted(DTYPES),
        default='float32',
        help='dtype of floating-point tensors (float16 halves the size)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    checkpoint = load_checkpoint_weights_only(
        args.checkpoint, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint)
    weights = {
        key: (value.to(DTYPES[args.dtype])
              if value.is_floating_point() else value).clone().contiguous()
        for key, value in state_dict.items() if key.startswith(args.prefix)
    }
    if not weights:
        heads = sorted({key.split('.')[0] for key in state_dict})
        raise SystemExit(f'{args.checkpoint} has no keys starting with '
                         f'{args.prefix!r}; its keys start with {heads}')
    meta = dict(
        source=osp.basename(args.checkpoint),
        prefix=args.prefix,
        dtype=args.dtype)
    if isinstance(checkpoint.get('meta'), dict):
        meta.update({
            key: checkpoint['meta'][key]
            for key in ('epoch', 'iter') if key in checkpoint['meta']
        })
    if osp.dirname(args.out):
        os.makedirs(osp.dirname(args.out), exist_ok=True)
    torch.save(dict(state_dict=weights, meta=meta), args.out)
    with open(args.out, 'rb') as stream:
        sha256 = hashlib.sha256(stream.read()).hexdigest()
    size = os.path.getsize(args.out)
    num_parameters = sum(value.numel() for value in weights.values())
    print(f'{args.out}: {len(weights)} tensors ({num_parameters} values, '
          f'{args.dtype}) from {args.checkpoint}')
    print(f'sha256 {sha256}')
    print(f'size {size} bytes ({size / 2**20:.2f} MiB)')


if __name__ == '__main__':
    main()
