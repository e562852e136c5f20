"""Phase diagrams: where the gradient survives, as a heatmap per cell over (weight scale x T, forget bias or init).

    grids = phase_grids(table, cells, y="seq_len", colour="log10_grad_first")  # plain numbers, JSON-able
    fig = phase_figure(grids, lang="en")

`table` is a sweep table (models.sweep): one row per (configuration, seed); seeds and repeated rows
are averaged. Colour is log10 ||dL/dh_1|| or the horizon (steps back from T before ||dL/dh_t|| < 1e-3),
on one Viridis scale shared by every cell. Underflow (a gradient of exactly 0) takes the bottom colour
and says so on hover; overflowed points are left grey and marked x. For the vanilla RNN the line
gamma ||W_hh|| = 1 (Pascanu et al. 2013: below it the gradient must vanish) is drawn where it falls
inside the x range. Columns and rows are drawn by index (x = 0..nx-1, y = 0..ny-1, labelled with the
values), so every point has the same size. Each point carries an invisible marker whose customdata is
(cell, weight scale, y value): a click selects exactly one configuration.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .layout import axes, axis_suffix, grid
from .style import CELL_COLORS, CELL_NAMES, HEATMAP_SCALE, figure
from .text import colon, word

Y_AXES = {"seq_len": "sequence length T", "forget_bias": "LSTM forget-gate bias", "init": "W_hh init"}
COLOURS = {"log10_grad_first": "||dL/dh_1|| (log scale)", "horizon": "horizon: steps until ||dL/dh_t|| < 1e-3"}
X_TITLE = "recurrent weight scale ||W_hh||"
LINE_NAME = "γ||W_hh|| = 1"
OVERFLOW = "overflow (inf/NaN)"
COLOUR_DECADES = 30  # log10 colours are clipped to [-30, 30]: an exploding RNN would squeeze everything else
HOVER_COLUMNS = ("log10_grad_first", "horizon", "decay_per_step", "log10_grad_c_first", "horizon_c", "gamma_w_norm")


def _label(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float, np.integer, np.floating)) else str(value)


def _crossing(x: np.ndarray, g: np.ndarray) -> float | None:
    """The x where g (gamma ||W_hh|| along x) reaches 1, by linear interpolation; None outside the range."""
    for i in range(len(x) - 1):
        a, b = g[i] - 1.0, g[i + 1] - 1.0
        if a == 0:
            return float(x[i])
        if np.isfinite(a) and np.isfinite(b) and a * b < 0:
            return float(x[i] + (x[i + 1] - x[i]) * a / (a - b))
    return float(x[-1]) if len(x) and g[-1] == 1.0 else None


def _means(rows, y: str, xs: list, ys: list, columns) -> dict[str, list[list]]:
    """column -> (len(ys), len(xs)) seed means, None where there is no value (NaN skipped; -inf, an
    underflow to exactly 0, is kept: the mean of -inf and anything finite is -inf)."""
    means = rows.groupby([y, "weight_scale"])[list(columns)].mean().reindex(pd.MultiIndex.from_product([ys, xs]))
    shape = (len(ys), len(xs))
    return {c: [[None if np.isnan(v) else float(v) for v in row] for row in means[c].to_numpy().reshape(shape)]
            for c in columns}


def phase_grids(table, cells, y: str = "seq_len", colour: str = "log10_grad_first") -> dict:
    """The diagram's numbers: per cell x (weight scales), y values, colour z (ny, nx), hover columns,
    overflow flags, and the RNN's gamma ||W_hh|| = 1 crossing per row. JSON-able (None for no value)."""
    if y not in Y_AXES or colour not in COLOURS:
        raise ValueError(f"y must be one of {', '.join(Y_AXES)} and colour one of {', '.join(COLOURS)}")
    out = {"x_axis": "weight_scale", "y_axis": y, "colour": colour, "cells": {}}
    for cell in cells:
        rows = table[table["cell"] == cell]
        if rows.empty:
            continue
        xs = sorted(rows["weight_scale"].unique().tolist())
        ys = sorted(rows[y].unique().tolist(), key=lambda v: (str(type(v)), v))
        if y == "init":
            order = ("orthogonal", "identity", "gaussian", "pytorch")
            ys = sorted(ys, key=lambda v: order.index(v) if v in order else len(order))
        hover = _means(rows.assign(overflow=rows["nonfinite"] >= 0), y, xs, ys,
                       [c for c in HOVER_COLUMNS if c in rows] + ["overflow"])
        overflow = hover.pop("overflow")
        entry = {"x": [float(v) for v in xs], "y": [v if isinstance(v, str) else float(v) for v in ys],
                 "y_labels": [_label(v) for v in ys], "seeds": int(rows["seed"].nunique()),
                 "z": hover[colour], "hover": hover,
                 "overflow": [[bool(v) for v in row] for row in overflow]}  # any seed overflowed
        if cell in ("rnn", "indrnn") and "gamma_w_norm" in rows:  # IndRNN: W_hh = diag(u), gamma max|u|
            g = np.array(entry["hover"]["gamma_w_norm"], dtype=np.float64)
            entry["line"] = [[_crossing(np.array(xs), g[i]), i] for i in range(len(ys))]
            entry["line"] = [p for p in entry["line"] if p[0] is not None]
        out["cells"][cell] = entry
    return out


def _decades(lo: float, hi: float) -> dict:
    """Colour-bar ticks at multiples of 1, 2, 5 or 10 decades (at most 8), '≤'/'≥' at a clipped end."""
    step = next(s for s in (1, 2, 5, 10, 20) if (hi - lo) / s <= 7)
    vals = list(range(math.ceil(lo / step) * step, math.floor(hi) + 1, step))
    mark = lambda v: ("≤" if v <= -COLOUR_DECADES else "≥" if v >= COLOUR_DECADES else "")
    return {"tickvals": vals, "ticktext": [mark(v) + ("1" if v == 0 else f"1e{v}") for v in vals]}


def _x_ticks(xs: list, most: int = 7) -> list[int]:
    """Columns to label: the round scales (multiples of 0.5) when there are a few, else every k-th."""
    round_ = [j for j, v in enumerate(xs) if abs(v * 2 - round(v * 2)) < 1e-9]
    if not 3 <= len(round_) <= most:
        return list(range(0, len(xs), math.ceil(len(xs) / most)))
    gap = max(1, round(len(xs) / most))  # labels at least this many columns apart, so none overlap
    kept = [0] if round_[0] >= gap else []
    for j in round_:
        if not kept or j - kept[-1] >= gap:
            kept.append(j)
    if kept[-1] != round_[-1] and round_[-1] - kept[-1] < gap:
        kept[-1] = round_[-1]  # the largest scale is worth its label
    return kept


def _fmt(v, digits: int = 2) -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and math.isinf(v):
        return "-inf" if v < 0 else "inf"
    return f"{v:.{digits}f}"


def _hover(entry: dict, i: int, j: int, y_title: str, lang: str) -> str:
    h = entry["hover"]
    g1 = h["log10_grad_first"][i][j]
    zero = g1 is not None and math.isinf(g1) and g1 < 0
    lines = [f"{word(X_TITLE, lang)} = {entry['x'][j]:g}", f"{y_title} = {entry['y_labels'][i]}",
             f"log10 ||dL/dh_1|| = {_fmt(g1)}" + (f" ({word('value is 0, below the float range', lang)})" if zero else ""),
             f"{word('horizon', lang)} = {_fmt(h['horizon'][i][j], 0)} {word('steps', lang)}",
             f"{word('decay per step', lang)} = {_fmt(h['decay_per_step'][i][j], 4)} (log10)"]
    if h.get("log10_grad_c_first") and h["log10_grad_c_first"][i][j] is not None:
        lines += [f"log10 ||dL/dc_1|| = {_fmt(h['log10_grad_c_first'][i][j])}",
                  f"{word('horizon', lang)} (c) = {_fmt(h['horizon_c'][i][j], 0)} {word('steps', lang)}"]
    if h.get("gamma_w_norm") and h["gamma_w_norm"][i][j] is not None:
        lines.append(f"γ||W_hh|| = {_fmt(h['gamma_w_norm'][i][j], 3)}")
    if entry["overflow"][i][j]:
        lines.append(word(OVERFLOW, lang))
    if entry["seeds"] > 1:
        lines.append(f"{word('mean of', lang)} {entry['seeds']} seeds" if lang == "en" else f"{entry['seeds']} 个种子的平均")
    return "<br>".join(lines)


def phase_figure(grids: dict, title: str | None = None, lang: str = "en", height: int = 460) -> go.Figure:
    """One heatmap per cell side by side, one shared colour bar; click markers carry (cell, x, y index)."""
    cells = list(grids["cells"])
    y_title, colour = word(Y_AXES[grids["y_axis"]], lang), grids["colour"]
    layout = grid(1, max(len(cells), 1), titles=[CELL_NAMES.get(c, c) for c in cells], shared_y=True, hgap=0.05)
    traces, finite, line_shown, overflow_shown = [], [], False, False
    for col, cell in enumerate(cells, start=1):
        e = grids["cells"][cell]
        place = axes(1, col, len(cells))
        z = np.array([[np.nan if v is None else v for v in row] for row in e["z"]], dtype=np.float64)
        z[np.array(e["overflow"])] = np.nan  # an overflowed probe's summary is not a value to colour
        finite.append(z[np.isfinite(z)])
        ny, nx = z.shape
        # columns and rows by index, all the same size: a grid dense near ||W_hh|| = 1 stays readable
        traces.append(go.Heatmap(x=list(range(nx)), y=list(range(ny)), z=z, coloraxis="coloraxis",
                                 hoverinfo="skip", name=CELL_NAMES.get(cell, cell), **place))
        xx, yy = np.meshgrid(np.arange(nx), np.arange(ny))  # (ny, nx)
        traces.append(go.Scatter(
            x=xx.ravel(), y=yy.ravel(), mode="markers", meta=cell, showlegend=False, name=CELL_NAMES.get(cell, cell),
            customdata=[[cell, e["x"][j], e["y"][i]] for i in range(ny) for j in range(nx)],
            text=[_hover(e, i, j, y_title, lang) for i in range(ny) for j in range(nx)],
            hovertemplate="%{text}<extra>" + CELL_NAMES.get(cell, cell) + "</extra>",
            marker={"symbol": "square-open", "size": 14, "color": "white", "opacity": 0, "line": {"width": 3}},
            selected={"marker": {"opacity": 1}}, unselected={"marker": {"opacity": 0}}, **place))
        bad = [(j, i) for i in range(ny) for j in range(nx) if e["overflow"][i][j]]
        if bad:
            traces.append(go.Scatter(x=[b[0] for b in bad], y=[b[1] for b in bad], mode="markers", hoverinfo="skip",
                                     name=word(OVERFLOW, lang), legendgroup="overflow", showlegend=not overflow_shown,
                                     marker={"symbol": "x-thin", "size": 9, "color": "#222222", "line": {"width": 2}},
                                     **place))
            overflow_shown = True
        if e.get("line"):
            pts = sorted(([float(np.interp(x, e["x"], np.arange(nx))), i] for x, i in e["line"]), key=lambda p: p[1])
            xs = [pts[0][0]] + [p[0] for p in pts] + [pts[-1][0]]
            ys = [pts[0][1] - 0.5] + [p[1] for p in pts] + [pts[-1][1] + 0.5]
            traces.append(go.Scatter(x=xs, y=ys, mode="lines", name=LINE_NAME, hoverinfo="skip",
                                     line={"color": CELL_COLORS["rnn"], "width": 4, "dash": "dash"}, showlegend=not line_shown,
                                     **place))
            line_shown = True
        s = axis_suffix(1, col, len(cells))
        ticks = _x_ticks(e["x"])
        layout[f"xaxis{s}"].update({"title": {"text": word(X_TITLE, lang)} if col == (len(cells) + 1) // 2 else None,
                                    "tickvals": ticks, "ticktext": [f"{e['x'][j]:g}" for j in ticks], "tickangle": 0,
                                    "showgrid": False, "zeroline": False, "range": [-0.5, nx - 0.5]})
        layout[f"yaxis{s}"].update({"tickvals": list(range(ny)), "ticktext": e["y_labels"], "showgrid": False,
                                    "zeroline": False, "range": [-0.5, ny - 0.5]})
    layout.setdefault("yaxis", {})["title"] = {"text": y_title}
    values = np.concatenate(finite) if finite else np.array([])
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    if colour == "log10_grad_first":
        lo, hi = max(lo, -COLOUR_DECADES), min(hi, COLOUR_DECADES)  # beyond: the end colours, exact on hover
        for trace in traces:  # an underflow to exactly 0 (log10 = -inf) takes the bottom colour
            if isinstance(trace, go.Heatmap):
                z = np.array(trace.z, dtype=np.float64)
                z[np.isneginf(z)] = lo
                trace.z = z
        bar = {"title": {"text": word(COLOURS[colour], lang), "side": "right"}, **_decades(lo, max(hi, lo + 1))}
    else:
        bar = {"title": {"text": word(COLOURS[colour], lang), "side": "right"}}
    bar.update({"thickness": 22, "tickfont": {"size": 16}, "len": 1.0})
    layout["coloraxis"] = {"colorscale": HEATMAP_SCALE, "cmin": lo, "cmax": hi if hi > lo else lo + 1, "colorbar": bar}
    layout.update({"hovermode": "closest", "hoverdistance": 40, "plot_bgcolor": "#BBBBBB",
                   "legend": {"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0}, "clickmode": "event+select",
                   "margin": {"l": 80, "r": 30, "t": 70, "b": 40}})
    default_title = f"{word(COLOURS[colour], lang)}{colon(lang)}{word('weight scale', lang)} × {y_title}"
    return figure(traces, layout, title or default_title, height=height)
