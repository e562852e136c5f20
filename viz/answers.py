"""A class's answers to one question: `choice_answers_figure` (a bar per option) and `number_answers_figure`
(a histogram with the computed value marked). Pure: labels and numbers in, a Plotly figure out.

The computed answer's bar is drawn in green, the others in grey, so the class's distribution and the model's answer
read together; without a computed answer (the teacher's live view before the reveal) every bar is blue.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from .style import figure

RIGHT, OTHER, LIVE = "#009E73", "#BBBBBB", "#0072B2"  # Okabe-Ito green; grey; blue
ZH = {"students": "学生人数", "computed": "计算结果", "answer": "答案", "no answers yet": "还没有人回答"}
MAX_BINS = 15


def _word(text: str, lang: str) -> str:
    return ZH.get(text, text) if lang == "zh" else text


def _colors(right: list[bool], computed_known: bool) -> list[str]:
    return [(RIGHT if r else OTHER) if computed_known else LIVE for r in right]


def choice_answers_figure(labels: list[str], counts: list[int], right: int | None, title: str,
                          lang: str = "en") -> go.Figure:
    """labels[i] answered counts[i] times; `right` is the computed answer's index (None: not shown yet).
    Horizontal bars, first option on top, each with its count; the computed one green and marked."""
    n = len(labels)
    marked = [f"✓ {lab}" if i == right else lab for i, lab in enumerate(labels)]
    bar = go.Bar(y=marked, x=counts, orientation="h", text=[str(c) for c in counts], textposition="outside",
                 cliponaxis=False, marker={"color": _colors([i == right for i in range(n)], right is not None)},
                 hovertemplate="%{y}: %{x}<extra></extra>", showlegend=False)
    top = max(counts, default=0)
    layout = {"yaxis": {"autorange": "reversed", "automargin": True, "type": "category"},
              "xaxis": {"title": {"text": _word("students", lang)}, "range": [0, max(1, top) * 1.2], "dtick": _dtick(top)},
              "margin": {"l": 10, "r": 20, "t": 50, "b": 50}, "hovermode": "closest", "dragmode": False}
    fig = figure([bar], layout, title, height=110 + 34 * n)
    fig.update_yaxes(automargin=True)  # option labels of any length fit beside their bars
    return fig


def _dtick(top: int) -> int:
    return max(1, math.ceil(top / 5))


def number_bins(values, computed: float | None, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Histogram (edges (K+1,), counts (K,)) of `values` over the range Tukey's fences keep (quartiles -/+ 1.5
    interquartile ranges, within the answers' own range), widened to the computed value; a wild answer falls into
    an end bin instead of stretching the axis. Bins are at least `step` wide, at most MAX_BINS."""
    x = np.asarray(values, dtype=np.float64)
    anchor = x if computed is None else np.append(x, computed)
    if anchor.size == 0:
        return np.array([0.0, step]), np.zeros(1, dtype=int)
    if x.size:
        q1, q3 = np.percentile(x, [25, 75])
        lo, hi = max(x.min(), q1 - 1.5 * (q3 - q1)), min(x.max(), q3 + 1.5 * (q3 - q1))
    else:
        lo = hi = anchor[0]
    if computed is not None:
        lo, hi = min(lo, computed), max(hi, computed)
    bins = max(1, min(MAX_BINS, int(np.unique(x).size), int(round((hi - lo) / step)) + 1))
    if hi - lo < step:
        edges = np.array([lo - step / 2, hi + step / 2])
    else:
        edges = np.linspace(lo, hi, bins + 1)
    counts, _ = np.histogram(np.clip(x, edges[0], edges[-1]), bins=edges)
    return edges, counts


def number_answers_figure(values, computed: float | None, tolerance: float, step: float, unit: str, title: str,
                          lang: str = "en") -> go.Figure:
    """A histogram of numeric answers; with `computed`, bins within `tolerance` of it are green and a line marks it."""
    edges, counts = number_bins(values, computed, step)
    centers, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    right = [computed is not None and a - tolerance <= computed <= b + tolerance for a, b in zip(edges[:-1], edges[1:])]
    digits = 0 if step >= 1 else max(0, -int(math.floor(math.log10(step))))
    spans = [f"{a:,.{digits}f}–{b:,.{digits}f}{unit}" for a, b in zip(edges[:-1], edges[1:])]
    bar = go.Bar(x=centers, y=counts, width=widths * 0.95, customdata=spans, text=[str(c) if c else "" for c in counts],
                 textposition="outside", cliponaxis=False, showlegend=False,
                 marker={"color": _colors(right, computed is not None)}, hovertemplate="%{customdata}: %{y}<extra></extra>")
    layout = {"xaxis": {"title": {"text": _word("answer", lang) + (f" ({unit})" if unit else "")}},
              "yaxis": {"title": {"text": _word("students", lang)}, "range": [0, max(1, counts.max(initial=0)) * 1.25],
                        "dtick": _dtick(int(counts.max(initial=0)))},
              "margin": {"l": 60, "r": 20, "t": 50, "b": 55}, "hovermode": "closest", "bargap": 0,
              "dragmode": False}
    fig = figure([bar], layout, title, height=300)
    if computed is not None:
        fig.add_vline(x=computed, line={"color": RIGHT, "width": 3, "dash": "dash"},
                      annotation={"text": f"{_word('computed', lang)}: {computed:,.{digits}f}{unit}",
                                  "font": {"color": RIGHT}}, annotation_position="top")
    return fig
