"""View 2: heatmap of gradient magnitude over (timestep x hidden unit), or (timestep x layer).

Colour is log10 of the magnitude on one shared Viridis scale for every run, so columns compare.
Zeros (underflow) and inf/NaN (overflow) have no log and are left blank; the subplot title counts
them so a blank never goes unexplained. Large arrays are block-averaged first (`viz.binning`).
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from .binning import MAX_N, MAX_T, block_mean, compact
from .layout import axes, axis_suffix, grid
from .style import HEATMAP_SCALE, figure, time_axis, trace
from .text import colon, word


def log_magnitude(a) -> np.ndarray:
    """log10|a| with NaN where a is 0 or non-finite."""
    a = np.abs(np.asarray(a, dtype=np.float64))
    out = np.full(a.shape, np.nan)
    ok = np.isfinite(a) & (a > 0)
    out[ok] = np.log10(a[ok])
    return out


def blank_note(a, lang: str = "en") -> str:
    """' (n zero, m inf/NaN: blank)' for the cells a log scale cannot colour, '' when there are none."""
    a = np.asarray(a, dtype=np.float64)
    zeros, bad = int((a == 0).sum()), int((~np.isfinite(a)).sum())
    parts = (f"{zeros} {word('zero', lang)}" if zeros else "", f"{bad} inf/NaN" if bad else "")
    text = ", ".join(p for p in parts if p)
    return f" ({text}{colon(lang)}{word('blank', lang)})" if text else ""


def decade_ticks(lo: float, hi: float) -> dict:
    """Colour-bar ticks at whole decades (at most about 8), labelled 1e-k."""
    ticks = list(range(math.floor(lo), math.ceil(hi) + 1))
    ticks = ticks[::max(1, len(ticks) // 8)]
    return {"tickvals": ticks, "ticktext": [f"1e{k}" for k in ticks]}


def magnitude_heatmap_figure(mats: dict, row_title: str | None = None, value_name: str = "|dL/dh_t|",
                             title: str = "|dL/dh_t| per hidden unit (colour: log10)",
                             max_t: int = MAX_T, max_n: int = MAX_N, lang: str = "en") -> go.Figure:
    """mats: label -> (T, N) magnitudes (N units or layers). One column per label, x = t = 1..T.

    row_title, value_name and title are drawn as given: the caller passes them in `lang`."""
    labels = list(mats)
    row_title = row_title or word("hidden unit", lang)
    layout = grid(1, len(labels), titles=[f"{k}{blank_note(mats[k], lang)}" for k in labels], shared_y=True)
    traces, zs = [], []
    for col, label in enumerate(labels, start=1):
        z, t, n = block_mean(mats[label], max_t, max_n)
        z = log_magnitude(z)  # (bins_t, bins_n)
        zs.append(z[np.isfinite(z)])
        traces.append(trace(
            "heatmap", x=compact(t), y=compact(n), z=compact(z.T), coloraxis="coloraxis", name=label,  # z rows = y = unit
            **axes(1, col, len(labels)),
            hovertemplate=f"t=%{{x}}<br>{row_title} %{{y}}<br>log10 {value_name}=%{{z:.2f}}<extra>{label}</extra>"))
        layout[f"xaxis{axis_suffix(1, col, len(labels))}"].update(time_axis(np.shape(mats[label])[0], lang=lang))
    finite = np.concatenate(zs)
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 0.0)
    layout["yaxis"]["title"] = {"text": row_title}
    if max(np.shape(m)[1] for m in mats.values()) <= 8:
        layout["yaxis"]["dtick"] = 1  # a few layers or units: one tick each
    layout["coloraxis"] = {"colorscale": HEATMAP_SCALE, "cmin": lo, "cmax": hi,
                           "colorbar": {"title": {"text": f"log10 {value_name}"}, **decade_ticks(lo, hi)}}
    layout["hovermode"] = "closest"
    return figure(traces, layout, title, height=380)
