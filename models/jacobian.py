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


def _top_ritz(alphas: torch.Tensor, betas: torch.Tensor):
    """Top eigenvalue of each tridiagonal T_k and the residual bound beta_k |y_k| of its eigenvector."""
    k = alphas.shape[1]
    tri = torch.diag_embed(alphas.double())
    if k > 1:
        off = betas[:, :k - 1].double()
        tri = tri + torch.diag_embed(off, 1) + torch.diag_embed(off, -1)
    finite = torch.isfinite(tri).all(dim=(1, 2))
    tri = torch.where(finite[:, None, None], tri, torch.zeros_like(tri))  # LAPACK fails on inf/NaN
    vals, vecs = torch.linalg.eigh(tri)
    vals = torch.where(finite[:, None], vals, torch.full_like(vals, float("nan")))
    return vals[:, -1], betas[:, k - 1].double().abs() * vecs[:, -1, -1].abs()


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
