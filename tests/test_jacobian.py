"""Batched Lanczos spectral norms against torch.linalg.matrix_norm(ord=2) of the formed matrices."""
import numpy as np
import pytest
import torch

from models.jacobian import NOISE, _start_vector, _top_ritz, jacobian_spectral_norm


def formed(w, d, d0):
    G, H = d.shape[1], d.shape[2]
    J = (d.unsqueeze(-1) * w.view(G, H, H)).sum(1)  # (N, H, H)
    return J + torch.diag_embed(d0) if d0 is not None else J


@pytest.mark.parametrize("G,H", [(1, 1), (1, 7), (4, 16), (3, 40), (4, 64)])
@pytest.mark.parametrize("with_d0", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_exact_norm(G, H, with_d0, dtype):
    gen = torch.Generator().manual_seed(G * 100 + H)
    w = torch.randn(G * H, H, generator=gen, dtype=torch.float64) / H**0.5
    d = torch.rand(60, G, H, generator=gen, dtype=torch.float64)  # uniform spread: a hard spectrum
    d0 = torch.rand(60, H, generator=gen, dtype=torch.float64) if with_d0 else None
    exact = torch.linalg.matrix_norm(formed(w, d, d0), 2)
    got = jacobian_spectral_norm(w.to(dtype), d.to(dtype), None if d0 is None else d0.to(dtype))
    torch.testing.assert_close(got.double(), exact, rtol=1e-5 if dtype == torch.float32 else 1e-9, atol=0)


def test_non_finite_rows_give_nan_and_others_survive():
    w = torch.eye(3, dtype=torch.float64)
    d = torch.ones(4, 1, 3, dtype=torch.float64)
    d[1, 0, 2] = float("inf")
    got = jacobian_spectral_norm(w, d)
    assert torch.isnan(got[1]) and torch.allclose(got[[0, 2, 3]], torch.ones(3, dtype=torch.float64))


def test_zero_jacobian():
    got = jacobian_spectral_norm(torch.eye(4), torch.zeros(3, 1, 4))
    assert torch.equal(got, torch.zeros(3))


def test_overflowing_lanczos_row_does_not_crash_the_probe():
    """Found by fuzzing: a saturated LSTM made one tridiagonal non-finite and LAPACK raised."""
    from models import ProbeConfig, probe
    r = probe(ProbeConfig(cell="lstm", seq_len=8, hidden_size=4, batch_size=4, input_scale=18, forget_bias=4, seed=2))
    assert r.jacobian_norm.shape == (8,) and np.isfinite(r.jacobian_norm).sum() >= 6


@pytest.mark.parametrize("k", [1, 2, 3, 8, 24, 61])
def test_top_ritz_pair_matches_dense_eigh(k):
    """Laguerre's iteration and inverse iteration (the default) against LAPACK's
    dense eigh of the same T_k:
    random tridiagonals, a Lanczos breakdown (beta = 0), a clustered top, a negative spectrum, zeros."""
    gen = torch.Generator().manual_seed(k)
    alphas = torch.randn(200, k, generator=gen, dtype=torch.float64)
    betas = torch.rand(200, k, generator=gen, dtype=torch.float64)
    betas[1, k // 2] = 0.0  # breakdown: T splits into two blocks
    alphas[2], betas[2] = 5.0, 1e-9  # nearly equal top eigenvalues
    alphas[3] = -alphas[3].abs() - 3  # every eigenvalue negative
    alphas[4], betas[4] = 0.0, 0.0
    alphas[5] *= 1e6  # a wide spread
    theta, residual = _top_ritz(alphas, betas, method="laguerre")
    tri = torch.diag_embed(alphas) + torch.diag_embed(betas[:, :k - 1], 1) + torch.diag_embed(betas[:, :k - 1], -1)
    vals, vecs = torch.linalg.eigh(tri)
    scale = tri.abs().amax(dim=(1, 2)).clamp_min(1)
    torch.testing.assert_close(theta / scale, vals[:, -1] / scale, rtol=0, atol=1e-13)
    gap = (vals[:, -1] - vals[:, -2]) / scale if k > 1 else torch.ones(200, dtype=torch.float64)
    well_separated = gap > 1e-6  # elsewhere the eigenvector itself is ill-determined
    expected = betas[:, k - 1].abs() * vecs[:, -1, -1].abs()
    torch.testing.assert_close(residual[well_separated], expected[well_separated], rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("method", ["dense", "laguerre"])
def test_top_ritz_of_non_finite_rows_is_nan(method):
    alphas, betas = torch.ones(3, 4, dtype=torch.float64), torch.ones(3, 4, dtype=torch.float64)
    alphas[1, 2], betas[2, 0] = float("inf"), float("nan")
    theta, _ = _top_ritz(alphas, betas, method=method)
    assert torch.isnan(theta[1:]).all() and torch.isclose(theta[0], torch.tensor(1 + 2 * np.cos(np.pi / 5), dtype=torch.float64))


def test_blockwise_progress_gives_the_same_norms_and_cancelling_memoises_nothing():
    """jacobian_norm_progress in blocks of 16 (t, b) pairs against the exact per-step norms of the formed
    Jacobians (tests/reference.py); an abandoned iterator leaves the memo empty."""
    from models import ProbeConfig, probe
    from tests.reference import reference
    cfg = ProbeConfig(cell="gru", seq_len=12, hidden_size=6, batch_size=4, dtype="float64")
    r = probe(cfg)
    fractions = list(r.jacobian_norm_progress(chunk_rows=16))
    assert fractions == [4 / 12, 8 / 12, 1.0]
    np.testing.assert_allclose(r.jacobian_norm, reference(r.model, cfg.cell, cfg.activation, r.inputs, r.readout)["jacobian_norm"].numpy(),
                               rtol=1e-9)
    fresh = probe(cfg)
    steps = fresh.jacobian_norm_progress(chunk_rows=16)
    assert next(steps) == 4 / 12
    steps.close()
    assert fresh._jacobian_norm is None
    np.testing.assert_allclose(fresh.jacobian_norm, r.jacobian_norm, rtol=1e-12)


def test_top_ritz_from_a_guess_above_or_below_the_top():
    """Laguerre started at a guess (the previous check's Ritz value plus its residual, in the Lanczos loop):
    a guess above the top eigenvalue, on it or below it gives LAPACK's top eigenpair all the same."""
    for k in (1, 2, 3, 8, 16):
        gen = torch.Generator().manual_seed(k)
        alphas = torch.randn(300, k, generator=gen, dtype=torch.float64)
        betas = torch.rand(300, k, generator=gen, dtype=torch.float64)
        exact, residual = _top_ritz(alphas, betas, method="dense")
        for offset in (-1.0, -1e-2, 0.0, 1e-9, 1e-2, 1.0, 100.0):
            theta, res = _top_ritz(alphas, betas, guess=exact + offset)
            torch.testing.assert_close(theta, exact, rtol=0, atol=1e-13)
            torch.testing.assert_close(res, residual, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_start_vector_on_the_second_singular_vector_still_finds_the_top(dtype):
    """The start is J's largest row plus a small seeded direction. Built so that the largest row is
    exactly sigma_2 v_2: J = U S V^T with e_0 = u_2 and u_1 spread over the other rows (so each of them
    is shorter). Lanczos must still climb from v_2 to sigma_1, from the small direction alone."""
    H = 8
    gen = torch.Generator().manual_seed(0)
    u1 = torch.cat([torch.zeros(1), torch.ones(H - 1)]) / (H - 1) ** 0.5
    rest, _ = torch.linalg.qr(torch.randn(H, H, generator=gen, dtype=torch.float64))
    basis = torch.stack([u1.double(), torch.eye(H, dtype=torch.float64)[0]] + list(rest.T), 1)
    U, _ = torch.linalg.qr(basis)  # first two columns: +-u1, +-e_0
    V, _ = torch.linalg.qr(torch.randn(H, H, generator=gen, dtype=torch.float64))
    sigma = torch.tensor([1.0, 0.99] + [0.1] * (H - 2), dtype=torch.float64)
    J = U @ torch.diag(sigma) @ V.T
    assert J.norm(dim=1).argmax() == 0  # the largest row is sigma_2 v_2
    got = jacobian_spectral_norm(J.to(dtype), torch.ones(1, 1, H, dtype=dtype))  # d = 1, W = J
    torch.testing.assert_close(got.double(), torch.ones(1, dtype=torch.float64),
                               rtol=1e-5 if dtype == torch.float32 else 1e-9, atol=0)


@pytest.mark.parametrize("with_d0", [False, True])
def test_start_vector_is_the_largest_row_of_the_formed_jacobian(with_d0):
    """The start is row j = argmax_j ||row_j|| of the formed J (G = 4 gate blocks, with and without d0),
    normalised, plus a direction of size NOISE: its cosine with that row is 1 to O(NOISE^2)."""
    G, H, N = 4, 24, 50
    gen = torch.Generator().manual_seed(7)
    w = torch.randn(G * H, H, generator=gen, dtype=torch.float64) / H**0.5
    d = torch.randn(N, G, H, generator=gen, dtype=torch.float64)
    d0 = torch.rand(N, H, generator=gen, dtype=torch.float64) if with_d0 else None
    J = formed(w, d, d0)  # (N, H, H)
    largest = J[torch.arange(N), J.norm(dim=2).argmax(1)]  # (N, H)
    q = _start_vector(w, d, d0, seed=0)
    torch.testing.assert_close(q.norm(dim=1), torch.ones(N, dtype=torch.float64), rtol=1e-12, atol=0)
    cosine = (q * largest).sum(1) / largest.norm(dim=1)
    assert (cosine > 1 - NOISE**2).all()  # the noise moves it by at most NOISE: 1 - cos <= NOISE^2 / 2
