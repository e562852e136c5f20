"""The lesson as one self-contained HTML file: plotly.js inlined, texts, HTML maths, and each chapter's slider
as a Plotly slider over precomputed frames. Opens from a USB stick with no network.

`slider_figure(figs, values, label)` folds one figure per grid value into frames; `lesson_html(sections)`
writes the page. Texts carry their maths as `$…$` (the app's own source text); here `viz.mathtext` writes
it as <sub>/<sup>/Unicode HTML, no script, no font, no network. A chapter's reveal is one answer per frame:
the file's small script (`FOLLOW_JS`) shows the one of the slider's current frame. Pure: figures and
strings in, a str out.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from .mathtext import math_html, text_html


@dataclass(frozen=True)
class Section:
    """One chapter of the file: title, paragraphs (text with $…$ maths), equations (LaTeX of the `viz.mathtext`
    subset), the figure, a question (text with maths) and its answer behind a <details> "reveal".

    `reveals` holds one (setting, answer) per frame of the figure's slider, in the frames' order (a single
    pair when the figure has no slider); `active` is the frame shown first."""

    title: str
    paragraphs: tuple[str, ...]
    equations: tuple[str, ...]
    figure: go.Figure | None
    predict: str = ""
    reveal_label: str = "Reveal"
    reveals: tuple[tuple[str, str], ...] = ()
    active: int = 0


def slider_figure(figs: list[go.Figure], values: list, label: str, active: int = 0) -> go.Figure:
    """figs[i] drawn at values[i]: one figure whose Plotly slider steps through frames named str(values[i]).

    Frames are padded to the same number of traces (empty scatters), so animating between frames whose
    figures differ in marker traces (an overflow appearing) keeps every trace in step. A trace that is the
    same in every figure (chapter 3's error surface) is written once, not once per frame: frames carry only
    the traces that change (`Frame.traces`).
    """
    n = max(len(f.data) for f in figs)

    def padded(f):
        return list(f.data) + [go.Scatter(x=[], y=[], showlegend=False, hoverinfo="skip")
                               for _ in range(n - len(f.data))]

    every = [padded(f) for f in figs]
    text = [[pio.to_json(t, validate=False) for t in traces] for traces in every]
    moving = [i for i in range(n) if any(t[i] != text[0][i] for t in text[1:])] or list(range(n))

    def frame_layout(f):  # what differs between frames: title text, notes, marks, axis ranges
        out = {k: v for k, v in f.layout.to_plotly_json().items() if k in ("annotations", "shapes")
               or k.startswith(("xaxis", "yaxis"))}
        return {**out, "title": {"text": f.layout.title.text}}

    names = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
    out = go.Figure(data=every[active], layout=figs[active].layout,
                    frames=[go.Frame(data=[traces[i] for i in moving], traces=moving, layout=frame_layout(f), name=name)
                            for f, traces, name in zip(figs, every, names)])
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
.note { color: #555; font-size: .9em; } .math { font-family: "Cambria Math", "STIX Two Math", "Times New Roman", serif; }
.sources li { margin: .3em 0; }
.predict { font-weight: 600; } summary { cursor: pointer; color: #0072B2; font-weight: 600; }
"""


# Each chapter's reveal follows its figure's slider: one <div data-frame="name"> per frame, the slider's shown.
FOLLOW_JS = """
document.querySelectorAll('section[data-figure]').forEach(function (section) {
  var gd = document.getElementById(section.dataset.figure);
  var frames = section.querySelectorAll('.reveal-frame');
  function show(name) { frames.forEach(function (f) { f.hidden = f.dataset.frame !== name; }); }
  if (gd && gd.on && frames.length > 1) {
    gd.on('plotly_sliderchange', function (e) { show(String(e.step.label)); });
  }
});
"""


def _reveal_html(s: Section, frame_names: list[str]) -> str:
    shown = frame_names[s.active] if frame_names else None
    frames = []
    for i, (setting, answer) in enumerate(s.reveals):
        name = frame_names[i] if i < len(frame_names) else ""
        hidden = "" if shown is None or name == shown else " hidden"
        at = f'<p class="note">{text_html(setting)}</p>' if setting else ""
        frames.append(f'<div class="reveal-frame" data-frame="{html.escape(name)}"{hidden}>{at}'
                      f"<p>{text_html(answer)}</p></div>")
    return f"<details><summary>{html.escape(s.reveal_label)}</summary>{''.join(frames)}</details>"


def lesson_html(sections: list[Section], title: str, note: str, lang: str = "en",
                sources: tuple[tuple[str, tuple[str, ...]], ...] = (), sources_title: str = "Sources") -> str:
    """One HTML page: plotly.js once, inline; each section's text, maths, figure (a div + its JSON) and reveal;
    then `sources`, (heading, entries) groups of text with $…$ maths."""
    body = [f"<h1>{html.escape(title)}</h1>", f'<p class="note">{html.escape(note)}</p>']
    for i, s in enumerate(sections):
        body.append(f'<section id="chapter-{i + 1}" data-figure="figure-{i + 1}"><h2>{html.escape(s.title)}</h2>')
        body += [f"<p>{text_html(p)}</p>" for p in s.paragraphs]
        body += [f'<div class="eq">{math_html(eq)}</div>' for eq in s.equations]
        frame_names = []
        if s.figure is not None:
            frame_names = [f.name for f in s.figure.frames]
            body.append(pio.to_html(s.figure, include_plotlyjs=False, full_html=False, include_mathjax=False,
                                    div_id=f"figure-{i + 1}", config={"displaylogo": False, "responsive": True},
                                    auto_play=False))
        if s.predict:
            body.append(f'<p class="predict">{text_html(s.predict)}</p>')
        if s.reveals:
            body.append(_reveal_html(s, frame_names))
        body.append("</section>")
    if sources:
        body.append(f'<section id="sources" class="sources"><h2>{html.escape(sources_title)}</h2>')
        for heading, entries in sources:
            body.append(f"<h3>{html.escape(heading)}</h3><ol>" + "".join(f"<li>{text_html(e)}</li>" for e in entries)
                        + "</ol>")
        body.append("</section>")
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
            f'<script type="text/javascript">{get_plotlyjs()}</script></head>\n<body>\n'
            + "\n".join(body) + f"\n<script>{FOLLOW_JS}</script>\n</body></html>\n")
