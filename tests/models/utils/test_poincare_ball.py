import math
import pytest
import torch

from mome_mmaction.models.utils.poincare_ball import (BOUNDARY_EPS, distance,
                                                      expmap0, gyromidpoint,
                                                      logmap0, mobius_add,
                                                      mobius_scalar_mul,
                                                      pairwise_distance,
                                                      project)


@pytest.mark.parametrize('c', [0.25, 1., 3.])
def test_exponential_and_logarithmic_maps_invert_each_other(c):
    generator = torch.Generator().manual_seed(0)
    # moderate norms: artanh of points near the boundary loses float32 digits
    tangent = torch.randn(6, 5, generator=generator) / 2
    torch.testing.assert_close(logmap0(expmap0(tangent, c), c), tangent)
    # points well inside the ball of radius 1 / sqrt(c)
    points = project(torch.randn(6, 5, generator=generator), 1.) * .9 / \
        math.sqrt(c)
    torch.testing.assert_close(expmap0(logmap0(points, c), c), points)


def test_maps_against_hand_values():
    # c = 1: expmap0((1, 0)) = (tanh 1, 0); logmap0((.5, 0)) = (artanh .5, 0)
    torch.testing.assert_close(
        expmap0(torch.tensor([1., 0.]), 1.), torch.tensor([math.tanh(1.), 0.]))
    torch.testing.assert_close(
        logmap0(torch.tensor([.5, 0.]), 1.), torch.tensor([math.atanh(.5),
                                                           0.]))
    # c = 4 (radius 1/2): expmap0((1, 0)) = (tanh(2) / 2, 0)
    torch.testing.assert_close(
        expmap0(torch.tensor([1., 0.]), 4.),
        torch.tensor([math.tanh(2.) / 2, 0.]))
    # the origin maps to the origin, with finite gradients
    zero = torch.zeros(3, requires_grad=True)
    logmap0(expmap0(zero, 1.), 1.).sum().backward()
    assert torch.isfinite(zero.grad).all()


def test_mobius_addition_against_hand_values():
    x, y = torch.tensor([.5, 0.]), torch.tensor([0., .5])
    # <x,y> = 0, |x|^2 = |y|^2 = 1/4: ((1 + 1/4) x + (3/4) y) / (1 + 1/16)
    torch.testing.assert_close(
        mobius_add(x, y, 1.),
        torch.tensor([.625, .375]) / 1.0625)
    # collinear: relativistic velocity addition (.5 + .5) / (1 + .25) = .8
    torch.testing.assert_close(mobius_add(x, x, 1.), torch.tensor([.8, 0.]))
    # identity and inverse; not commutative in general
    torch.testing.assert_close(mobius_add(x, torch.zeros(2), 1.), x)
    torch.testing.assert_close(mobius_add(torch.zeros(2), y, 1.), y)
    torch.testing.assert_close(mobius_add(-x, x, 1.), torch.zeros(2))
    generator = torch.Generator().manual_seed(0)
    a, b = (torch.randn(2, 4, generator=generator) * .3).unbind()
    assert not torch.allclose(mobius_add(a, b, 1.), mobius_add(b, a, 1.))


def test_distance_against_hand_values():
    origin, x = torch.zeros(2), torch.tensor([.5, 0.])
    # 2 artanh(.5) = ln 3
    torch.testing.assert_close(
        distance(origin, x, 1.), torch.tensor(math.log(3.)))
    # (-x) (+) (-x) = (-.8, 0): 2 artanh(.8) = ln 9
    torch.testing.assert_close(distance(x, -x, 1.), torch.tensor(math.log(9.)))
    # c = 1/4 (radius 2): 2 / .5 * artanh(.5 * 1) = 2 ln 3
    torch.testing.assert_close(
        distance(origin, torch.tensor([1., 0.]), .25),
        torch.tensor(2 * math.log(3.)))
    torch.testing.assert_close(distance(x, x, 1.), torch.tensor(0.))


def test_pairwise_distance_equals_distance():
    generator = torch.Generator().manual_seed(0)
    x = expmap0(torch.randn(2, 5, 3, generator=generator), .7)
    y = expmap0(torch.randn(2, 4, 3, generator=generator), .7)
    torch.testing.assert_close(
        pairwise_distance(x, y, .7),
        distance(x.unsqueeze(2), y.unsqueeze(1), .7),
        atol=1e-5,
        rtol=1e-5)


def test_gyromidpoint_on_known_cases():
    x = torch.tensor([[[.3, -.4]]])  # (B, M, D) = (1, 1, 2)
    one = torch.ones(1, 1, 1)
    torch.testing.assert_close(gyromidpoint(x, one, 1.), x)  # own midpoint
    pair = torch.tensor([[[.6, 0.], [-.6, 0.]]])
    torch.testing.assert_close(
        gyromidpoint(pair, torch.full((1, 1, 2), .5), 1.),
        torch.zeros(1, 1, 2))
    # of the origin and y: the geodesic midpoint, 0.5 (x) y, halfway
    y = torch.tensor([.8, .1])
    origin_and_y = torch.stack([torch.zeros(2), y]).unsqueeze(0)
    midpoint = gyromidpoint(origin_and_y, torch.full((1, 1, 2), .5), 1.)[0, 0]
    torch.testing.assert_close(midpoint, mobius_scalar_mul(.5, y, 1.))
    torch.testing.assert_close(
        distance(torch.zeros(2), midpoint, 1.),
        distance(torch.zeros(2), y, 1.) / 2)
    torch.testing.assert_close(
        distance(midpoint, y, 1.),
        distance(torch.zeros(2), y, 1.) / 2,
        atol=1e-4,
        rtol=1e-4)


@pytest.mark.parametrize('dtype',
                         [torch.float32, torch.bfloat16, torch.float16])
def test_no_nan_at_the_boundary(dtype):
    """Huge tangent vectors, points on or outside the boundary, two
    boundary points added: finite values and gradients, inside the ball."""
    c = torch.tensor(2., requires_grad=True)
    huge = (torch.randn(4, 8) * 1e4).to(dtype).requires_grad_()
    on_boundary = (torch.nn.functional.normalize(torch.randn(4, 8), dim=-1) /
                   math.sqrt(2.)).to(dtype).requires_grad_()
    points = expmap0(huge, c)
    assert points.dtype == dtype
    assert (points.float().norm(dim=-1) <= 1 / math.sqrt(2.)).all()
    values = [
        logmap0(points, c),
        logmap0(on_boundary, c),
        mobius_add(points, on_boundary, c),
        distance(points, -on_boundary, c),
        pairwise_distance(points.unsqueeze(0), on_boundary.unsqueeze(0), c),
        gyromidpoint(on_boundary.unsqueeze(0), torch.full((1, 4, 4), .25), c),
    ]
    for value in values:
        assert torch.isfinite(value.float()).all()
    sum(value.float().sum() for value in values).backward()
    for tensor in (huge, on_boundary, c):
        assert torch.isfinite(tensor.grad.float()).all()


def test_matrix_products_stay_float32_under_autocast():
    x = expmap0(torch.randn(1, 3, 4), 1.)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        distances = pairwise_distance(x, x, 1.)
        midpoints = gyromidpoint(x, torch.full((1, 3, 3), 1 / 3), 1.)
    assert distances.dtype == midpoints.dtype == torch.float32
    torch.testing.assert_close(distances, pairwise_distance(x, x, 1.))
    assert (distances.diagonal(dim1=1, dim2=2).abs() < 1e-3).all()


def test_project_keeps_points_strictly_inside():
    outside = torch.tensor([[3., 4.]])  # norm 5
    projected = project(outside, 1.)
    torch.testing.assert_close(
        projected.norm(dim=-1), torch.tensor([1 - BOUNDARY_EPS]))
    inside = torch.tensor([[.3, .4]])
    torch.testing.assert_close(project(inside, 1.), inside)
