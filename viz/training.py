"""Figures of a training run: loss, metric and raw gradient-norm curves, and the gradient flow over training.

Pure: numpy arrays in, `plotly.graph_objects.Figure` out; no torch, no Streamlit. Curves are keyed
by cell ("rnn", "lstm", "gru") and drawn in the cell's colour from `viz.style`. Long runs are
block-reduced to at most `MAX_POINTS` points per curve (mean, or max for gradient norms so a
spike stays visible), so redrawing several times a second stays cheap.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .binning import bin_edges
from .heatmap import blank_note, decade_ticks, log_magnitude
from .layout import axes, axis_suffix, grid
from .style import CELL_COLORS, CELL_NAMES, HEATMAP_SCALE, figure, time_axis, trace
from .text import colon, word

MAX_POINTS = 300  # points per curve at most
MAX_SNAPSHOT_ROWS = 200  # heatmap rows (training steps) at most


def reduce_steps(values, max_points: int = MAX_POINTS, how: str = "mean") -> tuple[np.ndarray, np.ndarray]:
    """values[s] for steps s = 1..S -> (x = mean step of each block, y = block mean or max), <= max_points.

    Non-finite values (a diverged step) are left out of their block; an all-non-finite block is NaN.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return np.array([]), np.array([])
    edges = bin_edges(len(v), max_points)
    steps = np.arange(1, len(v) + 1, dtype=np.float64)
    x = np.add.reduceat(steps, edges[:-1]) / np.diff(edges)
    masked = np.where(np.isfinite(v), v, np.nan)
    y = np.full(len(x), np.nan)
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        block = masked[a:b]
        if np.isfinite(block).any():
            y[i] = np.nanmax(block) if how == "max" else np.nanmean(block)
    return x, y


def curves_figure(curves: dict, title: str, y_title: str, log_y: bool = False, how: str = "mean",
                  hline: float | None = None, hline_label: str = "", marks: dict | None = None,
                  max_points: int = MAX_POINTS, lang: str = "en") -> go.Figure:
    """One line per cell over training steps; hline: a reference level; marks: cell -> step to flag.

    title, y_title and hline_label are drawn as given (in `lang`)."""
    traces = []
    for cell, values in curves.items():
        x, y = reduce_steps(values, max_points, how)
        name = CELL_NAMES.get(cell, cell)
        traces.append(trace("scatter", x=x, y=y, mode="lines", name=name,
                            line={"color": CELL_COLORS.get(cell), "width": 2.5},
                            hovertemplate=f"{word('step', lang)} %{{x:.0f}}<br>{y_title} %{{y:.4g}}<extra>{name}</extra>"))
    shapes, notes = [], []
    if hline is not None:
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": hline, "y1": hline,
                       "line": {"dash": "dash", "color": "#666666"}})
        notes.append({"text": hline_label, "xref": "paper", "x": 1, "y": np.log10(hline) if log_y else hline,
                      "xanchor": "right", "yanchor": "bottom", "showarrow": False})
    for cell, step in (marks or {}).items():
        color = CELL_COLORS.get(cell, "#666666")
        shapes.append({"type": "line", "yref": "paper", "y0": 0, "y1": 1, "x0": step, "x1": step,
                       "line": {"dash": "dot", "color": color}})
        notes.append({"text": f"{CELL_NAMES.get(cell, cell)}{colon(lang)}{word('not finite', lang)}",
                      "yref": "paper", "x": step, "y": 1,
                      "xanchor": "left", "yanchor": "top", "showarrow": False, "font": {"color": color}})
    layout = {"xaxis": {"title": {"text": word("training step", lang)}, "rangemode": "tozero"},
              "yaxis": {"title": {"text": y_title}, "type": "log" if log_y else "linear"},
              "shapes": shapes, "annotations": notes}
    return figure(traces, layout, title, height=340)


def loss_figure(loss: dict, baseline: float | None = None, loss_name: str = "loss",
                baseline_label: str = "best constant prediction", lang: str = "en") -> go.Figure:
    """Training-batch loss per step (log scale) against the trivial predictor's loss."""
    loss_name = word(loss_name, lang)
    return curves_figure(loss, f"{word('Training', lang)} {loss_name}", loss_name, log_y=True, hline=baseline,
                         hline_label=word(baseline_label, lang), lang=lang)


def metric_figure(metric: dict, metric_name: str = "accuracy", chance: float | None = None,
                  chance_label: str = "chance", lang: str = "en") -> go.Figure:
    """Training-batch accuracy or R^2 per step, with the chance level."""
    metric_name = word(metric_name, lang)
    return curves_figure(metric, f"{word('Training', lang)} {metric_name}", metric_name, hline=chance,
                         hline_label=word(chance_label, lang), lang=lang)


def grad_norm_figure(grad_norm: dict, clip_value: float | None = None, diverged: dict | None = None,
                     lang: str = "en") -> go.Figure:
    """Raw ||dL/dtheta||_2 per step, before clipping (block max, log scale); the clipping threshold if on."""
    return curves_figure(grad_norm, word("Gradient norm before clipping (max per block of steps)", lang), "||dL/dθ||",
                         log_y=True, how="max", hline=clip_value,
                         hline_label="" if clip_value is None else f"{word('clip at', lang)} {clip_value:g}",
                         marks=diverged, lang=lang)


def _reduce_rows(steps: np.ndarray, grads: np.ndarray, max_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(S,) steps and (S, T) magnitudes -> at most max_rows rows: mean step, mean magnitude per block."""
    edges = bin_edges(len(steps), max_rows)
    counts = np.diff(edges)
    rows = np.add.reduceat(grads, edges[:-1], axis=0) / counts[:, None]
    return np.add.reduceat(steps.astype(np.float64), edges[:-1]) / counts, rows


def gradient_flow_training_figure(snapshots: dict, title: str | None = None, max_rows: int = MAX_SNAPSHOT_ROWS,
                                  lang: str = "en") -> go.Figure:
    """snapshots: cell -> (steps (S,), grads (S, T)). One panel per cell, x = t = 1..T, y = training step.

    Colour is log10 of the mean over samples of ||dL_b/dh_t|| on one shared scale, so panels compare:
    the gradient horizon is how far left the bright region reaches.
    """
    cells = list(snapshots)
    title = title or word("Gradient flow over training: log10 ||dL/dh_t||", lang)
    cols = max(1, len(cells))
    layout = grid(1, cols, titles=[f"{CELL_NAMES.get(c, c)}{blank_note(snapshots[c][1], lang)}" for c in cells],
                  shared_y=True)
    traces, lows, highs = [], [], []
    for col, cell in enumerate(cells, start=1):
        steps, grads = (np.asarray(a, dtype=np.float64) for a in snapshots[cell])
        T = grads.shape[1] if grads.ndim == 2 else 0
        if len(steps):
            steps, grads = _reduce_rows(steps, grads.reshape(len(steps), T), max_rows)
        z = log_magnitude(grads)  # (S, T)
        if np.isfinite(z).any():
            lows.append(np.nanmin(z))
            highs.append(np.nanmax(z))
        traces.append(trace("heatmap", x=np.arange(1, T + 1), y=steps, z=z, coloraxis="coloraxis",
                            name=CELL_NAMES.get(cell, cell), **axes(1, col, cols),
                            hovertemplate=f"t=%{{x}}<br>{word('step', lang)} %{{y:.0f}}<br>"
                                               "log10 ||dL/dh_t||=%{z:.2f}<extra></extra>"))
        layout[f"xaxis{axis_suffix(1, col, cols)}"].update(time_axis(max(T, 1), lang=lang))
    lo, hi = (min(lows), max(highs)) if lows else (-1.0, 0.0)
    layout["yaxis"]["title"] = {"text": word("training step", lang)}
    layout["coloraxis"] = {"colorscale": HEATMAP_SCALE, "cmin": lo, "cmax": hi,
                           "colorbar": {"title": {"text": "log10 ||dL/dh_t||"}, **decade_ticks(lo, hi)}}
    layout["hovermode"] = "closest"
    return figure(traces, layout, title, height=380)
