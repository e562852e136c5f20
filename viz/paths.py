"""View "Which path carries the gradient": each step's backward signal split into the tutorials' paths.

For one run (a label), `paths` maps a path name of `models.paths` to (B, T) norms, entry t = the part
of dL/dc_{t-1} (LSTM) or dL/dh_{t-1} (GRU, RNN) that step t sends back along that path. The figure
plots it at the state it reaches, x = t - 1 (1-based: 1..T-1), so the sum of the paths lines up with
view 1's ||dL/dc_t|| (LSTM) or ||dL/dh_t|| at the same x. One panel per run, stacked, same time axis.
  share=False: each path's batch-mean norm on a log axis (zeros and overflow marked, `viz.marks`);
  share=True:  each path's share of the paths' norms, ||p_k|| / sum_j ||p_j||, batch mean, stacked to 1.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .layout import axes, axis_suffix, grid
from .marks import decade_bounds, log_axis, marks
from .style import PATH_COLORS, figure, time_axis, trace
from .text import word

DIRECT = ("forget_direct", "copy")  # the paths that skip W_hh: drawn thickest
_LABELS = {  # (cell, path) -> English legend text; the Chinese is in viz.text
    ("lstm", "forget_direct"): "B_t = f_t ⊙ g^c_t (direct)", ("lstm", "forget_gate"): "A_t via forget gate f",
    ("lstm", "input_gate"): "C_t via input gate i", ("lstm", "candidate"): "D_t via candidate g",
    ("lstm", "output_gate"): "via output gate o", ("gru", "copy"): "copy z_t ⊙ g^h_t (direct)",
    ("gru", "update_gate"): "via update gate z", ("gru", "reset_gate"): "via reset gate r",
    ("gru", "candidate"): "via candidate n (W_hn)", ("rnn", "recurrent"): "W_hh^T δ_t (only path)",
    ("mingru", "copy"): "(1 − z_t) ⊙ g_t (only path)", ("minlstm", "forget_direct"): "f′_t ⊙ g_t (only path)",
    ("indrnn", "recurrent"): "u ⊙ φ′(a_t) ⊙ g_t (only path)", ("lru", "recurrent"): "λ̄ ⊙ g_t (only path)",
}


def _cell_of(names) -> str:
    """The classic cell a set of path names belongs to (when the caller gives no `cells`)."""
    return "lstm" if "forget_direct" in names else "gru" if "copy" in names else "rnn"


def path_label(cell: str, name: str, lang: str = "en") -> str:
    """The legend text of a path, e.g. ("lstm", "forget_direct") -> "B_t = f_t ⊙ g^c_t (direct)"."""
    return word(_LABELS.get((cell, name), "from the layer above" if name == "from_above" else name), lang)


def path_shares(paths: dict) -> dict:
    """name -> (T-1,) batch mean of ||p_name|| / sum_j ||p_j|| at t = 2..T (NaN where every path is 0 or inf)."""
    stacked = np.stack([np.asarray(a, dtype=np.float64)[:, 1:] for a in paths.values()])  # (P, B, T-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = stacked / stacked.sum(axis=0, keepdims=True)
    return {name: s.mean(axis=0) for name, s in zip(paths, share)}


def gradient_paths_figure(paths: dict, lang: str = "en", share: bool = False, title: str | None = None,
                          total: dict | None = None, cells: dict | None = None) -> go.Figure:
    """paths: label -> {path name -> (B, T) norms}; total: label -> (B, T) ||dL/dc_t|| or ||dL/dh_t||, drawn
    thin and black at the same x as a check (the sum's norm never exceeds the sum of the norms);
    cells: label -> cell name (for the legend; inferred from the path names of the classic cells otherwise)."""
    labels, total, cells = list(paths), total or {}, cells or {}
    layout = grid(len(labels), 1, titles=labels, vgap=0.12 if len(labels) > 1 else 0.08, shared_x=True)
    traces, shapes, notes, seq_len = [], [], [], 1
    means = {label: {n: np.asarray(a, dtype=np.float64)[:, 1:].mean(axis=0) for n, a in p.items()}
             for label, p in paths.items()}
    totals = {label: np.asarray(total[label], dtype=np.float64)[:, :-1].mean(axis=0)
              for label in labels if total.get(label) is not None}
    floor, ceiling = decade_bounds([m for p in means.values() for m in p.values()] + list(totals.values()))
    for row, label in enumerate(labels, start=1):
        cell, ax = cells.get(label) or _cell_of(paths[label]), axes(row)
        series = path_shares(paths[label]) if share else means[label]
        for name, y in series.items():
            x = np.arange(1, y.size + 1)  # the state reached: t - 1 for step t = 2..T
            seq_len = max(seq_len, y.size + 1)
            style = {"color": PATH_COLORS.get(name, "#000000"), "width": 4 if name in DIRECT else 2.5}
            seen = any((cells.get(prev) or _cell_of(paths[prev])) == cell and name in paths[prev]
                       for prev in labels[:row - 1])
            common = dict(x=x, y=y, name=path_label(cell, name, lang), legendgroup=f"{cell} {name}",
                          showlegend=not seen, **ax)  # one legend entry per (cell, path)
            if share:
                traces.append(trace("scatter", mode="lines", stackgroup=f"s{row}", line={**style, "width": 0.5},
                                    fillcolor=style["color"], **common,
                                    hovertemplate="t=%{x}: %{y:.1%}<extra>%{fullData.name}</extra>"))
            else:
                traces.append(trace("scatter", mode="lines", line=style, **common))
                parts = marks(y, f"{label} {common['name']}", style["color"], floor, ceiling, lang=lang, **ax)
                for m in parts[0]:  # markers of zeros / overflow: toggled with their path, no legend entry of their own
                    m.update(showlegend=False, legendgroup=common["legendgroup"])
                traces.extend(parts[0]), shapes.extend(parts[1]), notes.extend(parts[2])
        if not share and label in totals:
            y = totals[label]
            traces.append(trace("scatter", x=np.arange(1, y.size + 1), y=y, mode="lines", legendgroup="total",
                                name=word("sum of the paths", lang), showlegend=row == 1,
                                line={"color": "#000000", "width": 1.5, "dash": "dot"}, **ax))
        y_axis = {"range": [0, 1], "tickformat": ".0%"} if share else log_axis(floor, ceiling)
        layout[f"yaxis{axis_suffix(row, 1)}"].update(y_axis)
    layout["yaxis"]["title"] = {"text": word("share of the paths' norms" if share else "norm of each path", lang)}
    layout["xaxis"].update(time_axis(seq_len, title=False, lang=lang))
    layout[f"xaxis{axis_suffix(len(labels), 1)}"]["title"] = {"text": word("timestep t", lang)}
    layout["shapes"], layout["annotations"] = shapes, layout["annotations"] + notes
    default = ("Which path carries the gradient back into c_t / h_t: share per path" if share else
               "Which path carries the gradient back into c_t / h_t (log scale)")
    return figure(traces, layout, title or word(default, lang), height=200 + 260 * len(labels))
