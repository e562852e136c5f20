"""Chapter 3's figure: Pascanu, Mikolov & Bengio (2013)'s error wall, and what clipping does to g's pieces.

`wall_figure(surface, runs, threshold, pieces, title, lang)`: left, the one-unit RNN's error E_50 over (w, b)
(`models.wall.surface`) as filled contours, with two gradient-descent runs from one start
(`models.wall.clipping_runs`): without clipping (solid) and clipped at τ (dashed), the longest unclipped step
drawn as an arrow. Right, the linear RNN's pieces ||C_t|| of g = dL/dW_hh before and after clipping at the
same τ (`viz.lesson.clipping_figure`'s traces). One legend serves both: the unclipped run and the pieces
before clipping share a colour, the clipped run and the pieces after it another. Pure: arrays in, Figure out.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .layout import grid
from .mathtext import math_html, tex_number
from .lesson import clipping_figure
from .style import CELL_COLORS, HEATMAP_SCALE, figure
from .text import word

UNCLIPPED, CLIPPED = CELL_COLORS["rnn"], CELL_COLORS["lstm"]
WALL_SHARE = 0.58  # of the figure's width: the contour panel; the pieces take the rest
FLOOR = -4  # colour scale: log10 E_50 from 1e-4 (the valley, dark) to 1
PLATEAUS = ((2.5, -4.5), (7.5, 4.0))  # (w, b) where the two flat regions are labelled with their error


def _run(path, name: str, color: str, dash: str, group: str) -> go.Scatter:
    return go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers", name=name, legendgroup=group,
                      line={"color": color, "width": 3, "dash": dash}, marker={"color": color, "size": 6},
                      hovertemplate="w = %{x:.3f}<br>b = %{y:.3f}<extra>" + name + "</extra>")


def _labels(surface: dict, end, end_error: float, lang: str) -> list[dict]:
    """The error written where it is read: on the two plateaus (from the grid) and at the clipped run's end."""
    w, b, error = np.asarray(surface["w"]), np.asarray(surface["b"]), np.asarray(surface["error"])
    box = {"showarrow": False, "xref": "x", "yref": "y", "bgcolor": "rgba(255,255,255,0.75)", "borderpad": 2}
    out = [{**box, "x": x, "y": y, "text": f"E = {error[np.abs(b - y).argmin(), np.abs(w - x).argmin()]:.2f}"}
           for x, y in PLATEAUS]
    out.append({**box, "x": end[0], "y": end[1], "text": f"E = {math_html(tex_number(end_error, 2))}", "showarrow": True,
                "arrowhead": 0, "ax": -60, "ay": -40, "axref": "pixel", "ayref": "pixel", "font": {"color": CLIPPED}})
    return out


def wall_figure(surface: dict, runs: dict, threshold: float, pieces: dict, title: str, lang: str = "en",
                height: int = 460) -> go.Figure:
    """surface: w (n_w,), b (n_b,), error (n_b, n_w). runs: "unclipped"/"clipped" -> path (S+1, 2) and jump
    (the longest step: from, to, length). pieces: steps (T,) ||C_t||_F and factor, the linear RNN's clipping."""
    plain, cut = word("no clipping", lang), f"{word('clipped at τ =', lang)} {threshold:g}"
    error = np.asarray(surface["error"], dtype=np.float64)
    log_error = np.log10(np.maximum(error, 10.0 ** FLOOR)).astype(np.float32)  # float32: half the bytes to send
    contour = go.Contour(x=surface["w"], y=surface["b"], z=log_error, customdata=error.astype(np.float32),
                         colorscale=HEATMAP_SCALE, zmin=FLOOR, zmax=0,
                         contours={"start": FLOOR, "end": 0, "size": 0.5}, line={"width": 0.5, "color": "rgba(0,0,0,0.3)"},
                         showscale=False,
                         hovertemplate="w = %{x:.2f}<br>b = %{y:.2f}<br>E<sub>50</sub> = %{customdata:.3g}<extra></extra>")
    start = runs["unclipped"]["path"][0]
    traces = [contour, _run(runs["unclipped"]["path"], plain, UNCLIPPED, "solid", "plain"),
              _run(runs["clipped"]["path"], cut, CLIPPED, "dash", "cut"),
              go.Scatter(x=[start[0]], y=[start[1]], mode="markers", showlegend=False, hoverinfo="skip",
                         marker={"symbol": "star", "size": 16, "color": "white", "line": {"color": "black", "width": 1}})]
    side = clipping_figure(pieces["steps"], pieces["factor"], threshold, title="", lang=lang)
    for trace, name, group in zip(side.data, (plain, cut), ("plain", "cut")):
        trace.update(xaxis="x2", yaxis="y2", name=name, legendgroup=group, showlegend=False)
        traces.append(trace)
    layout = grid(1, 2, titles=(word("error E_50(w, b) of the one-unit RNN", lang), word("linear RNN: ||C_t||", lang)))
    layout["xaxis"].update(domain=[0, WALL_SHARE], range=[surface["w"][0], surface["w"][-1]],
                           title={"text": "w"})
    layout["yaxis"].update(range=[surface["b"][0], surface["b"][-1]], title={"text": "b"})
    layout["xaxis2"].update(domain=[WALL_SHARE + 0.12, 1.0], **side.layout.xaxis.to_plotly_json())
    layout["yaxis2"].update({k: v for k, v in side.layout.yaxis.to_plotly_json().items() if k != "title"})
    jump = runs["unclipped"]["jump"]
    layout["annotations"] = list(layout["annotations"]) + [
        {"x": jump["to"][0], "y": jump["to"][1], "ax": jump["from"][0], "ay": jump["from"][1], "xref": "x", "yref": "y",
         "axref": "x", "ayref": "y", "showarrow": True, "arrowhead": 3, "arrowwidth": 3, "arrowcolor": UNCLIPPED,
         "text": ""}] + _labels(surface, runs["clipped"]["path"][-1], runs["clipped"]["error"][-1], lang)
    layout["hovermode"] = "closest"
    return figure(traces, layout, title, height=height)
