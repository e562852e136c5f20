"""View 5's figure: the decay example of “从 RNN 到 LSTM”, base^k for k = 0..steps on a log axis.

The seed (000) says 0.8^50 = 0.00001427247: a factor a little below 1, multiplied once per
timestep, leaves almost nothing after 50 steps. The final value is written on the plot.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import figure, trace
from .text import word


def decay_figure(curve, base: float, title: str | None = None, lang: str = "en") -> go.Figure:
    """curve: (steps + 1,) values base^k for k = 0..steps, as computed by the caller."""
    y = np.asarray(curve, dtype=np.float64)
    k = np.arange(y.size)
    curve_trace = trace("scatter", x=k, y=y, mode="lines+markers", name=f"{base}^k", line={"width": 3}, marker={"size": 5})
    note = {"x": int(k[-1]), "y": float(np.log10(y[-1])) if y[-1] > 0 else 0.0, "showarrow": True, "arrowhead": 2,
            "ax": -90, "ay": 40, "bgcolor": "rgba(255, 255, 255, 0.8)", "text": f"{base}^{k[-1]} = {y[-1]:.6g}"}
    layout = {"xaxis": {"title": {"text": word("k (steps)", lang)}},
              "yaxis": {"type": "log", "exponentformat": "power", "title": {"text": f"{base}^k"}},
              "annotations": [note], "showlegend": False}
    return figure([curve_trace], layout, title or f"{base}^k: {word('a factor below 1, repeated', lang)}", height=360)
