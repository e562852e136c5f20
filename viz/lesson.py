"""The lesson's own figures (ui.lesson): the toy RNN unrolled, clipping, parameter counts.

Pure: numbers in, `plotly.graph_objects.Figure` out; texts through `viz.text.word` in `lang`.
Every other chapter reuses the explorer's builders (gradient norm, paths, contributions, ...).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .marks import decade_bounds, log_axis
from .style import CELL_COLORS, CELL_NAMES, SPARE_COLORS, figure, time_axis, trace
from .text import word
from .training import curves_figure

TOY_COLORS = {"x_t": "#999999", "s_t": "#0072B2", "o_t": "#D55E00"}


def _vec(v) -> str:
    return "[" + ", ".join(f"{x:g}" for x in v) + "]"


def toy_rnn_figure(toy: dict, step: int, title: str, lang: str = "en") -> go.Figure:
    """toy: models.examples.toy_rnn_example() (inputs, hidden, outputs per t). Bars of the first component
    of x_t, s_t and o_t for t = 1..step (both components are equal), each labelled with its whole vector."""
    T = len(toy["inputs"])
    t = np.arange(1, T + 1)
    traces = []
    for key, name in (("inputs", "x_t"), ("hidden", "s_t"), ("outputs", "o_t")):
        vecs = toy[key]
        y = [vecs[i][0] if i < step else None for i in range(T)]
        text = [_vec(vecs[i]) if i < step else "" for i in range(T)]
        label = name if lang == "en" else f"{name}({word(name, lang)})"
        traces.append(trace("bar", x=t, y=y, name=label, text=text, textposition="outside", constraintext="none",
                            marker={"color": TOY_COLORS[name]}, cliponaxis=False,
                            hovertemplate=f"t=%{{x}}<br>{name} = %{{text}}<extra></extra>"))
    top = max(max(v) for key in ("inputs", "hidden", "outputs") for v in toy[key])
    layout = {"barmode": "group", "xaxis": {**time_axis(T, lang=lang), "dtick": 1},
              "yaxis": {"title": {"text": word("first component", lang)}, "range": [0, top * 1.25]}}
    return figure(traces, layout, title, height=420)


def clipping_figure(steps, factor: float, threshold: float, title: str, lang: str = "en") -> go.Figure:
    """steps: (T,) ||C_t||_F, the pieces of g = dL/dW_hh; after clipping each is factor * ||C_t||."""
    before = np.asarray(steps, dtype=np.float64)
    after = before * factor
    t = np.arange(1, before.size + 1)
    floor, ceiling = decade_bounds([before[1:], after[1:]])  # C_1 = 0 (h_0 = 0): left off the axis range
    traces = [trace("scatter", x=t[1:], y=before[1:], mode="lines", name=word("before clipping", lang),
                    line={"color": CELL_COLORS["rnn"], "width": 3}),
              trace("scatter", x=t[1:], y=after[1:], mode="lines", name=f"{word('after clipping at', lang)} {threshold:g}",
                    line={"color": CELL_COLORS["lstm"], "width": 3, "dash": "dash"})]
    layout = {"xaxis": time_axis(before.size, lang=lang), "yaxis": log_axis(floor, ceiling, "||C_t||_F"),
              "legend": {"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0}}
    return figure(traces, layout, title, height=420)


def parameter_figure(counts: dict, title: str, lang: str = "en") -> go.Figure:
    """counts: cell -> {"seed": G(n(m+n)+n), the tutorial's count, "pytorch": PyTorch's}. Grouped bars, numbers on them."""
    cells = list(counts)
    names = [CELL_NAMES.get(c, c) for c in cells]
    traces = [trace("bar", x=names, y=[counts[c][key] for c in cells], name=label,
                    text=[f"{counts[c][key]:,}" for c in cells], textposition="outside", constraintext="none",
                    cliponaxis=False, marker={"color": color})
              for key, label, color in (("seed", word("one bias per gate: G(n(m+n)+n)", lang), SPARE_COLORS[5]),
                                        ("pytorch", word("PyTorch", lang), CELL_COLORS["lstm"]))]
    top = max(v["pytorch"] for v in counts.values())
    layout = {"barmode": "group", "yaxis": {"title": {"text": word("parameters", lang)}, "range": [0, top * 1.2]},
              "hovermode": "closest"}
    return figure(traces, layout, title, height=420)


def training_comparison_figure(loss: dict, baseline: float, reported: tuple, title: str, max_step: int = 4000,
                               lang: str = "en") -> go.Figure:
    """loss: cell -> (S,) training MSE per step (this run); reported: boxes {cell, steps, mse, what} read from a
    paper's figure, drawn as outlined rectangles in the cell's colour and labelled as reported."""
    fig = curves_figure(loss, title, "MSE", log_y=True, hline=baseline,
                        hline_label=word("predicting 1: MSE 1/6", lang), lang=lang)
    for box in reported:
        color = CELL_COLORS.get(box["cell"], "#666666")
        (x0, x1), (y0, y1) = box["steps"], box["mse"]
        fig.add_shape(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, line={"color": color, "width": 3, "dash": "dot"},
                      fillcolor=color, opacity=0.15, layer="below")
        right = x1 >= 0.75 * max_step  # a label near the right edge ends at its box, so it is not cut off
        fig.add_annotation(x=x1 if right else x0, xanchor="right" if right else "left", y=float(np.log10(y0)),
                           text=word(box["what"], lang), showarrow=False, yanchor="top", font={"color": color})
    longest = max((np.asarray(v).size for v in loss.values()), default=0)
    fig.update_layout(xaxis={"range": [0, max(max_step, longest)]}, yaxis={"range": loss_range(fig.data), "dtick": 1})
    return fig


def loss_range(traces, floor: float = -2.5, ceiling: float = 0.3) -> list[float]:
    """log10 y range [floor, ceiling], widened by half-decade steps to hold every drawn (finite, positive) value:
    a GRU that falls below 10^-2.5 stays on the chart."""
    ys = [np.asarray(t.y, dtype=np.float64) for t in traces if t.y is not None and len(t.y)]
    ys = np.concatenate(ys) if ys else np.array([])
    ys = ys[np.isfinite(ys) & (ys > 0)]
    if ys.size:
        floor = min(floor, np.floor(2 * np.log10(ys.min()) - 0.2) / 2)
        ceiling = max(ceiling, np.ceil(2 * np.log10(ys.max()) + 0.2) / 2)
    return [float(floor), float(ceiling)]
