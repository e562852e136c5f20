"""The probe's reductions, shared by every cell: float64 norms, the per-step weight-gradient norms, the
loss's external gradient e_t, and where a run first went non-finite. torch only, no model code."""
from __future__ import annotations

import torch


def finite(a: torch.Tensor) -> bool:
    """Whether every value is finite, in one reduction: min and max are NaN if any value is."""
    lo, hi = torch.aminmax(a)
    return bool((lo > -torch.inf) & (hi < torch.inf))


def first_nonfinite(arrays: list[torch.Tensor], last: bool) -> int | None:
    """First (or, for backward passes, last) timestep where any (T, ...) array is inf or NaN."""
    if all(finite(a) for a in arrays):
        return None
    bad = torch.zeros(arrays[0].shape[0], dtype=torch.bool)
    for a in arrays:
        bad |= ~torch.isfinite(a).flatten(1).all(1)
    idx = torch.nonzero(bad).flatten()
    return int(idx[-1] if last else idx[0])


def norm(a: torch.Tensor) -> torch.Tensor:
    """||a||_2 over the last dim, summed in float64: float32 squares of 1e-23 would be 0, of 1e20 inf.
    (..., H) -> (...)."""
    return torch.linalg.vector_norm(a, dim=-1, dtype=torch.float64)


def step_contribution_norms(delta: torch.Tensor, h_prev: torch.Tensor) -> torch.Tensor:
    """||C_t||_F, C_t = sum_b delta_t^(b) h_{t-1}^(b)T, without forming C_t:
    ||C_t||_F^2 = sum_{b,b'} (delta_b . delta_b')(h_b . h_b'), in float64 (float32 Gram products of
    vanishing gradients underflow).  (T, B, G*H), (T, B, H) -> (T,) float64."""
    d, h = delta.double(), h_prev.double()
    sq = (torch.bmm(d, d.transpose(1, 2)) * torch.bmm(h, h.transpose(1, 2))).sum((1, 2))
    return sq.clamp_min(0).sqrt()


def external_gradient(v: torch.Tensor, T: int, B: int) -> torch.Tensor:
    """e_t of L_b = sum_t e_t . h_t^(b): v (P,) or (B, P) reaches h_T only; (T, B, P) is e itself. -> (T, B, P)"""
    if v.dim() == 3:
        return v
    e = torch.zeros(T, B, v.shape[-1], dtype=v.dtype)
    e[-1] = v  # v broadcast over the batch, or one per sample
    return e
