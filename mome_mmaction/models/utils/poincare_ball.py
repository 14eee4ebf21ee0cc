"""Operations of the Poincare ball of curvature -c (c > 0).

The ball is {x : c ||x||^2 < 1}; the tangent space at the origin is the
Euclidean space the heads' tokens live in. Formulas (Ganea et al., 2018,
"Hyperbolic Neural Networks"; Ungar's gyrovector spaces)::

    expmap0(v)   = tanh(sqrt(c) |v|) v / (sqrt(c) |v|)
    logmap0(y)   = artanh(sqrt(c) |y|) y / (sqrt(c) |y|)
    x (+) y      = ((1 + 2c<x,y> + c|y|^2) x + (1 - c|x|^2) y)
                   / (1 + 2c<x,y> + c^2 |x|^2 |y|^2)       (Mobius addition)
    r (x) y      = tanh(r artanh(sqrt(c) |y|)) y / (sqrt(c) |y|)
    d(x, y)      = 2 / sqrt(c) * artanh(sqrt(c) |(-x) (+) y|)

Numerical safety: every function computes in float32 (also under fp16 /
bf16 autocast, which is off for their matrix products, or for half inputs)
and returns the input's dtype (distances and midpoints: float32); norms are
clamped away from 0 (the maps are smooth there, the formulas divide by the
norm) and points are kept strictly inside the ball, at most
``1 - BOUNDARY_EPS`` of its radius, so artanh stays finite and so do the
gradients, even for inputs of huge norm or exactly on the boundary.
"""
import torch
from typing import Union

#: Points stay within (1 - BOUNDARY_EPS) / sqrt(c) of the origin (in float32;
#: a half-precision result keeps 2 machine epsilons of its dtype, so that
#: rounding cannot put it on the boundary).
BOUNDARY_EPS = 1e-5
#: Norms below this are taken as this (the maps divide by the norm).
MIN_NORM = 1e-15

Curvature = Union[float, torch.Tensor]


def _float32(*tensors: torch.Tensor):
    return [tensor.float() for tensor in tensors]


def _sqrt_c(c: Curvature, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(c, dtype=torch.float32, device=like.device).sqrt()


def _norm(x: torch.Tensor) -> torch.Tensor:
    return x.norm(dim=-1, keepdim=True).clamp_min(MIN_NORM)


def _artanh(x: torch.Tensor) -> torch.Tensor:
    # (log1p(x) - log1p(-x)) / 2: torch's ONNX exporter has no aten::atanh
    x = x.clamp(-1 + BOUNDARY_EPS, 1 - BOUNDARY_EPS)
    return 0.5 * (torch.log1p(x) - torch.log1p(-x))


def _inside(x: torch.Tensor, c: Curvature, dtype: torch.dtype) -> torch.Tensor:
    """float32 points pulled strictly inside the ball, with a margin that
    survives the cast to ``dtype``; returned in ``dtype``."""
    eps = max(BOUNDARY_EPS, 2 * torch.finfo(dtype).eps)
    max_norm = (1 - eps) / _sqrt_c(c, x)
    norm = _norm(x)
    return torch.where(norm > max_norm, x / norm * max_norm, x).to(dtype)


def project(x: torch.Tensor, c: Curvature) -> torch.Tensor:
    """Pull points onto the ball of radius (1 - BOUNDARY_EPS) / sqrt(c)
    (a larger margin for half-precision ``x``, see ``BOUNDARY_EPS``).

    Args:
        x (torch.Tensor): (..., D).
        c (float | torch.Tensor): Curvature magnitude c > 0 (scalar).

    Returns:
        torch.Tensor: (..., D), x where it is inside that radius.
    """
    return _inside(x.float(), c, x.dtype)


def expmap0(v: torch.Tensor, c: Curvature) -> torch.Tensor:
    """Exponential map at the origin: tangent vectors -> the ball.

    Args:
        v (torch.Tensor): (..., D) tangent vectors.
        c (float | torch.Tensor): Curvature magnitude c > 0.

    Returns:
        torch.Tensor: (..., D) points of the ball.
    """
    dtype = v.dtype
    (v, ) = _float32(v)
    sqrt_c = _sqrt_c(c, v)
    norm = _norm(v)
    return _inside(torch.tanh(sqrt_c * norm) * v / (sqrt_c * norm), c, dtype)


def logmap0(y: torch.Tensor, c: Curvature) -> torch.Tensor:
    """Logarithmic map at the origin: the ball -> tangent vectors (the
    inverse of :func:`expmap0`).

    Args:
        y (torch.Tensor): (..., D) points of the ball.
        c (float | torch.Tensor): Curvature magnitude c > 0.

    Returns:
        torch.Tensor: (..., D) tangent vectors.
    """
    dtype = y.dtype
    (y, ) = _float32(y)
    sqrt_c = _sqrt_c(c, y)
    norm = _norm(y)
    return (_artanh(sqrt_c * norm) * y / (sqrt_c * norm)).to(dtype)


def mobius_add(x: torch.Tensor, y: torch.Tensor, c: Curvature) -> torch.Tensor:
    """Mobius addition x (+) y (not commutative; 0 is its identity).

    Args:
        x (torch.Tensor): (..., D) points of the ball.
        y (torch.Tensor): (..., D) points, broadcastable with ``x``.
        c (float | torch.Tensor): Curvature magnitude c > 0.

    Returns:
        torch.Tensor: (..., D) points of the ball.
    """
    dtype = torch.promote_types(x.dtype, y.dtype)
    x, y = _float32(x, y)
    c = torch.as_tensor(c, dtype=torch.float32, device=x.device)
    xy = (x * y).sum(dim=-1, keepdim=True)
    x2 = (x * x).sum(dim=-1, keepdim=True)
    y2 = (y * y).sum(dim=-1, keepdim=True)
    numerator = (1 + 2 * c * xy + c * y2) * x + (1 - c * x2) * y
    denominator = (1 + 2 * c * xy + c**2 * x2 * y2).clamp_min(MIN_NORM)
    return _inside(numerator / denominator, c, dtype)


def mobius_scalar_mul(r: Union[float, torch.Tensor], y: torch.Tensor,
                      c: Curvature) -> torch.Tensor:
    """Mobius scalar multiplication r (x) y (moves y along its geodesic
    through the origin; 0.5 (x) y is the geodesic midpoint of 0 and y).

    Args:
        r (float | torch.Tensor): Scalar(s), broadcastable to (..., 1).
        y (torch.Tensor): (..., D) points of the ball.
        c (float | torch.Tensor): Curvature magnitude c > 0.

    Returns:
        torch.Tensor: (..., D) points of the ball.
    """
    dtype = y.dtype
    (y, ) = _float32(y)
    sqrt_c = _sqrt_c(c, y)
    norm = _norm(y)
    return _inside(
        torch.tanh(r * _artanh(sqrt_c * norm)) * y / (sqrt_c * norm), c, dtype)


def distance(x: torch.Tensor, y: torch.Tensor, c: Curvature) -> torch.Tensor:
    """Geodesic distance d(x, y) = 2 / sqrt(c) artanh(sqrt(c) |(-x) (+) y|).

    Args:
        x (torch.Tensor): (..., D) points of the ball.
        y (torch.Tensor): (..., D) points, broadcastable with ``x``.
        c (float | torch.Tensor): Curvature magnitude c > 0.

    Returns:
        torch.Tensor: (...) distances, float32.
    """
    x, y = _float32(x, y)
    sqrt_c = _sqrt_c(c, x)
    difference = mobius_add(-x, y, c).norm(dim=-1)
    return 2 / sqrt_c * _artanh(sqrt_c * difference)


def pairwise_distance(x: torch.Tensor, y: torch.Tensor,
                      c: Curvature) -> torch.Tensor:
    """Distances between every point of ``x`` and every point of ``y``.

    The same as :func:`distance` on (B, L, 1, D) and (B, 1, M, D), computed
    from the Gram matrix and the squared norms only (|(-x) (+) y|^2 has a
    closed form in <x, y>, |x|^2, |y|^2), so memory is O(L M), not O(L M D).

    Args:
        x (torch.Tensor): (B, L, D) points of the ball.
        y (torch.Tensor): (B, M, D) points of the ball.
        c (float | torch.Tensor): Curvature magnitude c > 0.

    Returns:
        torch.Tensor: (B, L, M) distances, float32.
    """
    x, y = _float32(x, y)
    c = torch.as_tensor(c, dtype=torch.float32, device=x.device)
    with torch.autocast(x.device.type, enabled=False):
        xy = -x @ y.transpose(-1, -2)  # <-x, y> (B, L, M)
    x2 = (x * x).sum(dim=-1).unsqueeze(-1)  # (B, L, 1)
    y2 = (y * y).sum(dim=-1).unsqueeze(-2)  # (B, 1, M)
    # (-x) (+) y = (a (-x) + b y) / den with:
    a = 1 + 2 * c * xy + c * y2
    b = 1 - c * x2
    denominator = (1 + 2 * c * xy + c**2 * x2 * y2).clamp_min(MIN_NORM)
    squared = (a * a * x2 + 2 * a * b * xy + b * b * y2).clamp_min(0)
    difference = (squared + MIN_NORM**2).sqrt() / denominator
    return 2 / c.sqrt() * _artanh(c.sqrt() * difference)


def gyromidpoint(points: torch.Tensor, weights: torch.Tensor,
                 c: Curvature) -> torch.Tensor:
    """Weighted gyromidpoint (Ungar) of points of the ball.

    ``m = 0.5 (x) (sum_j w_j lambda_j x_j / sum_j w_j (lambda_j - 1))`` with
    the conformal factor ``lambda_j = 2 / (1 - c |x_j|^2)``: the hyperbolic
    counterpart of a weighted mean (one point is its own midpoint; x and -x
    weighted equally have the origin as midpoint).

    Args:
        points (torch.Tensor): (B, M, D) points of the ball.
        weights (torch.Tensor): (B, L, M) non-negative weights, each row
            summing to a positive value (e.g. attention).
        c (float | torch.Tensor): Curvature magnitude c > 0.

    Returns:
        torch.Tensor: (B, L, D) midpoints, float32.
    """
    points, weights = _float32(points, weights)
    c = torch.as_tensor(c, dtype=torch.float32, device=points.device)
    # (B, M, 1); at most 2 / BOUNDARY_EPS inside the projected ball
    conformal = 2 / (
        1 - c *
        (points * points).sum(dim=-1, keepdim=True)).clamp_min(BOUNDARY_EPS)
    with torch.autocast(points.device.type, enabled=False):
        numerator = weights @ (conformal * points)  # (B, L, D)
        denominator = (weights @ (conformal - 1)).clamp_min(MIN_NORM)
    return mobius_scalar_mul(0.5, numerator / denominator, c)
