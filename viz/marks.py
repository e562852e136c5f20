"""Log-axis helpers: where zeros (underflow) and inf/NaN (overflow) sit, and how they are marked.

A log axis cannot show 0 or inf, and Plotly silently drops such points. Here they are drawn on
purpose: zeros as triangles on the axis floor, non-finite values as crosses on the axis ceiling
with the overflowed span shaded, so nothing disappears without a mark.
"""
from __future__ import annotations

import math

import numpy as np

from .style import trace
from .text import word

PAD = 0.5  # decades of room around the floor/ceiling markers
DEFAULT_DECADES = (-10.0, 1.0)  # axis when no value is finite and positive
ZERO_NOTE = "value is 0, below the float range"


def decade_bounds(arrays) -> tuple[float, float]:
    """(floor, ceiling) in log10 units: one decade beyond the finite positive values of `arrays`."""
    pos = [a[np.isfinite(a) & (a > 0)] for a in (np.asarray(x, dtype=np.float64) for x in arrays if x is not None)]
    pos = [p for p in pos if p.size]
    if not pos:
        return DEFAULT_DECADES
    lo = min(float(p.min()) for p in pos)
    hi = max(float(p.max()) for p in pos)
    return math.floor(math.log10(lo)) - 1.0, math.ceil(math.log10(hi)) + 1.0


def log_axis(floor: float, ceiling: float, title: str | None = None) -> dict:
    """A log y axis (range in decades) with room for the markers."""
    return {"type": "log", "range": [floor - PAD, ceiling + PAD], "exponentformat": "power",
            **({"title": {"text": title}} if title else {})}


def spans(mask: np.ndarray) -> list[tuple[int, int]]:
    """Contiguous runs of True as (first, last) 0-based indices."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    return list(zip(starts.tolist(), ends.tolist()))


def marks(y, name: str, color: str, floor: float, ceiling: float, xaxis: str = "x", yaxis: str = "y",
          t0: int = 1, lang: str = "en") -> tuple[list, list, list]:
    """(traces, shapes, annotations) marking y == 0 at 10**floor and non-finite y at 10**ceiling.

    y[i] belongs to timestep t = t0 + i. Every run of non-finite steps is also shaded and labelled.
    """
    y = np.asarray(y, dtype=np.float64)
    t = np.arange(t0, t0 + y.size)
    traces, shapes, notes = [], [], []
    zero, bad = y == 0, ~np.isfinite(y)
    if zero.any():
        traces.append(trace(
            "scatter", x=t[zero], y=np.full(int(zero.sum()), 10.0 ** floor), mode="markers", name=f"{name} = 0",
            marker={"symbol": "triangle-down", "size": 10, "color": color}, xaxis=xaxis, yaxis=yaxis,
            hovertemplate=f"t=%{{x}}: {word(ZERO_NOTE, lang)}<extra></extra>"))
    if bad.any():
        traces.append(trace(
            "scatter", x=t[bad], y=np.full(int(bad.sum()), 10.0 ** ceiling), mode="markers", name=f"{name}: inf/NaN",
            marker={"symbol": "x", "size": 10, "color": color}, xaxis=xaxis, yaxis=yaxis,
            hovertemplate=f"t=%{{x}}: {word('overflowed (inf or NaN)', lang)}<extra></extra>"))
        for first, last in spans(bad):
            shapes.append({"type": "rect", "xref": xaxis, "yref": f"{yaxis} domain", "x0": t[first] - 0.5,
                           "x1": t[last] + 0.5, "y0": 0, "y1": 1, "fillcolor": color, "opacity": 0.12,
                           "line": {"width": 0}, "layer": "below"})
            notes.append({"text": f"{name} {word('overflow', lang)}", "x": t[first] - 0.5, "y": 1, "xref": xaxis,
                          "yref": f"{yaxis} domain", "xanchor": "left", "yanchor": "top", "showarrow": False})
    return traces, shapes, notes
