import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

import mome_mmaction  # noqa: F401


def build_head(**overrides):
    torch.manual_seed(0)
    cfg = dict(
        type='LateFusionHead',
        num_classes=4,
        in_channels=8,
        num_experts=3,
        dropout_ratio=0.,
        average_clips='prob')
    head = MODELS.build({**cfg, **overrides})
    head.init_weights()
    return head.eval()


def test_each_expert_has_its_own_classifier():
    head = build_head()
    expert_outputs = torch.randn(2, 3, 8)
    logits = head(expert_outputs)
    assert logits.shape == (2, 3, 4)
    for index in range(3):
        torch.testing.assert_close(
            logits[:, index], head.classifiers[index](expert_outputs[:,
                                                                     index]))


def test_loss_is_mean_of_expert_losses():
    head = build_head()
    expert_outputs = torch.randn(2, 3, 8)
    labels = torch.tensor([1, 3])
    losses = head.loss(
        expert_outputs,
        [ActionDataSample().set_gt_label(int(i)) for i in labels])
    assert set(losses) == {'loss_cls', 'top1_acc', 'top5_acc'}
    logits = head(expert_outputs)
    expected = torch.stack(
        [F.cross_entropy(logits[:, n], labels) for n in range(3)]).mean()
    torch.testing.assert_close(losses['loss_cls'], expected)


@pytest.mark.parametrize('average_clips', ['prob', 'score'])
def test_predict_averages_experts_and_clips(average_clips):
    head = build_head(average_clips=average_clips)
    expert_outputs = torch.randn(2 * 2, 3, 8)  # 2 samples x 2 clips
    logits = head(expert_outputs).view(2, 2 * 3, 4)
    predictions = head.predict(
        expert_outputs, [ActionDataSample().set_gt_label(0) for _ in range(2)])
    for index, prediction in enumerate(predictions):
        scores = logits[index]
        if average_clips == 'prob':
            scores = F.softmax(scores, dim=1)
        torch.testing.assert_close(prediction.pred_score, scores.mean(0))
