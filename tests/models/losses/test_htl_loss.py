import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS

import mome_mmaction  # noqa: F401
from mome_mmaction.models.losses import HTLLoss
from mome_mmaction.models.losses.token_distributions import \
    softmax_kl_divergence


def make_tokens(num_experts,
                num_blocks,
                batch_size=2,
                num_st=6,
                channels=8,
                dtype=torch.float32,
                requires_grad=False,
                seed=0):
    generator = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(*shape, generator=generator).to(dtype)\
            .requires_grad_(requires_grad)

    block_cls = [[randn(batch_size, channels) for _ in range(num_blocks)]
                 for _ in range(num_experts)]
    block_st = [[
        randn(batch_size, num_st, channels) for _ in range(num_blocks)
    ] for _ in range(num_experts)]
    expert_outputs = randn(batch_size, num_experts, channels)
    return block_cls, block_st, expert_outputs


def reference_kl(teacher, student):
    """KL(softmax(teacher) || softmax(student)) of one sample, by the book."""
    p = torch.exp(teacher.flatten().double())
    p = p / p.sum()
    q = torch.exp(student.flatten().double())
    q = q / q.sum()
    return sum(p[i] * (torch.log(p[i]) - torch.log(q[i]))
               for i in range(p.numel()))


def reference_htl(block_cls,
                  block_st,
                  expert_outputs,
                  block_weights,
                  inter_reduction='mean',
                  intra_cls_teacher='expert_output'):
    """The formulas of SYSTEM.md section 2, loop by loop."""
    num_experts, num_blocks = len(block_cls), len(block_cls[0])
    batch_size, _, channels = expert_outputs.shape
    intra = 0.
    for n in range(num_experts):
        teacher_cls = (
            block_cls[n][-1]
            if intra_cls_teacher == 'last_block' else expert_outputs[:, n])
        for layer in range(num_blocks - 1):
            kl_cls = sum(
                reference_kl(teacher_cls[b], block_cls[n][layer][b])
                for b in range(batch_size)) / batch_size
            kl_st = sum(
                reference_kl(block_st[n][-1][b], block_st[n][layer][b])
                for b in range(batch_size)) / batch_size
            intra = intra + block_weights[layer] * (kl_cls + kl_st)
    intra = intra / (num_experts * (num_blocks - 1))
    inter = 0.
    for b in range(batch_size):
        for n in range(num_experts):
            for k in range(num_experts):
                if k != n:
                    diff = expert_outputs[b, n].double() - \
                        expert_outputs[b, k].double()
                    inter = inter + (diff * diff).sum()
    if inter_reduction == 'mean':
        inter = inter / channels
    if num_experts > 1:
        inter = inter / (num_experts * (num_experts - 1)) / batch_size
    return intra, inter


def build_htl(**kwargs):
    cfg = dict(type='HTLLoss', num_blocks=4, alpha=0.01, beta=1.0)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_keys_and_initial_block_weights():
    htl = build_htl()
    assert isinstance(htl, HTLLoss) and htl.requires_st_tokens
    assert torch.equal(htl.block_weights, torch.ones(3))
    losses = htl(*make_tokens(3, 4))
    assert list(losses) == [
        'loss_htl_intra', 'loss_htl_inter', 'htl_block_weight_1',
        'htl_block_weight_2', 'htl_block_weight_3'
    ]
    for value in losses.values():
        assert isinstance(value, torch.Tensor) and value.shape == ()
        assert value.dtype == torch.float32
    assert not losses['htl_block_weight_1'].requires_grad


def test_identical_block_tokens_give_zero_intra():
    block_cls, block_st, expert_outputs = make_tokens(3, 4)
    block_cls = [[blocks[-1].clone() for _ in blocks] for blocks in block_cls]
    block_st = [[blocks[-1].clone() for _ in blocks] for blocks in block_st]
    losses = build_htl(intra_cls_teacher='last_block')(block_cls, block_st,
                                                       expert_outputs)
    assert losses['loss_htl_intra'].item() == 0.
    assert losses['loss_htl_inter'].item() > 0.


def test_identical_experts_give_zero_inter():
    block_cls, block_st, expert_outputs = make_tokens(3, 4)
    expert_outputs = expert_outputs[:, :1].expand(-1, 3, -1)
    losses = build_htl()(block_cls, block_st, expert_outputs)
    assert losses['loss_htl_inter'].item() == 0.
    assert losses['loss_htl_intra'].item() > 0.


@pytest.mark.parametrize('intra_cls_teacher', ['last_block', 'expert_output'])
@pytest.mark.parametrize('inter_reduction', ['mean', 'sum'])
@pytest.mark.parametrize('non_uniform', [False, True])
def test_matches_loop_by_loop_formulas(non_uniform, inter_reduction,
                                       intra_cls_teacher):
    htl = build_htl(
        num_blocks=3,
        alpha=0.3,
        beta=0.7,
        inter_reduction=inter_reduction,
        intra_cls_teacher=intra_cls_teacher)
    if non_uniform:
        with torch.no_grad():
            htl.block_weight_logits.copy_(torch.tensor([0.9, -0.4]))
    weights = htl.block_weights.detach()
    # w = (L-1) * softmax(theta)
    expected = 2 * torch.softmax(torch.tensor([0.9, -0.4]), 0) \
        if non_uniform else torch.ones(2)
    torch.testing.assert_close(weights, expected)
    tokens = make_tokens(3, 3, batch_size=2, num_st=3, channels=4, seed=1)
    losses = htl(*tokens)
    intra, inter = reference_htl(*tokens, weights.double(), inter_reduction,
                                 intra_cls_teacher)
    torch.testing.assert_close(
        losses['loss_htl_intra'].double(), 0.3 * intra, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(
        losses['loss_htl_inter'].double(), 0.7 * inter, rtol=1e-5, atol=1e-7)


def test_inter_reductions_by_hand():
    """Two experts, C = 4, one sample: a - b = (1, 2, 0, -2), so
    ||a - b||^2 = 9 (sum) and 9 / 4 (mean, the MSE); both ordered pairs
    count, divided by N (N-1) = 2."""
    block_cls, block_st, _ = make_tokens(2, 2, batch_size=1, channels=4)
    expert_outputs = torch.tensor([[[1., 2., 3., 4.], [0., 0., 3., 6.]]])
    for reduction, expected in (('sum', 9.), ('mean', 2.25)):
        losses = build_htl(
            num_blocks=2, beta=1.,
            inter_reduction=reduction)(block_cls, block_st, expert_outputs)
        torch.testing.assert_close(losses['loss_htl_inter'],
                                   torch.tensor(expected))


def test_expert_output_teacher_is_the_expert_output():
    """With intra_cls_teacher='expert_output' (the default), student class
    tokens equal to the expert's output (and ST tokens to the deepest
    block's) give 0; the deepest block's class token no longer matters."""
    block_cls, block_st, expert_outputs = make_tokens(2, 3)
    block_cls = [[expert_outputs[:, n].clone()
                  for _ in range(2)] + [torch.randn(2, 8)] for n in range(2)]
    block_st = [[blocks[-1].clone() for _ in blocks] for blocks in block_st]
    htl = build_htl(num_blocks=3)
    assert htl.intra_cls_teacher == 'expert_output'
    losses = htl(block_cls, block_st, expert_outputs)
    assert losses['loss_htl_intra'].item() == 0.
    assert build_htl(
        num_blocks=3,
        intra_cls_teacher='last_block')(block_cls, block_st,
                                        expert_outputs)['loss_htl_intra'] > 0


def test_expert_output_teacher_detached_by_default():
    block_cls, block_st, expert_outputs = make_tokens(2, 3, requires_grad=True)
    htl = build_htl(num_blocks=3, intra_cls_teacher='expert_output')
    htl(block_cls, block_st, expert_outputs)['loss_htl_intra'].backward()
    assert expert_outputs.grad is None
    assert block_cls[0][-1].grad is None  # the last block teaches ST only
    assert block_cls[0][0].grad.abs().sum() > 0


def test_expert_output_teacher_needs_the_block_width():
    block_cls, block_st, expert_outputs = make_tokens(2, 3)
    with pytest.raises(ValueError, match="'last_block' for a backbone"):
        build_htl(num_blocks=3)(block_cls, block_st,
                                torch.cat([expert_outputs] * 2, dim=2))


def test_fixed_block_weights():
    htl = build_htl(num_blocks=4, block_weights='fixed')
    assert htl.block_weight_logits is None
    assert list(htl.parameters()) == []
    tokens = make_tokens(2, 4, seed=7)
    losses = htl(*tokens)
    torch.testing.assert_close(
        losses['loss_htl_intra'],
        build_htl(num_blocks=4)(*tokens)['loss_htl_intra'])
    assert losses['htl_block_weight_2'].item() == 1.


def test_unknown_options():
    for key, value in (('inter_reduction', 'max'),
                       ('intra_cls_teacher', 'first_block'), ('block_weights',
                                                              'frozen')):
        with pytest.raises(ValueError, match=f'{key} must be one of'):
            build_htl(**{key: value})


def test_one_expert_is_intra_only():
    htl = build_htl(num_blocks=3)
    tokens = make_tokens(1, 3, seed=2)
    losses = htl(*tokens)
    assert list(losses) == [
        'loss_htl_intra', 'htl_block_weight_1', 'htl_block_weight_2'
    ]
    intra, _ = reference_htl(*tokens, torch.ones(2, dtype=torch.float64))
    torch.testing.assert_close(
        losses['loss_htl_intra'].double(), 0.01 * intra, rtol=1e-5, atol=1e-9)


def test_teacher_detached_by_default():
    block_cls, block_st, expert_outputs = make_tokens(2, 3, requires_grad=True)
    losses = build_htl(num_blocks=3)(block_cls, block_st, expert_outputs)
    losses['loss_htl_intra'].backward()
    for n in range(2):
        assert block_cls[n][-1].grad is None
        assert block_st[n][-1].grad is None
        for layer in range(2):
            assert block_cls[n][layer].grad.abs().sum() > 0
            assert block_st[n][layer].grad.abs().sum() > 0


def test_teacher_gradients_when_not_detached_match_autograd():
    """Fused KL gradients equal plain log_softmax autograd, teacher too."""
    tokens = make_tokens(2, 3, requires_grad=True, seed=3)
    losses = build_htl(
        num_blocks=3, detach_teacher=False,
        intra_cls_teacher='last_block')(*tokens)
    (losses['loss_htl_intra'] + losses['loss_htl_inter']).backward()
    reference_tokens = make_tokens(2, 3, requires_grad=True, seed=3)
    block_cls, block_st, expert_outputs = reference_tokens
    intra = 0.
    for n in range(2):
        for layer in range(2):
            for blocks in (block_cls, block_st):
                teacher = torch.log_softmax(blocks[n][-1].flatten(1), 1)
                student = torch.log_softmax(blocks[n][layer].flatten(1), 1)
                intra = intra + torch.nn.functional.kl_div(
                    student, teacher, log_target=True, reduction='batchmean')
    inter = (expert_outputs[:, 0] - expert_outputs[:, 1]).pow(2).mean()
    (0.01 * intra / 4 + inter).backward()
    for fused, plain in zip(tokens[:2], reference_tokens[:2]):
        for fused_blocks, plain_blocks in zip(fused, plain):
            for fused_tensor, plain_tensor in zip(fused_blocks, plain_blocks):
                assert fused_tensor.grad.abs().sum() > 0
                torch.testing.assert_close(fused_tensor.grad,
                                           plain_tensor.grad)
    torch.testing.assert_close(tokens[2].grad, reference_tokens[2].grad)


def test_fused_kl_gradcheck():
    generator = torch.Generator().manual_seed(4)
    student = torch.randn(
        3, 4, 5, generator=generator, dtype=torch.float64).requires_grad_()
    teacher = torch.randn(
        3, 4, 5, generator=generator, dtype=torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(softmax_kl_divergence, (student, teacher))


def test_strided_st_tokens_match_contiguous():
    """A permuted view (no copy) gives the same value and gradients."""
    block_cls, block_st, expert_outputs = make_tokens(2, 3, num_st=6)
    base = [[torch.randn(6, 2, 8).requires_grad_() for _ in range(3)]
            for _ in range(2)]  # (M, B, C), like the backbone's LND tokens
    strided = [[tokens.permute(1, 0, 2) for tokens in blocks]
               for blocks in base]
    contiguous = [[
        tokens.detach().permute(1, 0, 2).contiguous().requires_grad_()
        for tokens in blocks
    ] for blocks in base]
    htl = build_htl(num_blocks=3)
    strided_loss = htl(block_cls, strided, expert_outputs)['loss_htl_intra']
    contiguous_loss = htl(block_cls, contiguous,
                          expert_outputs)['loss_htl_intra']
    torch.testing.assert_close(strided_loss, contiguous_loss)
    strided_loss.backward()
    contiguous_loss.backward()
    torch.testing.assert_close(base[0][0].grad,
                               contiguous[0][0].grad.permute(1, 0, 2))


def test_block_weights_stay_positive_and_normalized():
    htl = build_htl(num_blocks=4)
    optimizer = torch.optim.SGD(htl.parameters(), lr=1000.)
    for step in range(20):
        tokens = make_tokens(2, 4, seed=step)
        optimizer.zero_grad()
        htl(*tokens)['loss_htl_intra'].backward()
        optimizer.step()
    weights = htl.block_weights.detach()
    assert torch.isfinite(weights).all() and (weights > 0).all()
    torch.testing.assert_close(weights.sum(), torch.tensor(3.))
    losses = htl(*make_tokens(2, 4))
    torch.testing.assert_close(
        torch.stack(
            [losses[f'htl_block_weight_{layer}'] for layer in (1, 2, 3)]),
        weights)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_half_precision_tokens(dtype):
    tokens = make_tokens(
        3, 3, num_st=16, channels=32, dtype=dtype, requires_grad=True, seed=5)
    htl = build_htl(num_blocks=3)
    losses = htl(*tokens)
    tokens32 = [[[t.detach().float() for t in blocks] for blocks in part]
                for part in tokens[:2]] + [tokens[2].detach().float()]
    losses32 = htl(*tokens32)
    for key in ('loss_htl_intra', 'loss_htl_inter'):
        assert losses[key].dtype == torch.float32
        assert torch.isfinite(losses[key])
        torch.testing.assert_close(
            losses[key], losses32[key], rtol=1e-4, atol=1e-6)
    (losses['loss_htl_intra'] + losses['loss_htl_inter']).backward()
    grad = tokens[1][0][0].grad
    assert grad.dtype == dtype and torch.isfinite(grad).all()


def test_large_logits_are_stable():
    block_cls, block_st, expert_outputs = make_tokens(2, 3, seed=6)
    block_cls = [[1e4 * t for t in blocks] for blocks in block_cls]
    block_st = [[1e4 * t for t in blocks] for blocks in block_st]
    losses = build_htl(num_blocks=3)(block_cls, block_st, expert_outputs)
    assert torch.isfinite(losses['loss_htl_intra'])
    assert losses['loss_htl_intra'] > 0


def test_bad_inputs_raise_clear_errors():
    htl = build_htl(num_blocks=3)
    block_cls, block_st, expert_outputs = make_tokens(2, 3)
    with pytest.raises(
            ValueError, match=r'block_cls_tokens\[1\].*num_blocks=3'):
        htl([block_cls[0], block_cls[1][:2]], block_st, expert_outputs)
    with pytest.raises(ValueError, match='block_st_tokens has 1 experts'):
        htl(block_cls, block_st[:1], expert_outputs)
    with pytest.raises(
            ValueError, match=r'block_st_tokens\[0\]\[0\] has shape'):
        bad = [[torch.randn(2, 5, 8)] + blocks[1:] for blocks in block_st]
        htl(block_cls, bad, expert_outputs)
    with pytest.raises(ValueError, match='requires_st_tokens=True'):
        htl(block_cls, None, expert_outputs)
    with pytest.raises(
            ValueError, match=r'expert_outputs must be .*\(B, N, C\)'):
        htl(block_cls, block_st, expert_outputs[:, 0])
    with pytest.raises(ValueError, match='num_blocks >= 2'):
        build_htl(num_blocks=1)


def saved_bytes_beyond(inputs, compute):
    """Bytes autograd saves for backward outside the storages of inputs."""
    input_storages = {t.untyped_storage().data_ptr() for t in inputs}
    saved = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in input_storages:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        compute()
    return sum(saved.values())


def test_no_per_pair_copies_are_kept_for_backward():
    """Only the teachers' probabilities (one per expert and kind) are kept."""
    num_experts, num_blocks, batch_size, num_st, channels = 2, 6, 2, 64, 32
    block_cls, block_st, expert_outputs = make_tokens(
        num_experts,
        num_blocks,
        batch_size,
        num_st,
        channels,
        requires_grad=True)
    inputs = [
        t for part in (block_cls, block_st) for blocks in part for t in blocks
    ] + [expert_outputs]
    htl = build_htl(num_blocks=num_blocks)
    saved = saved_bytes_beyond(
        inputs, lambda: htl(block_cls, block_st, expert_outputs))
    teacher_probs = num_experts * batch_size * (num_st + 1) * channels * 4
    st_tokens_per_block = batch_size * num_st * channels * 4
    # Small per-sample scalars and the (B, N, N, C) expert differences aside.
    assert teacher_probs <= saved < teacher_probs + st_tokens_per_block


def test_learned_block_weights_favour_the_blocks_closest_to_the_teacher():
    """Minimizing sum_l w_l D_l under w = (L-1) softmax(theta) moves weight
    to the student blocks with the smallest divergence D_l from the
    teacher: here block 0 is a near copy of the deepest block, block 1 a
    noisy one, so w_0 rises above 1 and w_1 falls below."""
    generator = torch.Generator().manual_seed(0)
    teacher_cls = torch.randn(2, 4, 8, generator=generator)
    teacher_st = torch.randn(2, 4, 6, 8, generator=generator)

    def student(teacher, noise):
        return teacher + noise * torch.randn(
            teacher.shape, generator=generator)

    block_cls = [[
        student(teacher_cls[n], 0.1),
        student(teacher_cls[n], 2.), teacher_cls[n]
    ] for n in range(2)]
    block_st = [[
        student(teacher_st[n], 0.1),
        student(teacher_st[n], 2.), teacher_st[n]
    ] for n in range(2)]
    expert_outputs = teacher_cls.transpose(0, 1)
    htl = build_htl(num_blocks=3)
    divergences = htl.intra_block_divergences(block_cls, block_st,
                                              expert_outputs).mean(0)
    assert divergences[0] < divergences[1]
    optimizer = torch.optim.SGD(htl.parameters(), lr=10.)
    for _ in range(5):
        optimizer.zero_grad()
        htl(block_cls, block_st, expert_outputs)['loss_htl_intra'].backward()
        optimizer.step()
    weights = htl.block_weights.detach()
    assert weights[0] > 1 > weights[1]
    torch.testing.assert_close(weights.sum(), torch.tensor(2.))


def test_softmax_kl_makes_no_subnormal_numbers():
    """Over ~1M ST-token entries with a wide spread most probabilities fall
    below float32's normal range; x86 CPUs are ~100x slower on such
    subnormal numbers, so they are flushed to exact zeros (1e-30 and below)
    while the KL and its gradients stay as they were."""
    from mome_mmaction.models.losses.token_distributions import (
        softmax_kl_divergence, teacher_distribution)
    generator = torch.Generator().manual_seed(0)
    teacher = 30 * torch.randn(2, 64, 256, generator=generator)
    student = (
        teacher +
        5 * torch.randn(2, 64, 256, generator=generator)).requires_grad_()
    tiny = torch.finfo(torch.float32).tiny

    def subnormal(tensor):
        return int(((tensor != 0) & (tensor.abs() < tiny)).sum())

    assert subnormal(teacher_distribution(teacher).probs) == 0
    kl = softmax_kl_divergence(student, teacher)
    (1e-3 * kl.sum()).backward()
    assert subnormal(student.grad) == 0
    reference = F.kl_div(
        F.log_softmax(student.detach().double().flatten(1), 1),
        F.log_softmax(teacher.double().flatten(1), 1),
        log_target=True,
        reduction='none').sum(1)
    torch.testing.assert_close(kl.double(), reference, rtol=1e-4, atol=1e-4)


def test_beta_warmup_ramps_inter_from_zero_over_its_passes():
    """beta * s / 4 at training pass s = 0..3, then beta; a buffer counts the
    passes (so --resume continues the ramp); evaluation uses beta."""
    tokens = make_tokens(3, 4)
    full = build_htl(beta=2.)(*tokens)['loss_htl_inter']
    htl = build_htl(beta=2., beta_warmup_iters=4).train()
    for step, fraction in enumerate([0., 0.25, 0.5, 0.75, 1., 1.]):
        losses = htl(*tokens)
        torch.testing.assert_close(losses['loss_htl_inter'], fraction * full)
        assert losses['htl_inter_beta'].item() == 2. * fraction
        assert int(htl.beta_warmup_steps) == step + 1
    assert 'beta_warmup_steps' in htl.state_dict()
    fresh = build_htl(beta=2., beta_warmup_iters=4).train()
    assert fresh(*tokens)['loss_htl_inter'].item() == 0.
    torch.testing.assert_close(fresh.eval()(*tokens)['loss_htl_inter'], full)
    assert 'htl_inter_beta' not in build_htl()(*tokens)


def test_inter_batch_standardize_by_hand():
    """Two experts, B = 2, C = 2. Standardized per channel over the batch:
    a = ((1, 0), (3, 4)) -> ((-1, -1), (1, 1)); b = ((5, 2), (1, 2)) ->
    ((1, 0), (-1, 0)) (a constant channel gives 0). Each sample's squared
    difference is 4 + 1 over C = 2, so 2.5; both ordered pairs, / N (N-1)."""
    block_cls, block_st, _ = make_tokens(2, 2, batch_size=2, channels=2)
    expert_outputs = torch.tensor([[[1., 0.], [5., 2.]], [[3., 4.], [1., 2.]]])
    htl = build_htl(num_blocks=2, inter_batch_standardize=True)
    torch.testing.assert_close(
        htl(block_cls, block_st, expert_outputs)['loss_htl_inter'],
        torch.tensor(2.5),
        rtol=1e-4,
        atol=0.)


def test_inter_batch_standardize_ignores_each_channels_scale_and_offset():
    """The plain MSE falls as the experts' tokens shrink towards one vector;
    the standardized one does not change."""
    block_cls, block_st, expert_outputs = make_tokens(
        3, 2, batch_size=6, channels=4)
    shrunk = 0.1 * expert_outputs + torch.tensor([2., -1., 0.5, 3.])
    plain, standardized = build_htl(num_blocks=2), build_htl(
        num_blocks=2, inter_batch_standardize=True)
    assert plain(block_cls, block_st, shrunk)['loss_htl_inter'] < 0.011 * \
        plain(block_cls, block_st, expert_outputs)['loss_htl_inter']
    torch.testing.assert_close(
        standardized(block_cls, block_st, shrunk)['loss_htl_inter'],
        standardized(block_cls, block_st, expert_outputs)['loss_htl_inter'],
        rtol=1e-2,  # the eps in the variance
        atol=0.)


def test_inter_batch_standardize_needs_two_clips():
    block_cls, block_st, expert_outputs = make_tokens(2, 2, batch_size=1)
    with pytest.raises(ValueError, match=r'2 or more clips.*\(1, 2, '):
        build_htl(
            num_blocks=2, inter_batch_standardize=True)(block_cls, block_st,
                                                        expert_outputs)


def prediction_htl(**kwargs):
    return HTLLoss(
        num_blocks=2, alpha=0., inter_target='predictions', **kwargs)


def test_inter_on_predictions_by_hand():
    # p_0 = softmax(0, 0) = (1/2, 1/2), p_1 = softmax(ln 3, 0) = (3/4, 1/4):
    # KL(p_1 || p_0) = 3/4 ln(3/2) + 1/4 ln(1/2), KL(p_0 || p_1) = 1/2 ln(4/3)
    # L_inter = (KL(p_1 || p_0) + KL(p_0 || p_1)) / 2.
    block_cls, block_st, expert_outputs = make_tokens(2, 2, batch_size=1)
    logits = torch.tensor([[[0., 0.], [float(torch.log(torch.tensor(3.))), 0.]]
                           ],
                          requires_grad=True)
    losses = prediction_htl()(
        block_cls, block_st, expert_outputs, expert_logits=logits)
    expected = (0.75 * torch.log(torch.tensor(1.5)) +
                0.25 * torch.log(torch.tensor(0.5)) +
                0.5 * torch.log(torch.tensor(4 / 3))) / 2
    torch.testing.assert_close(losses['loss_htl_inter'], expected)
    # Teachers detached: d KL(p_k || p_n) / d logits_n = (p_n - p_k), / 2
    # for the pair count.
    losses['loss_htl_inter'].backward()
    torch.testing.assert_close(
        logits.grad, torch.tensor([[[-0.125, 0.125], [0.125, -0.125]]]))


def test_inter_on_predictions_ignores_the_tokens():
    block_cls, block_st, expert_outputs = make_tokens(3, 2)
    agreeing = torch.randn(2, 1, 5).expand(2, 3, 5)
    losses = prediction_htl()(
        block_cls, block_st, expert_outputs, expert_logits=agreeing)
    torch.testing.assert_close(losses['loss_htl_inter'], torch.tensor(0.))


def test_inter_on_predictions_needs_expert_logits():
    block_cls, block_st, expert_outputs = make_tokens(3, 2)
    loss = prediction_htl()
    assert loss.requires_expert_logits
    assert not HTLLoss(num_blocks=2).requires_expert_logits
    with pytest.raises(
            ValueError,
            match=r'needs expert_logits of shape '
            r'\(2, 3, K\).*got None'):
        loss(block_cls, block_st, expert_outputs)
    with pytest.raises(ValueError, match=r'got \(2, 2, 5\)'):
        loss(
            block_cls,
            block_st,
            expert_outputs,
            expert_logits=torch.zeros(2, 2, 5))
    with pytest.raises(
            ValueError,
            match='inter_batch_standardize and '
            'inter_reduction apply to'):
        prediction_htl(inter_batch_standardize=True)
    with pytest.raises(ValueError, match='inter_target must be one of'):
        HTLLoss(num_blocks=2, inter_target='logits')
