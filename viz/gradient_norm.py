"""View 1: gradient norm ||dL/dh_t|| against timestep on a log axis, one colour per run.

For each label: batch mean line with a min-max band over the batch, the LSTM's ||dL/dc_t|| as a
dotted second line, and the bound dashed: the vanilla RNN's (gamma ||W_hh||)^(T-t), IndRNN's
(gamma max|u|)^(T-t), the LRU's max|lambda|^(T-t). Zeros and
inf/NaN are marked on the axis floor/ceiling (see `viz.marks`).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .marks import decade_bounds, log_axis, marks
from .style import figure, rgba, time_axis, trace
from .text import word

# The a-priori bound on ||dL/dh_t|| each cell's probe reports (ProbeResult.bound), as the legend writes it.
BOUND_FORMULA = {"rnn": "(γ||W_hh||)^(T-t)", "indrnn": "(γ max|u|)^(T-t)", "lru": "max|λ|^(T-t)"}


def batch_stats(a) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(B, T) -> mean, min, max over the batch, each (T,). inf/NaN propagate so they get marked."""
    a = np.asarray(a, dtype=np.float64)
    return a.mean(axis=0), a.min(axis=0), a.max(axis=0)


def _band(t, lo, hi, name: str, color: str, lang: str = "en") -> list:
    """Min-max band: an invisible lower edge, then the upper edge filled down to it."""
    return [trace("scatter", x=t, y=lo, mode="lines", line={"width": 0}, showlegend=False, legendgroup=name,
                  name=f"{name} {word('min', lang)}", hoverinfo="skip"),
            trace("scatter", x=t, y=hi, mode="lines", line={"width": 0}, fill="tonexty", fillcolor=rgba(color, 0.2),
                  legendgroup=name, name=f"{name} {word('min-max band', lang)}", hoverinfo="skip")]


def gradient_norm_figure(grad_h: dict, colors: dict, grad_c: dict | None = None, bound: dict | None = None,
                         band: bool = True, title: str = "Gradient norm ||dL/dh_t|| (log scale)",
                         lang: str = "en", highway: dict | None = None, quantity: str = "||dL/dh_t||",
                         cells: dict | None = None) -> go.Figure:
    """grad_h: label -> (B, T) ||dL_b/dh_t||; grad_c: label -> (B, T) or None; bound: label -> (T,) or None;
    highway: label -> (B, T) or None, the direct path alone (models/paths.py), dash-dot.
    quantity: what grad_h holds, for the legend and the y axis (e.g. "||dL/dx_t||" for the connectivity view).
    cells: label -> cell, for the bound's formula in the legend (BOUND_FORMULA; the vanilla RNN's by default)."""
    grad_c, bound, highway, cells = grad_c or {}, bound or {}, highway or {}, cells or {}
    stats = {k: batch_stats(v) for k, v in grad_h.items()}
    c_means = {k: batch_stats(v)[0] for k, v in grad_c.items() if v is not None}
    h_means = {k: batch_stats(v)[0] for k, v in highway.items() if v is not None}
    floor, ceiling = decade_bounds([s[0] for s in stats.values()] + [s[1] for s in stats.values()]
                                   + list(c_means.values()) + list(h_means.values()))
    traces, shapes, notes = [], [], []

    def add(parts):
        traces.extend(parts[0]), shapes.extend(parts[1]), notes.extend(parts[2])

    for label, (mean, lo, hi) in stats.items():
        t, color = np.arange(1, mean.size + 1), colors[label]
        if band:
            traces.extend(_band(t, lo, hi, label, color, lang))
        traces.append(trace("scatter", x=t, y=mean, mode="lines", name=f"{label} {quantity}", legendgroup=label,
                            line={"color": color, "width": 3}))
        add(marks(mean, f"{label} {quantity.strip('|').removesuffix('_t')}", color, floor, ceiling, lang=lang))
        if label in c_means:
            traces.append(trace("scatter", x=t, y=c_means[label], mode="lines", name=f"{label} ||dL/dc_t||",
                                legendgroup=label, line={"color": color, "width": 2, "dash": "dot"}))
            add(marks(c_means[label], f"{label} dL/dc", color, floor, ceiling, lang=lang))
        if label in h_means:
            traces.append(trace("scatter", x=t, y=h_means[label], mode="lines", legendgroup=label,
                                name=f"{label} {word('direct path only', lang)}",
                                line={"color": color, "width": 2, "dash": "dashdot"}))
            add(marks(h_means[label], f"{label} {word('direct path', lang)}", color, floor, ceiling, lang=lang))
        if bound.get(label) is not None:
            traces.append(trace("scatter", x=t, y=np.asarray(bound[label], dtype=np.float64), mode="lines",
                                name=f"{label} {word('bound', lang)} {BOUND_FORMULA.get(cells.get(label), BOUND_FORMULA['rnn'])}",
                                legendgroup=label, line={"color": color, "width": 2, "dash": "dash"}))
    seq_len = max((s[0].size for s in stats.values()), default=1)
    layout = {"xaxis": time_axis(seq_len, lang=lang), "yaxis": log_axis(floor, ceiling, quantity),
              "shapes": shapes, "annotations": notes}
    return figure(traces, layout, title)
