import torch
from mmaction.structures import ActionDataSample

from mome_mmaction.models.utils.class_indices import class_indices


def test_hard_and_soft_labels_give_class_indices():
    hard = [ActionDataSample().set_gt_label(label) for label in (3, 0)]
    assert class_indices(hard, torch.device('cpu')).tolist() == [3, 0]
    soft = [
        ActionDataSample().set_gt_label(torch.tensor([0.1, 0.7, 0.2])),
        ActionDataSample().set_gt_label(torch.tensor([0.6, 0.2, 0.2]))
    ]
    indices = class_indices(soft, torch.device('cpu'))
    assert indices.dtype == torch.long and indices.tolist() == [1, 0]
