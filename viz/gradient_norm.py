"""View 1: gradient norm ||dL/dh_t|| against timestep on a log axis, one colour per run.

For each label: batch mean line with a min-max band over the batch, the LSTM's ||dL/dc_t|| as a
dotted second line, and the vanilla RNN's bound (gamma ||W_hh||)^(T-t) dashed. Zeros and
inf/NaN are marked on the axis floor/ceiling (see `viz.marks`).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .marks import decade_bounds, log_axis, marks
from .style import figure, rgba, time_axis


def batch_stats(a) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(B, T) -> mean, min, max over the batch, each (T,). inf/NaN propagate so they get marked."""
    a = np.asarray(a, dtype=np.float64)
    return a.mean(axis=0), a.min(axis=0), a.max(axis=0)


def _band(t, lo, hi, name: str, color: str) -> list:
    """Min-max band: an invisible lower edge, then the upper edge filled down to it."""
    return [go.Scatter(x=t, y=lo, mode="lines", line={"width": 0}, showlegend=False, legendgroup=name,
                       name=f"{name} min", hoverinfo="skip"),
            go.Scatter(x=t, y=hi, mode="lines", line={"width": 0}, fill="tonexty", fillcolor=rgba(color, 0.2),
                       legendgroup=name, name=f"{name} min-max band", hoverinfo="skip")]


def gradient_norm_figure(grad_h: dict, colors: dict, grad_c: dict | None = None, bound: dict | None = None,
                         band: bool = True, title: str = "Gradient norm ||dL/dh_t|| (log scale)") -> go.Figure:
    """grad_h: label -> (B, T) ||dL_b/dh_t||; grad_c: label -> (B, T) or None; bound: label -> (T,) or None."""
    grad_c, bound = grad_c or {}, bound or {}
    stats = {k: batch_stats(v) for k, v in grad_h.items()}
    c_means = {k: batch_stats(v)[0] for k, v in grad_c.items() if v is not None}
    floor, ceiling = decade_bounds([s[0] for s in stats.values()] + [s[1] for s in stats.values()]
                                   + list(c_means.values()))
    traces, shapes, notes = [], [], []

    def add(parts):
        traces.extend(parts[0]), shapes.extend(parts[1]), notes.extend(parts[2])

    for label, (mean, lo, hi) in stats.items():
        t, color = np.arange(1, mean.size + 1), colors[label]
        if band:
            traces.extend(_band(t, lo, hi, label, color))
        traces.append(go.Scatter(x=t, y=mean, mode="lines", name=f"{label} ||dL/dh_t||", legendgroup=label,
                                 line={"color": color, "width": 3}))
        add(marks(mean, f"{label} dL/dh", color, floor, ceiling))
        if label in c_means:
            traces.append(go.Scatter(x=t, y=c_means[label], mode="lines", name=f"{label} ||dL/dc_t||",
                                     legendgroup=label, line={"color": color, "width": 2, "dash": "dot"}))
            add(marks(c_means[label], f"{label} dL/dc", color, floor, ceiling))
        if bound.get(label) is not None:
            traces.append(go.Scatter(x=t, y=np.asarray(bound[label], dtype=np.float64), mode="lines",
                                     name=f"{label} bound (γ||W_hh||)^(T-t)", legendgroup=label,
                                     line={"color": color, "width": 2, "dash": "dash"}))
    seq_len = max((s[0].size for s in stats.values()), default=1)
    layout = {"xaxis": time_axis(seq_len), "yaxis": log_axis(floor, ceiling, "||dL/dh_t||"),
              "shapes": shapes, "annotations": notes}
    return figure(traces, layout, title)
