"""Seeded draws shared by every cell's initialisation: float64, from one `torch.Generator`, cast by the caller."""
from __future__ import annotations

import math

import torch


def orthogonal(n: int, gen: torch.Generator) -> torch.Tensor:
    """A Haar-random orthogonal n x n matrix: QR of a Gaussian, signs fixed by diag(R)."""
    q, r = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r)).where(torch.diagonal(r) != 0, torch.ones(n, dtype=torch.float64))


def uniform(shape, bound: float, gen: torch.Generator) -> torch.Tensor:
    """U(-bound, bound) of the given shape."""
    return (torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1) * bound


def input_weight(rows: int, fan_in: int, hidden_size: int, init: str, gen: torch.Generator) -> torch.Tensor:
    """An input matrix (rows, fan_in): N(0, 1/fan_in), or PyTorch's U(-1/sqrt(H), 1/sqrt(H)) under init "pytorch"."""
    if init == "pytorch":
        return uniform((rows, fan_in), 1.0 / math.sqrt(hidden_size), gen)
    return torch.randn(rows, fan_in, generator=gen, dtype=torch.float64) / math.sqrt(fan_in)
