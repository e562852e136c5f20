"""Block-average a (T, N) array down to at most max_t x max_n cells before it goes into a heatmap.

A 1000 x 256 heatmap per gate would send megabytes to the browser for detail no screen shows;
averaging blocks keeps every value's contribution and the figure small. `compact` then stores a
heatmap's values as float32 in Plotly's binary arrays: half the bytes of float64, and still ~7
significant digits where the hover shows 2-3 (log10 magnitudes, gate values in [-1, 1]).
"""
from __future__ import annotations

import numpy as np

MAX_T, MAX_N = 250, 64  # heatmap cells drawn per axis at most


def bin_edges(n: int, max_bins: int) -> np.ndarray:
    """Start index of each of min(n, max_bins) nearly equal blocks of range(n), plus n at the end."""
    bins = min(n, max_bins)
    return np.linspace(0, n, bins + 1).round().astype(int)


def block_mean(a, max_t: int = MAX_T, max_n: int = MAX_N) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(T, N) -> (Z (bins_t, bins_n) block means, t centres (1-based), n centres (1-based)).

    With T <= max_t and N <= max_n, Z is `a` itself and the centres are 1..T and 1..N.
    """
    a = np.asarray(a, dtype=np.float64)
    et, en = bin_edges(a.shape[0], max_t), bin_edges(a.shape[1], max_n)
    rows = np.add.reduceat(a, et[:-1], axis=0) / np.diff(et)[:, None]  # (bins_t, N)
    z = np.add.reduceat(rows, en[:-1], axis=1) / np.diff(en)[None, :]  # (bins_t, bins_n)
    return z, (et[:-1] + et[1:] + 1) / 2, (en[:-1] + en[1:] + 1) / 2


def compact(a) -> np.ndarray:
    """a as float32, for heatmap cells and axes whose values are bounded (|a| << 3e38) and drawn to a
    few digits: Plotly writes the array's own dtype, so this halves its bytes ("f4" instead of "f8")."""
    return np.asarray(a, dtype=np.float32)
