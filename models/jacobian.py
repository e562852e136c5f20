"""Spectral norms of many per-step Jacobians dh_t/dh_{t-1} = diag(d0) + sum_k diag(d_k) W_k at once.

Batched Lanczos on A = J^T J: each iteration is two matmuls over all rows n = (t, b) together,
J v = d0 v + sum_k d_k (W_k v) and J^T u = d0 u + W^T (d u). The top Ritz value theta of the k x k
tridiagonal T_k rises to sigma_max(J)^2; a row stops once the residual bound of its top Ritz pair,
beta_k |y_k|, is below `rtol * theta` (then |theta - lambda| <= beta_k |y_k| for an eigenvalue lambda
of A), or at k = H. Stopped rows leave the batch, so the cost follows the hard rows only.
This costs more than the probe's backward pass (O(iterations) matmuls of the size of one), which is
why `ProbeResult.jacobian_norm` is computed on first access, not inside `probe()`.
"""
from __future__ import annotations

import torch

DENSE_EIGH_WORK = 1e7  # N k^3 up to which _top_ritz uses a dense eigh
SECTIONS = 16  # the top Ritz value's bracket is cut into this many pieces per pass (multisection)
CHECKS = (4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)  # iterations where rows may stop


def _start_vector(w, d, d0, apply_jt, seed):
    """The largest row of J (J^T e_j, j = argmax_j ||row_j||) plus a little noise: close to the top
    right singular vector (exactly it when W_hh is orthogonal and G = 1), never orthogonal to it."""
    N, G, H = d.shape
    row_gram = torch.einsum("kjh,ljh->klj", w.view(G, H, H), w.view(G, H, H))  # <W_k[j], W_l[j]>
    row_sq = torch.einsum("nkj,klj,nlj->nj", d, row_gram, d)
    if d0 is not None:
        diag = torch.diagonal(w.view(G, H, H), dim1=1, dim2=2)  # W_k[j, j]
        row_sq = row_sq + d0 * d0 + 2 * d0 * (d * diag).sum(1)
    pick = torch.nn.functional.one_hot(row_sq.argmax(1), H).to(d.dtype)
    q = apply_jt(pick, d, d0)
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn(N, H, generator=gen, dtype=torch.float64).to(d.dtype)
    q = q / q.norm(dim=1, keepdim=True).clamp_min(torch.finfo(d.dtype).tiny)
    q = q + 1e-2 * noise / noise.norm(dim=1, keepdim=True)
    return q / q.norm(dim=1, keepdim=True)


def _pivots(a: torch.Tensor, b2: torch.Tensor, x: torch.Tensor, pivmin: torch.Tensor):
    """The pivots d_1..d_k of the LDL^T factorisation of T - x I, one row (N,) at a time:
    d_1 = a_1 - x, d_j = (a_j - x) - b_{j-1}^2 / d_{j-1}; a pivot smaller than pivmin becomes -pivmin.
    Broadcasts: a trailing axis on a, b2, x and pivmin evaluates several x per row at once."""
    d = None
    for j in range(a.shape[1]):
        d = a[:, j] - x if d is None else (a[:, j] - x) - b2[:, j - 1] / d
        d = torch.where(d.abs() < pivmin, -pivmin, d)
        yield d


def _top_ritz(alphas: torch.Tensor, betas: torch.Tensor, method: str | None = None):
    """Top eigenvalue theta of each tridiagonal T_k and the residual bound beta_k |y_k| of its eigenvector.

    T_k has diagonal alphas (N, k) and off-diagonal betas[:, :k-1]; rows with inf/NaN give theta = NaN
    (they are zeroed first: LAPACK fails on them). method "dense" is LAPACK's eigh, "sturm" is
    `_top_pair_sturm`; by default dense for small batches, where its O(N k^3) beats the Python-level
    steps of the other (measured crossover: N k^3 about 1e7, e.g. 2048 rows at k = 16).
    """
    k = alphas.shape[1]
    a, b = alphas.double(), betas[:, :k - 1].double()
    finite = torch.isfinite(a).all(1) & torch.isfinite(b).all(1)
    a = torch.where(finite[:, None], a, torch.zeros_like(a))
    b = torch.where(finite[:, None], b, torch.zeros_like(b))
    if (method or ("sturm" if len(a) * k**3 > DENSE_EIGH_WORK else "dense")) == "sturm":
        theta, y_last = _top_pair_sturm(a, b)
    else:
        tri = torch.diag_embed(a) + torch.diag_embed(b, 1) + torch.diag_embed(b, -1)
        vals, vecs = torch.linalg.eigh(tri)
        theta, y_last = vals[:, -1], vecs[:, -1, -1]
    theta = torch.where(finite, theta, torch.full_like(theta, float("nan")))
    return theta, betas[:, k - 1].double().abs() * y_last.abs()


def _top_pair_sturm(a: torch.Tensor, b: torch.Tensor):
    """(top eigenvalue, last component of its unit eigenvector) of finite tridiagonals, float64, without
    a dense eigen-solver: diagonal a (N, k), off-diagonal b (N, k - 1).

    theta: multisection between max_j a_j and Gershgorin's bound on the Sturm count (the number of
    negative pivots of T - x I is the number of eigenvalues below x), to float64 resolution. y: two
    steps of inverse iteration at sigma just above theta, where T - sigma I is negative definite, so its
    LDL^T needs no pivoting. Costs O(k) vector operations per pass instead of a dense O(k^3) eigh per
    row (tests/test_jacobian.py compares both).
    """
    k = a.shape[1]
    b2, zero = b * b, torch.zeros(len(a), 1, dtype=a.dtype)
    reach = torch.cat([zero, b.abs()], 1) + torch.cat([b.abs(), zero], 1)
    lo, hi = a.max(1).values, (a + reach).max(1).values  # lambda_max lies in [lo, hi]
    eps, tiny = torch.finfo(a.dtype).eps, torch.finfo(a.dtype).tiny
    scale = torch.maximum(lo.abs(), hi.abs()).clamp_min(tiny)
    pivmin = tiny * b2.amax(1).clamp_min(1.0) if k > 1 else torch.full_like(lo, tiny)
    points = torch.arange(1, SECTIONS, dtype=a.dtype) / SECTIONS
    for _ in range(40):  # each pass shrinks the bracket SECTIONS-fold; ~14 reach float64 resolution
        x = lo[:, None] + (hi - lo)[:, None] * points  # (N, SECTIONS - 1) trial points, rising
        below = sum((d < 0).long() for d in _pivots(a[:, :, None], b2[:, :, None], x, pivmin[:, None]))
        above = (below < k).sum(1, keepdim=True)  # trial points that some eigenvalue lies above
        bounds = torch.cat([lo[:, None], x, hi[:, None]], 1)
        lo, hi = bounds.gather(1, above).squeeze(1), bounds.gather(1, above + 1).squeeze(1)
        if bool(((hi - lo) <= 2 * eps * scale).all()):
            break
    sigma = hi + 4 * eps * scale  # strictly above lambda_max by a margin float64 resolves
    y = torch.ones_like(a)
    for _ in range(2):  # solve (T - sigma I) y_new = y: forward elimination, then back substitution
        d = list(_pivots(a, b2, sigma, pivmin))
        z = [y[:, 0]]
        for j in range(1, k):
            z.append(y[:, j] - b[:, j - 1] / d[j - 1] * z[j - 1])
        ys = [z[k - 1] / d[k - 1]]
        for j in range(k - 2, -1, -1):
            ys.append((z[j] - b[:, j] * ys[-1]) / d[j])
        y = torch.stack(ys[::-1], 1)
        y = y / y.norm(dim=1, keepdim=True)
    return 0.5 * (lo + hi), y[:, -1]


def jacobian_spectral_norm(w_hh: torch.Tensor, d: torch.Tensor, d0: torch.Tensor | None = None,
                           rtol: float | None = None, seed: int = 0) -> torch.Tensor:
    """||diag(d0_n) + sum_k diag(d_n[k]) W_hh[k]||_2 for every n.

    w_hh (G*H, H); d (N, G, H); d0 (N, H) or None  ->  (N,) in d's dtype (NaN where d is non-finite)
    """
    N, G, H = d.shape
    eps = torch.finfo(d.dtype).eps
    rtol = rtol if rtol is not None else max(1e-7, 100 * eps)
    w = w_hh.to(d.dtype)

    def apply_j(v, d, d0):  # (n, H) -> (n, H)
        out = ((v @ w.T).view(-1, G, H) * d).sum(1)
        return out + d0 * v if d0 is not None else out

    def apply_jt(u, d, d0):  # (n, H) -> (n, H)
        out = (d * u.unsqueeze(1)).reshape(-1, G * H) @ w
        return out + d0 * u if d0 is not None else out

    result = torch.full((N,), float("nan"), dtype=torch.float64)
    finite = torch.isfinite(d).flatten(1).all(1)
    if d0 is not None:
        finite &= torch.isfinite(d0).all(1)
    rows = torch.nonzero(finite).flatten()
    d, d0 = d[rows], None if d0 is None else d0[rows]
    q_prev, q = torch.zeros(len(rows), H, dtype=d.dtype), _start_vector(w, d, d0, apply_jt, seed)
    beta = torch.zeros(len(rows), dtype=d.dtype)
    alphas, betas = [], []
    for k in range(1, H + 1):
        v = apply_jt(apply_j(q, d, d0), d, d0) - beta.unsqueeze(1) * q_prev  # A q_k - beta_{k-1} q_{k-1}
        alpha = (q * v).sum(1)
        v = v - alpha.unsqueeze(1) * q
        beta = v.norm(dim=1)
        alphas.append(alpha)
        betas.append(beta)
        if k not in CHECKS and k != H:
            q_prev, q = q, v / beta.clamp_min(torch.finfo(d.dtype).tiny).unsqueeze(1)
            continue
        theta, residual = _top_ritz(torch.stack(alphas, 1), torch.stack(betas, 1))
        done = (residual <= rtol * theta.abs()) | (k == H) | ~torch.isfinite(theta)
        result[rows[done]] = theta[done]
        keep = ~done
        if not keep.any():
            break
        rows, d = rows[keep], d[keep]
        d0 = None if d0 is None else d0[keep]
        alphas, betas = [a[keep] for a in alphas], [b[keep] for b in betas]
        beta, v = beta[keep], v[keep]
        q_prev, q = q[keep], v / beta.clamp_min(torch.finfo(d.dtype).tiny).unsqueeze(1)
    return result.clamp_min(0).sqrt().to(d.dtype)
