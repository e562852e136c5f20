"""View 4: the per-step pieces of backpropagation through time.

Top: ||C_t||_F, step t's contribution to dL/dW_hh = sum_t C_t (the "sum of T sub-gradients"),
drawn from t = 2: C_1 = delta_1 h_0^T is 0 by construction (h_0 = 0), not an underflow.
Bottom: the per-step Jacobian norm ||dh_t/dh_{t-1}||_2; a product of factors below 1 vanishes,
above 1 explodes, so a dotted reference line sits at 1.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .layout import axes, axis_suffix, grid
from .marks import decade_bounds, log_axis, marks
from .style import figure, time_axis, trace
from .text import word


def contributions_figure(grad_w_steps: dict, jacobian_norm: dict, colors: dict,
                         title: str = "Per-step contributions to dL/dW_hh and Jacobian norms",
                         lang: str = "en") -> go.Figure:
    """grad_w_steps, jacobian_norm: label -> (T,). Both rows log y; zeros and inf/NaN marked."""
    layout = grid(2, 1, titles=[word("||C_t||_F: step t's share of dL/dW_hh (C_1 = 0: h_0 = 0)", lang),
                                f"||dh_t/dh_{{t-1}}||_2{word(' (batch mean)', lang)}"],
                  vgap=0.14, shared_x=True)
    traces, shapes, notes, seq_len = [], [], [], 1
    for row, series, t0 in ((1, grad_w_steps, 2), (2, jacobian_norm, 1)):
        series = {k: np.asarray(v, dtype=np.float64)[t0 - 1:] for k, v in series.items()}  # y[i] is t = t0 + i
        floor, ceiling = decade_bounds(list(series.values()) + ([np.ones(1)] if row == 2 else []))
        ax = axes(row)
        for label, y in series.items():
            seq_len = max(seq_len, y.size + t0 - 1)
            traces.append(trace("scatter", x=np.arange(t0, t0 + y.size), y=y, mode="lines", name=label, legendgroup=label,
                                showlegend=row == 1, line={"color": colors[label], "width": 3}, **ax))
            parts = marks(y, label, colors[label], floor, ceiling, t0=t0, lang=lang, **ax)
            traces.extend(parts[0]), shapes.extend(parts[1]), notes.extend(parts[2])
        layout[f"yaxis{axis_suffix(row, 1)}"].update(log_axis(floor, ceiling))
    shapes.append({"type": "line", "xref": "x2 domain", "yref": "y2", "x0": 0, "x1": 1, "y0": 1.0, "y1": 1.0,
                   "line": {"dash": "dot", "color": "#555555"}})
    layout["xaxis"].update(time_axis(seq_len, title=False))
    layout["xaxis2"]["title"] = {"text": word("timestep t", lang)}
    layout["shapes"], layout["annotations"] = shapes, layout["annotations"] + notes
    return figure(traces, layout, title, height=560)
