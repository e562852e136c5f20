"""The numbers of the lesson's chapter "After the LSTM": the LSTM, the minGRU and the LRU on the same inputs, and
the minGRU's and LRU's gradient recomputed as the plain product of numbers their recurrence multiplies by.

A gate that reads only x_t makes each step Jacobian diagonal, dh_t/dh_{t-1} = diag(a_t), so
dL/dh_1 = (prod_{t=2}^{T} a_t) ⊙ dL/dh_T, element by element: for the minGRU a_t = 1 - z_t, for the LRU
a_t = conj(lambda) (the same every step). `factor_product` computes exactly that from the run's own gates (or
lambda) and the readout v, without the probe; the chapter's reveal sets it beside the probe's ||dL/dh_1||.
Pure torch/numpy; no Streamlit, no Plotly.
"""
from __future__ import annotations

import math

import numpy as np

from .cells import build_model
from .config import ProbeConfig
from .lesson import BATCH, HIDDEN

CELLS = ("lstm", "mingru", "lru")  # the chapter's three, side by side on the same inputs
SEQ_LEN = 100


def configs(gate_bias: float, ring_top: float, seq_len: int = SEQ_LEN) -> dict[str, ProbeConfig]:
    """cell -> config: the LSTM's forget bias and the minGRU's gate bias are `gate_bias` (both give a factor
    sigma(gate_bias) a step at x = 0); the LRU's |lambda| ring is [ring_top - 0.1, ring_top]. H, B as the lesson's."""
    common = {"seq_len": seq_len, "hidden_size": HIDDEN, "batch_size": BATCH}
    return {"lstm": ProbeConfig(cell="lstm", forget_bias=gate_bias, **common),
            "mingru": ProbeConfig(cell="mingru", forget_bias=gate_bias, **common),
            "lru": ProbeConfig(cell="lru", weight_scale=ring_top, **common)}


def factor_product(r) -> np.ndarray:
    """(B,) ||(prod_{t=2}^{T} a_t) ⊙ v||: the gradient reaching t = 1 as a product of numbers, for a minGRU
    (a_t = 1 - z_t from r.gates) or an LRU (a_t = conj(lambda): |lambda_j|^(T-1) |v_j| per unit, lambda rebuilt
    from r.config's seed). One layer; r from `models.probe` with a readout v of shape (H,)."""
    v = np.asarray(r.readout, dtype=np.float64)
    T = r.config.seq_len
    if r.config.cell == "mingru":
        a = 1.0 - np.asarray(r.gates["update"], dtype=np.float64)  # (B, T, H)
        return np.linalg.norm(np.prod(a[:, 1:], axis=1) * v, axis=-1)
    if r.config.cell == "lru":
        lam = build_model(r.config.replace(dtype="float64")).eigenvalues(0).detach().numpy()  # (N,)
        re, im = np.split(v, 2)
        unit = np.abs(lam) ** (T - 1) * np.sqrt(re ** 2 + im ** 2)  # |conj(lambda)^(T-1) (re + i im)| per unit
        return np.full(r.config.batch_size, np.linalg.norm(unit))
    raise ValueError(f"cell {r.config.cell!r}: the product of numbers is the minGRU's or the LRU's")


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
