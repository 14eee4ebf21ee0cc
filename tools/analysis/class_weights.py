"""Class weights for the classification loss from a config's training split.

Usage: ``python tools/analysis/class_weights.py CONFIG [--scheme inverse |
sqrt_inverse] [--cfg-options KEY=VALUE ...]``. Builds the config's training
dataset (annotations only, no video is read), counts its samples per class
and prints a table (class, samples, weight) and the option that puts the
weights into the classification loss (MMAction2's ``CrossEntropyLoss``
``class_weight``), as a config line and as options of ``tools/train.py
CONFIG --cfg-options model.cls_head.loss_cls.type=CrossEntropyLoss
model.cls_head.loss_cls.class_weight="[...]"``. Classes without training
samples are named and get weight 0.
"""
import argparse
import numpy as np
from mmaction.registry import DATASETS
from mmengine.registry import init_default_scope

import mome_mmaction  # noqa: F401  (stack fixes, registries)
from mome_mmaction.datasets.class_weights import (CLASS_WEIGHT_SCHEMES,
                                                  class_weights_from_counts)
from mome_mmaction.utils.tool_config import (add_config_arguments,
                                             config_from_args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    parser.add_argument(
        '--scheme', choices=CLASS_WEIGHT_SCHEMES, default='inverse')
    args = parser.parse_args()
    cfg = config_from_args(args)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    classes = dataset.metainfo['classes']
    counts = np.zeros(len(classes), dtype=np.int64)
    for index in range(len(dataset)):
        for class_id in dataset.get_cat_ids(index):
            counts[class_id] += 1
    weights = class_weights_from_counts(counts, args.scheme)
    print(f'{len(dataset)} training samples, {len(classes)} classes, '
          f'scheme {args.scheme}')
    print('| class | samples | weight |\n|---|---|---|')
    for name, count, weight in zip(classes, counts, weights):
        print(f'| {name} | {count} | {weight:.4f} |')
    absent = [name for name, count in zip(classes, counts) if not count]
    if absent:
        print(f'no training samples (weight 0): {absent}')
    values = ','.join(f'{weight:.4f}' for weight in weights)
    print('in the config: model = dict(cls_head=dict(loss_cls=dict('
          f"type='CrossEntropyLoss', class_weight=[{values}])))")
    print('--cfg-options model.cls_head.loss_cls.type=CrossEntropyLoss '
          f'model.cls_head.loss_cls.class_weight="[{values}]"')


if __name__ == '__main__':
    main()
