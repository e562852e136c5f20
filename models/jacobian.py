"""Spectral norms of many per-step Jacobians dh_t/dh_{t-1} = diag(d0) + sum_k diag(d_k) W_k at once.

Batched Lanczos on A = J^T J: each iteration is two matmuls over all rows n = (t, b) together,
J v = d0 v + sum_k d_k (W_k v) and J^T u = d0 u + W^T (d u). The top Ritz value theta of the k x k
tridiagonal T_k rises to sigma_max(J)^2; a row stops once the residual bound of its top Ritz pair,
beta_k |y_k|, is below `rtol * theta` (then |theta - lambda| <= beta_k |y_k| for an eigenvalue lambda
of A), or at k = H. Stopped rows leave the batch, so the cost follows the hard rows only.
theta comes from Laguerre's iteration on the pivots of T_k - xI (numpy, O(k) vector steps per pass,
a few passes from the previous check's value): 3-4x cheaper than the Sturm multisection used before,
which took 70-80% of the time. At the bench shapes (`python -m bench.probe`) the matmuls (12-48
iterations of two, each the size of one step of the probe's backward) take 35-45% of the time, the
checks 25-40% (Laguerre is bound by numpy's per-op overhead: ~2 ms a check whatever the number of rows),
the vector steps ~20%, the start vector ~5%: in all 0.2-0.5x the probe for the RNN, 0.6-1.8x for the
GRU, 2.2-3.7x for the LSTM; so `ProbeResult.jacobian_norm` is still computed on first access, not
inside `probe()`.
"""
from __future__ import annotations

import numpy as np
import torch

# The seeded direction added to each start vector, relative to it. Small: a start that already is the top
# singular vector (the RNN under orthogonal W) then stops at the first check (1e-2 took ~17 iterations to fade).
NOISE = 1e-4
CHECKS = (4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)  # iterations where rows may stop


def _start_vector(w, d, d0, seed):
    """The largest row of J (J^T e_j, j = argmax_j ||row_j||) plus a little noise: close to the top
    right singular vector (exactly it when W_hh is orthogonal and G = 1), never orthogonal to it
    (the noise is one seeded direction for all rows: a (N, H) draw cost as much as ten Lanczos steps).

    ||row j||^2 = sum_{k,l} d_k[j] d_l[j] <W_k[j], W_l[j]> (+ d0[j]^2 + 2 d0[j] sum_k d_k[j] W_k[j, j]).
    """
    N, G, H = d.shape
    wg = w.view(G, H, H)
    gram = torch.einsum("kjh,ljh->klj", wg, wg)  # (G, G, H): <W_k[j], W_l[j]>
    row_sq = torch.zeros(N, H, dtype=d.dtype)
    for k in range(G):
        row_sq += d[:, k] * d[:, k] * gram[k, k]
        for l in range(k + 1, G):
            row_sq += 2 * gram[k, l] * d[:, k] * d[:, l]
    if d0 is not None:
        diag = torch.diagonal(wg, dim1=1, dim2=2)  # (G, H): W_k[j, j]
        row_sq += d0 * d0 + 2 * d0 * (d * diag).sum(1)
    j = row_sq.argmax(1)  # (N,)
    q = (wg[:, j, :] * d.gather(2, j.view(N, 1, 1).expand(N, G, 1)).transpose(0, 1)).sum(0)  # (N, H): row j of J
    if d0 is not None:
        q[torch.arange(N), j] += d0[torch.arange(N), j]
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn(H, generator=gen, dtype=torch.float64).to(d.dtype)
    q = q / q.norm(dim=1, keepdim=True).clamp_min(torch.finfo(d.dtype).tiny)
    q = q + NOISE * noise / noise.norm()
    return q / q.norm(dim=1, keepdim=True)


def _top_ritz(alphas: torch.Tensor, betas: torch.Tensor, method: str | None = None, guess: torch.Tensor | None = None):
    """Top eigenvalue theta of each tridiagonal T_k and the residual bound beta_k |y_k| of its eigenvector.

    T_k has diagonal alphas (N, k) and off-diagonal betas[:, :k-1]; rows with inf/NaN give theta = NaN
    (they are zeroed first: LAPACK fails on them). method "laguerre" (the default) is
    `_top_pair_laguerre`, "dense" LAPACK's eigh (O(k^3) per row, kept as the reference for tests).
    guess (N,), optional: a value probably above each top eigenvalue, where Laguerre starts (checked).
    """
    k = alphas.shape[1]
    a, b = alphas.double(), betas[:, :k - 1].double()
    finite = torch.isfinite(a).all(1) & torch.isfinite(b).all(1)
    a = torch.where(finite[:, None], a, torch.zeros_like(a))
    b = torch.where(finite[:, None], b, torch.zeros_like(b))
    if (method or "laguerre") == "laguerre":
        theta, y_last = (torch.from_numpy(v) for v in _top_pair_laguerre(
            a.numpy(), b.numpy(), None if guess is None else guess.double().numpy()))
    else:
        tri = torch.diag_embed(a) + torch.diag_embed(b, 1) + torch.diag_embed(b, -1)
        vals, vecs = torch.linalg.eigh(tri)
        theta, y_last = vals[:, -1], vecs[:, -1, -1]
    theta = torch.where(finite, theta, torch.full_like(theta, float("nan")))
    return theta, betas[:, k - 1].double().abs() * y_last.abs()


def _top_pair_laguerre(a: np.ndarray, b: np.ndarray, guess: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(top eigenvalue, last component of its unit eigenvector) of finite tridiagonals, float64 numpy:
    diagonal a (N, k), off-diagonal b (N, k - 1).

    theta: Laguerre's iteration on det(T - xI) = prod_j d_j(x) (d_j the LDL^T pivots), started above
    Gershgorin's bound. From above the largest root of a polynomial with real roots it falls
    monotonically onto that root, cubically near it (a few passes, none of which can skip it); while
    x is above every eigenvalue all pivots are negative, so none needs pivoting. Each pass carries
    G = sum_i 1/(x - lambda_i) = sum_j d_j'/d_j and H = sum_i 1/(x - lambda_i)^2 through the pivots'
    recurrence. It starts at `guess` where the first pass finds every pivot negative there (so
    guess is above every eigenvalue), else just above Gershgorin's bound: from a close guess
    (the previous check's Ritz value plus its residual) it needs 2-3 passes instead of ~10.
    y: two steps of inverse iteration just above theta.
    numpy, not torch: these are O(k) passes over (N,) vectors, where a torch op's thread-pool hand-off
    costs more than the arithmetic (and far more on a loaded machine).
    """
    N, k = a.shape
    a, b = np.ascontiguousarray(a.T), np.ascontiguousarray(b.T)  # (k, N), (k - 1, N): rows are steps j
    b2 = b * b
    reach = np.zeros_like(a)
    reach[1:] += np.abs(b)
    reach[:-1] += np.abs(b)
    eps, tiny = np.finfo(a.dtype).eps, np.finfo(a.dtype).tiny
    hi, lo = (a + reach).max(0), (a - reach).min(0)  # every eigenvalue lies in [lo, hi]
    scale = np.maximum(np.maximum(np.abs(hi), np.abs(lo)), tiny)
    start = hi + 4 * eps * scale
    x = start if guess is None else np.where(np.isfinite(guess) & (guess < start), guess, start)
    active = np.ones(N, dtype=bool)
    with np.errstate(all="ignore"):
        for sweep in range(100):  # cubic convergence: a few passes
            # pivots d_j of T - xI and, carried as u = d'/d and v = d''/d, their first two derivatives
            ax = a - x  # (k, N)
            inv = 1 / ax[0]
            u, v, most = -inv, np.zeros(N), ax[0]
            g, h = u, u * u
            for j in range(1, k):
                r = b2[j - 1] * inv  # b_{j-1}^2 / d_{j-1}
                d = ax[j] - r
                inv = 1 / d
                u, v = (r * u - 1) * inv, r * (v - 2 * u * u) * inv
                g, h, most = g + u, h + u * u - v, np.maximum(most, d)
            above = most < 0  # every pivot negative: x above every eigenvalue
            step = k / (g + np.sqrt(np.maximum((k - 1) * (k * h - g * g), 0)))  # Laguerre, towards the top root
            step = np.where(np.isfinite(step), np.maximum(step, 0), 0)
            restart = ~above if sweep == 0 and guess is not None else np.zeros(N, dtype=bool)
            active &= above | restart  # not above every eigenvalue: rounding put x on the root, stop there
            x = np.where(restart, start, np.where(active, x - np.minimum(step, x - lo), x))  # a guess below the top: start over
            active &= (step > 1e-13 * scale) | restart  # theta to ~1e-13: far below any rtol used here
            if not active.any():
                break
        sigma = x + 4 * eps * scale  # strictly above lambda_max: T - sigma I negative definite
        pivmin = tiny * np.maximum(b2.max(0), 1.0) if k > 1 else np.full(N, tiny)
        d = [a[0] - sigma]
        for j in range(1, k):
            d.append((a[j] - sigma) - b2[j - 1] / d[-1])
        d = [np.where(np.abs(p) < pivmin, -pivmin, p) for p in d]
        y = np.ones((k, N))
        for _ in range(2):  # solve (T - sigma I) y_new = y: forward elimination, then back substitution
            z = [y[0]]
            for j in range(1, k):
                z.append(y[j] - b[j - 1] / d[j - 1] * z[j - 1])
            ys = [z[k - 1] / d[k - 1]]
            for j in range(k - 2, -1, -1):
                ys.append((z[j] - b[j] * ys[-1]) / d[j])
            y = np.stack(ys[::-1])
            y = y / np.abs(y).max(0)  # first to O(1): the solve can reach 1/tiny, whose square overflows
            y = y / np.linalg.norm(y, axis=0)
    return x, y[-1]


def jacobian_spectral_norm(w_hh: torch.Tensor, d: torch.Tensor, d0: torch.Tensor | None = None,
                           rtol: float | None = None, seed: int = 0) -> torch.Tensor:
    """||diag(d0_n) + sum_k diag(d_n[k]) W_hh[k]||_2 for every n.

    w_hh (G*H, H); d (N, G, H); d0 (N, H) or None  ->  (N,) in d's dtype (NaN where d is non-finite)
    """
    N, G, H = d.shape
    eps = torch.finfo(d.dtype).eps
    rtol = rtol if rtol is not None else max(1e-7, 100 * eps)
    w = w_hh.to(d.dtype)
    w_t = w.T.contiguous()  # (H, G*H)

    def apply_j(v, d, d0):  # (n, H) -> (n, H): sum_k d_k (W_k v) + d0 v
        out = (v @ w_t).view(-1, G, H).mul_(d).sum(1)
        return out.addcmul_(d0, v) if d0 is not None else out

    def apply_jt(u, d, d0):  # (n, H) -> (n, H): W^T (d u) + d0 u
        out = (d * u.unsqueeze(1)).view(-1, G * H) @ w
        return out.addcmul_(d0, u) if d0 is not None else out

    result = torch.full((N,), float("nan"), dtype=torch.float64)
    finite = torch.isfinite(d).flatten(1).all(1)
    if d0 is not None:
        finite &= torch.isfinite(d0).all(1)
    rows = torch.nonzero(finite).flatten()
    d, d0 = d[rows], None if d0 is None else d0[rows]
    q_prev, q = torch.zeros(len(rows), H, dtype=d.dtype), _start_vector(w, d, d0, seed)
    beta = torch.zeros(len(rows), dtype=d.dtype)
    alphas, betas, guess = [], [], None
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
        theta, residual = _top_ritz(torch.stack(alphas, 1), torch.stack(betas, 1), guess=guess)
        done = (residual <= rtol * theta.abs()) | (k == H) | ~torch.isfinite(theta)
        result[rows[done]] = theta[done]
        keep = ~done
        if not keep.any():
            break
        rows, d = rows[keep], d[keep]
        d0 = None if d0 is None else d0[keep]
        alphas, betas = [a[keep] for a in alphas], [b[keep] for b in betas]
        beta, v = beta[keep], v[keep]
        guess = (theta + 2 * residual + 1e-9 * theta.abs())[keep]  # likely above the next check's top Ritz value
        q_prev, q = q[keep], v / beta.clamp_min(torch.finfo(d.dtype).tiny).unsqueeze(1)
    return result.clamp_min(0).sqrt().to(d.dtype)
