"""View 3: gate activations of one gated cell over time, on the same time axis as view 1.

Top row: each gate's mean over batch and units against t, so "forget gate near 1 <-> flat
gradient" can be read against the gradient plot. Below: one heatmap (timestep x unit, batch mean)
per gate. Sigmoid gates share a 0..1 Viridis scale; the tanh candidates (LSTM `cell` g_t,
GRU `new` n_t) share a -1..1 scale.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .binning import MAX_N, MAX_T, block_mean, compact
from .layout import axes, axis_suffix, grid
from .style import GATE_COLORS, HEATMAP_SCALE, figure, time_axis, trace
from .text import word

TANH_GATES = ("cell", "new")  # candidates, in (-1, 1); every other gate is a sigmoid, in (0, 1)


def gate_figure(gates: dict, title: str, max_t: int = MAX_T, max_n: int = MAX_N, lang: str = "en") -> go.Figure:
    """gates: name -> (B, T, H) activations. Row 1: mean over (B, H) per gate; rows 2..: mean over B."""
    names = list(gates)
    rows = len(names) + 1
    layout = grid(rows, 1, titles=[word("mean gate value", lang)]
                  + [f"{word(n, lang)}{word(' gate (batch mean)', lang)}" for n in names],
                  row_heights=[1.6] + [1.0] * len(names), vgap=0.05, shared_x=True)
    traces, seq_len = [], 1
    for row, name in enumerate(names, start=2):
        g = np.asarray(gates[name], dtype=np.float64)  # (B, T, H)
        seq_len = g.shape[1]
        traces.append(trace("scatter", x=np.arange(1, seq_len + 1), y=compact(g.mean(axis=(0, 2))), mode="lines",
                            name=word(name, lang), line={"color": GATE_COLORS.get(name, "#000000"), "width": 3},
                            **axes(1)))
        z, t, n = block_mean(g.mean(axis=0), max_t, max_n)  # (bins_t, bins_h)
        traces.append(trace(
            "heatmap", x=compact(t), y=compact(n), z=compact(z.T),
            coloraxis="coloraxis2" if name in TANH_GATES else "coloraxis",
            name=word(name, lang),
            showlegend=False,
            hovertemplate=f"t=%{{x}}<br>{word('unit', lang)} %{{y}}<br>{word(name, lang)}=%{{z:.3f}}<extra></extra>",
            **axes(row)))
        layout[f"yaxis{axis_suffix(row, 1)}"]["title"] = {"text": word("unit", lang)}
    layout["xaxis"].update(time_axis(seq_len, title=False))
    layout[f"xaxis{axis_suffix(rows, 1)}"]["title"] = {"text": word("timestep t", lang)}
    layout["yaxis"]["title"] = {"text": word("gate", lang)}
    layout["coloraxis"] = {"colorscale": HEATMAP_SCALE, "cmin": 0.0, "cmax": 1.0,
                           "colorbar": {"title": {"text": word("σ gates", lang)}, "y": 0.45, "len": 0.4}}
    layout["coloraxis2"] = {"colorscale": HEATMAP_SCALE, "cmin": -1.0, "cmax": 1.0,
                            "colorbar": {"title": {"text": "tanh"}, "y": 0.1, "len": 0.25}}
    top = layout["yaxis"]["domain"][1]
    layout["legend"] = {"orientation": "v", "x": 1.02, "xanchor": "left", "y": top, "yanchor": "top"}
    layout["hovermode"] = "closest"  # one heatmap cell at a time, not every row at this t
    return figure(traces, layout, title, height=260 + 140 * len(names))
