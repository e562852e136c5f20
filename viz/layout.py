"""Subplot grids as plain layout dicts: faster than `make_subplots` and with the same axis numbering.

Cell (row, col), 1-based, gets axes number k = (row - 1) * cols + col: "x"/"y" for k = 1, "x2"/"y2"
for k = 2, and so on, exactly as `plotly.subplots.make_subplots` numbers them.
"""
from __future__ import annotations


def axis_suffix(row: int, col: int, cols: int = 1) -> str:
    k = (row - 1) * cols + col
    return "" if k == 1 else str(k)


def axes(row: int, col: int = 1, cols: int = 1) -> dict:
    """Trace keyword arguments placing a trace in cell (row, col): {"xaxis": "x2", "yaxis": "y2"}."""
    s = axis_suffix(row, col, cols)
    return {"xaxis": f"x{s}", "yaxis": f"y{s}"}


def _domains(n: int, gap: float, weights=None) -> list[tuple[float, float]]:
    """n intervals of [0, 1] in order, sized by weights, separated by gap."""
    weights = list(weights or [1.0] * n)
    usable = 1.0 - gap * (n - 1)
    out, start = [], 0.0
    for w in weights:
        size = usable * w / sum(weights)
        out.append((round(start, 6), round(min(start + size, 1.0), 6)))
        start += size + gap
    return out


def grid(rows: int = 1, cols: int = 1, titles=(), row_heights=None, vgap: float = 0.08, hgap: float = 0.04,
         shared_x: bool = False, shared_y: bool = False) -> dict:
    """Layout dict: one axis pair per cell (row 1 on top), optional titles above each cell.

    shared_x: every x axis matches "x" and only the bottom row shows tick labels.
    shared_y: every y axis matches "y" and only the first column shows tick labels.
    """
    xs = _domains(cols, hgap)
    ys = _domains(rows, vgap, list(reversed(row_heights)) if row_heights else None)[::-1]  # row 1 on top
    layout, notes = {}, []
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            s = axis_suffix(r, c, cols)
            x, y = xs[c - 1], ys[r - 1]
            xaxis = {"domain": list(x), "anchor": f"y{s}"}
            yaxis = {"domain": list(y), "anchor": f"x{s}"}
            if shared_x and s:
                xaxis["matches"] = "x"
            if shared_x:
                xaxis["showticklabels"] = r == rows
            if shared_y and s:
                yaxis["matches"] = "y"
            if shared_y:
                yaxis["showticklabels"] = c == 1
            layout[f"xaxis{s}"], layout[f"yaxis{s}"] = xaxis, yaxis
            k = (r - 1) * cols + c
            if k <= len(titles) and titles[k - 1]:
                notes.append({"text": titles[k - 1], "x": (x[0] + x[1]) / 2, "y": y[1], "xref": "paper",
                              "yref": "paper", "xanchor": "center", "yanchor": "bottom", "showarrow": False})
    layout["annotations"] = notes
    return layout
