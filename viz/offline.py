"""The lesson as one self-contained HTML file: plotly.js inlined, texts, Unicode/HTML equations, and each
chapter's slider as a Plotly slider over precomputed frames. Opens from a USB stick with no network.

`slider_figure(figs, values, label)` folds one figure per grid value into frames; `lesson_html(sections)`
writes the page. Pure: figures and strings in, a str out.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs


@dataclass(frozen=True)
class Section:
    """One chapter of the file: title, paragraphs (plain text), equations (HTML: <sub>, <sup>, Unicode), the
    figure, a question (plain text) and its answer behind a <details> "reveal" (plain text)."""

    title: str
    paragraphs: tuple[str, ...]
    equations: tuple[str, ...]
    figure: go.Figure | None
    predict: str = ""
    reveal_label: str = "Reveal"
    reveal: str = ""


def slider_figure(figs: list[go.Figure], values: list, label: str, active: int = 0) -> go.Figure:
    """figs[i] drawn at values[i]: one figure whose Plotly slider steps through frames named str(values[i]).

    Frames are padded to the same number of traces (empty scatters), so animating between frames whose
    figures differ in marker traces (an overflow appearing) keeps every trace in step.
    """
    n = max(len(f.data) for f in figs)

    def padded(f):
        return list(f.data) + [go.Scatter(x=[], y=[], showlegend=False, hoverinfo="skip")
                               for _ in range(n - len(f.data))]

    def frame_layout(f):  # what differs between frames: title text, notes, marks, axis ranges
        out = {k: v for k, v in f.layout.to_plotly_json().items() if k in ("annotations", "shapes")
               or k.startswith(("xaxis", "yaxis"))}
        return {**out, "title": {"text": f.layout.title.text}}

    names = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
    out = go.Figure(data=padded(figs[active]), layout=figs[active].layout,
                    frames=[go.Frame(data=padded(f), layout=frame_layout(f), name=name) for f, name in zip(figs, names)])
    steps = [{"method": "animate", "label": name,
              "args": [[name], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                "transition": {"duration": 0}}]} for name in names]
    bottom = out.layout.margin.b or 60
    height = (out.layout.height or 420) + 150
    top_titles = any(a.yref == "paper" and (a.y or 0) >= 0.99 for a in out.layout.annotations)  # subplot titles
    out.update_layout(sliders=[{"active": active, "steps": steps, "currentvalue": {"prefix": f"{label} = "},
                                "pad": {"t": 60}, "len": 1.0, "x": 0}],
                      # the slider takes the bottom: the legend goes under the title, above any subplot title
                      title={"yref": "container", "y": 1 - 12 / height, "yanchor": "top"},
                      legend={"orientation": "h", "x": 0, "yref": "container", "y": 1 - 52 / height, "yanchor": "top"},
                      margin={"b": bottom + 90, "t": 150 if top_titles else 120}, height=height)
    return out


STYLE = """
body { font-family: system-ui, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #222; }
h1 { font-size: 1.8em; } h2 { margin-top: 2.5em; border-top: 1px solid #ccc; padding-top: 1em; }
.eq { font-family: "Cambria Math", "STIX Two Math", "Times New Roman", serif; font-size: 1.2em;
      background: #f6f6f6; padding: .4em .8em; margin: .4em 0; border-radius: 4px; }
.note { color: #555; font-size: .9em; }
.predict { font-weight: 600; } summary { cursor: pointer; color: #0072B2; font-weight: 600; }
"""


def lesson_html(sections: list[Section], title: str, note: str, lang: str = "en") -> str:
    """One HTML page: plotly.js once, inline; each section's text, equations and figure (a div + its JSON)."""
    body = [f"<h1>{html.escape(title)}</h1>", f'<p class="note">{html.escape(note)}</p>']
    for i, s in enumerate(sections):
        body.append(f'<section id="chapter-{i + 1}"><h2>{html.escape(s.title)}</h2>')
        body += [f"<p>{html.escape(p)}</p>" for p in s.paragraphs]
        body += [f'<div class="eq">{eq}</div>' for eq in s.equations]  # trusted HTML written in ui.lesson
        if s.figure is not None:
            body.append(pio.to_html(s.figure, include_plotlyjs=False, full_html=False, include_mathjax=False,
                                    div_id=f"figure-{i + 1}", config={"displaylogo": False, "responsive": True},
                                    auto_play=False))
        if s.predict:
            body.append(f'<p class="predict">{html.escape(s.predict)}</p>')
        if s.reveal:
            body.append(f"<details><summary>{html.escape(s.reveal_label)}</summary><p>{html.escape(s.reveal)}</p>"
                        "</details>")
        body.append("</section>")
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
            f'<script type="text/javascript">{get_plotlyjs()}</script></head>\n<body>\n'
            + "\n".join(body) + "\n</body></html>\n")


