"""Batched Lanczos spectral norms against torch.linalg.matrix_norm(ord=2) of the formed matrices."""
import numpy as np
import pytest
import torch

from models.jacobian import jacobian_spectral_norm


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
