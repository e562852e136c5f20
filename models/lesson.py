"""The lesson's numbers: which run each chapter probes, and what it reports beyond the probe itself.

Configs: `vanishing_config` (“从 RNN 到 LSTM”'s 0.8^50: t = 1 is 50 steps before the loss), `long_range_config`,
`cell_config`. Quantities: `clipping` (Pascanu et al. 2013: g -> tau g / ||g|| when ||g|| > tau),
`gradient_at`, `reach`, `early_path_shares`, `sum_shares`. Pure torch/numpy; no Streamlit, no Plotly.
"""
from __future__ import annotations

import numpy as np

from .config import ProbeConfig
from .probe import probe

T_VANISH = 51  # “从 RNN 到 LSTM”: after 50 steps back 0.8^50 = 1.43e-5, so the loss sits at t = 51
HIDDEN, BATCH = 32, 8  # small enough that every chapter redraws in well under a second


def vanishing_config(weight_scale: float, activation: str = "tanh", seq_len: int = T_VANISH) -> ProbeConfig:
    """Vanilla RNN with orthogonal W_hh = scale * Q: the linear one has ||dL/dh_t|| = scale^(T-t) exactly."""
    return ProbeConfig(cell="rnn", activation=activation, weight_scale=weight_scale, seq_len=seq_len,
                       hidden_size=HIDDEN, batch_size=BATCH, init="orthogonal")


def cell_config(cell: str, seq_len: int = 100, weight_scale: float = 1.0, forget_bias: float = 1.0) -> ProbeConfig:
    """One RNN/LSTM/GRU as the explorer's defaults probe it (tanh, orthogonal, H = 32, B = 8)."""
    return ProbeConfig(cell=cell, seq_len=seq_len, weight_scale=weight_scale, forget_bias=forget_bias,
                       hidden_size=HIDDEN, batch_size=BATCH)


def gradient_at(grad_h: np.ndarray, t: int) -> float:
    """Batch mean of ||dL_b/dh_t|| at timestep t (1-based), from a (B, T) array."""
    return float(np.asarray(grad_h, dtype=np.float64)[:, t - 1].mean())


def clipping(cfg: ProbeConfig, threshold: float) -> dict:
    """Clip g = dL/dW_hh = sum_t C_t to norm `threshold`: every C_t is scaled by the same factor.

    Returns steps (T,) ||C_t||_F, total ||g||_F, factor min(1, threshold / ||g||), clipped_total.
    """
    r = probe(cfg)
    pieces = r.w_hh_contributions().double()  # (T, H, H)
    total = float(pieces.sum(dim=0).norm())
    factor = min(1.0, threshold / total) if total > 0 else 1.0
    return {"steps": pieces.flatten(1).norm(dim=1).numpy(), "total": total, "factor": factor,
            "clipped_total": factor * total}


def reach(grad_x: np.ndarray, fraction: float = 0.01) -> int:
    """Steps back from t = T that the batch-mean ||dL/dx_t|| stays >= fraction * its value at t = T."""
    g = np.asarray(grad_x, dtype=np.float64).mean(axis=0)  # (T,)
    ok = g >= fraction * g[-1]
    back = 0
    for keep in ok[::-1][1:]:
        if not keep:
            break
        back += 1
    return back


def early_path_shares(paths: dict, last: int = 10) -> dict:
    """name -> share of the summed batch-mean path norms over the `last` states nearest the start,
    c_1..c_last (h_1..h_last), i.e. what steps t = 2..last+1 send back: the window of one number per path
    that a reveal quotes. (`viz.paths.path_shares` is the per-step share the figure's share mode stacks.)

    Entry t = 1 is 0 by construction (no step before it), so the window starts at t = 2.
    """
    sums = {k: float(np.asarray(v, dtype=np.float64)[:, 1:last + 1].mean(axis=0).sum()) for k, v in paths.items()}
    total = sum(sums.values())
    return {k: (s / total if total > 0 else 0.0) for k, s in sums.items()}


def sum_shares(steps: np.ndarray, last: int = 10) -> dict:
    """The T terms ||C_t|| of dL/dW_hh: share of their sum from the last `last` steps, and the largest term's t."""
    s = np.asarray(steps, dtype=np.float64)
    total = float(s.sum())
    return {"last_share": float(s[-last:].sum()) / total if total > 0 else 0.0, "argmax": int(np.argmax(s)) + 1,
            "first_over_last": float(s[1] / s[-1]) if s[-1] > 0 else float("inf")}


def first_below(loss, level: float, window: int = 50) -> int | None:
    """First training step (1-based) at which the mean loss of the last `window` steps is below `level`."""
    x = np.asarray(loss, dtype=np.float64)
    if x.size < window:
        return None
    means = np.convolve(x, np.ones(window) / window, mode="valid")  # means[i] = mean of steps i+1..i+window
    hit = np.flatnonzero(means < level)
    return int(hit[0]) + window if hit.size else None


# Arjovsky, Shah & Bengio 2016 ("Unitary evolution RNNs"), adding problem T = 100, 128 units, RMSProp 1e-3,
# as read from their figure (cited, not run here): steps (from, to) x MSE (low, high) boxes.
REPORTED_ADDING_T100 = (
    {"cell": "rnn", "steps": (0, 4000), "mse": (0.15, 0.18), "what": "tanh RNN stays at the baseline (reported)"},
    {"cell": "lstm", "steps": (1000, 1500), "mse": (0.05, 0.167), "what": "LSTM leaves the baseline (reported)"},
    {"cell": "lstm", "steps": (3000, 4000), "mse": (0.01, 0.02), "what": "LSTM at 0.01-0.02 (reported)"},
)
