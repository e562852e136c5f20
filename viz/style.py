"""Colours, fonts, the shared time axis and the final figure assembly: every figure's look, in one place.

Okabe-Ito colours (colour-blind safe, readable on a projector) for cells and gates; Viridis for
heatmaps. Streamlit and numpy free.
"""
from __future__ import annotations

import re

import plotly.graph_objects as go
from plotly.colors import sequential

from .text import word

# 1997-2014: Okabe-Ito vermillion, blue, green; 2018-2024: Paul Tol's colour-blind-safe "muted" wine, indigo, rose,
# olive, none of them a spare (SPARE_COLORS), so a second run of a cell never takes another cell's colour
CELL_COLORS = {"rnn": "#D55E00", "lstm": "#0072B2", "gru": "#009E73",
               "mingru": "#882255", "minlstm": "#332288", "indrnn": "#CC6677", "lru": "#999933",
               "rnn_orthogonal": "#44AA99"}  # the training arm models.nets.VARIANTS, Tol's teal
CELL_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU", "mingru": "minGRU", "minlstm": "minLSTM", "indrnn": "IndRNN",
              "lru": "LRU", "rnn_orthogonal": "RNN, W_hhᵀW_hh = I"}  # language-neutral: it is named in figures
GATE_COLORS = {
    "input": "#E69F00", "forget": "#0072B2", "cell": "#CC79A7", "output": "#009E73",  # LSTM i, f, g, o
    "reset": "#D55E00", "update": "#56B4E9", "new": "#CC79A7",  # GRU r, z, n
}
# Gradient paths (models/paths.py): the direct path in the forget gate's blue, each gate path in its gate's colour.
PATH_COLORS = {
    "forget_direct": GATE_COLORS["forget"], "copy": GATE_COLORS["forget"], "forget_gate": "#56B4E9",
    "input_gate": GATE_COLORS["input"], "candidate": GATE_COLORS["cell"], "output_gate": GATE_COLORS["output"],
    "update_gate": GATE_COLORS["update"], "reset_gate": GATE_COLORS["reset"], "recurrent": "#D55E00",
    "from_above": "#999999",
}
# Extra colours for a second run of the same cell (e.g. "trained" next to "at initialisation").
SPARE_COLORS = ("#000000", "#E69F00", "#56B4E9", "#CC79A7", "#F0E442", "#999999")
# Plotly's Viridis as the stops its validation expands the name to (figures are built unvalidated: `figure()`)
HEATMAP_SCALE = [[i / (len(sequential.Viridis) - 1), c] for i, c in enumerate(sequential.Viridis)]
FONT_SIZE = 15  # readable from the back of a lecture room


def label_colors(cells: dict[str, str]) -> dict[str, str]:
    """label -> colour: the first label of each cell gets the cell's colour, repeats get spares."""
    used, colors, spare = set(), {}, iter(SPARE_COLORS * 4)
    for label, cell in cells.items():
        if cell in CELL_COLORS and cell not in used:
            colors[label] = CELL_COLORS[cell]
            used.add(cell)
        else:
            colors[label] = next(spare)
    return colors


def rgba(color: str, alpha: float) -> str:
    """'#RRGGBB' -> 'rgba(r, g, b, alpha)', for translucent fills."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def time_axis(seq_len: int, title: bool = True, lang: str = "en") -> dict:
    """x-axis settings shared by every time plot: t = 1..T, same range, so views line up."""
    return {"range": [0.5, seq_len + 0.5], **({"title": {"text": word("timestep t", lang)}} if title else {})}


def trace(kind: str, **props) -> dict:
    """One trace as a plain dict ("scatter", "bar", "heatmap", ... and Plotly's properties), for `figure()`.

    go.Figure validates every trace it is given, and a go.Scatter has already validated itself: a figure of
    dicts is validated once, and built in about half the time (11 scatter traces: 1.8 against 3.5-4.7 ms),
    with the same JSON."""
    return {"type": kind, **props}


VALIDATE = False  # True: every figure is validated as it is built (tests/conftest.py turns it on for the suite)
AXIS = re.compile(r"[xy]axis\d*")


def figure(traces: list, layout: dict, title: str, height: int = 420) -> go.Figure:
    """One Figure: large fonts, legend under the plot (colours come from the app theme).

    The axes do not grow the margins to fit their labels (automargin off; Streamlit's theme turns it
    on): the fixed margins hold them, and Plotly skips measuring the labels and redrawing the chart when
    they would move. A slider change redraws the first chart in 274-401 ms instead of 392-466 ms
    (`python -m scripts.measure_redraw --cold 0`, two runs each). The legend still pushes the bottom
    margin, as its rows depend on the page's width. `projector()` turns automargin back on.

    Built from plain dicts without Plotly's validation (VALIDATE): the same JSON, in a quarter of the time
    (11 traces: 0.55 against 2.5 ms; every figure is built again on every rerun of every session, and a class
    is 60 sessions). The test suite builds every figure with validation on, so a property Plotly does not know
    still fails a test."""
    base = {"title": {"text": title}, "height": height, "font": {"size": FONT_SIZE},
            "legend": {"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
            "margin": {"l": 70, "r": 20, "t": 60, "b": 60}, "hovermode": "x unified"}
    full = {"xaxis": {}, "yaxis": {}, **base, **{k: v for k, v in layout.items() if v != []}}  # as validation drops []
    for name in [k for k in full if AXIS.fullmatch(k)]:
        full[name] = {**full[name], "automargin": False}
    return go.Figure(data=traces, layout=full, _validate=VALIDATE)


PROJECTOR_FONT, PROJECTOR_LINE = 22, 3  # presenter mode: chart text >= 20 px, lines >= 3 px
PHONE_ROW, PHONE_GROUP_GAP = 22, 10  # px: one legend entry a row on a phone; Plotly's gap between legend groups


def legend_entries(fig: go.Figure) -> int:
    """How many entries the figure's legend shows (0 when the legend is off)."""
    if fig.layout.showlegend is False:
        return 0
    return sum(1 for t in fig.data if t.name and t.showlegend is not False)


def phone(fig: go.Figure) -> go.Figure:
    """The figure for a phone (about 360 px wide): the legend one entry a row under the x axis's title, and the
    figure taller by the legend, so the plot keeps its height (a legend 20% of the plot below it ran into the axis
    title once its rows had shrunk the plot); no drag-to-zoom, so a finger on the chart scrolls the page."""
    entries = legend_entries(fig)
    groups = len({t.legendgroup for t in fig.data if t.legendgroup and t.showlegend is not False})
    legend_px = entries * PHONE_ROW + PHONE_GROUP_GAP * max(0, groups - 1) + (10 if entries else 0)
    bottom = fig.layout.margin.b if fig.layout.margin.b is not None else 60
    fig.update_layout(height=(fig.layout.height or 420) + legend_px, dragmode=False, margin={"b": bottom + legend_px},
                      legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0,
                              "xanchor": "left"})
    return fig


def projector(fig: go.Figure, height: int = 470) -> go.Figure:
    """The figure for a 1280x720 projector: every text at least PROJECTOR_FONT px, every line at least 3 px.

    The legend sits at the bottom of the figure (container coordinates) and the axes make room for their
    own tick labels and titles, so nothing overlaps at the larger font. Shaded bands (min-max) leave the
    legend: on one screen its rows are the plot's height."""
    for t in fig.data:  # a shaded band explains itself beside its line: its legend entry would cost a row
        if getattr(t, "fill", None) and "line" in t and t.line.width == 0:
            t.showlegend = False
    legend_rows = -(-legend_entries(fig) // 2)  # about two entries a row
    top_titles = any(a.yref == "paper" and (a.y or 0) >= 0.99 for a in fig.layout.annotations)  # subplot titles
    fig.update_layout(font={"size": PROJECTOR_FONT}, height=height, title={"font": {"size": PROJECTOR_FONT}},
                      legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0,
                              "font": {"size": PROJECTOR_FONT - 2 if PROJECTOR_FONT - 2 >= 20 else PROJECTOR_FONT}},
                      margin={"l": 20, "r": 20, "t": 60 + 34 * top_titles, "b": 90 + 32 * legend_rows})
    fig.update_xaxes(automargin=True, title_standoff=4)
    fig.update_yaxes(automargin=True, title_standoff=6)
    fig.update_annotations(font={"size": PROJECTOR_FONT})
    for t in fig.data:  # band edges (width 0) stay invisible
        if "mode" in t and t.mode and "lines" in t.mode and t.line.width != 0:
            t.line.width = max(PROJECTOR_LINE, t.line.width or 0)
    return fig
