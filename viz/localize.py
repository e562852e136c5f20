"""Translate the words inside a finished figure: figure in, new figure out, data untouched.

The builders write axis titles, subplot titles, colour-bar titles, overflow notes, legend names and
hover labels in English. `localize(fig, phrases, names)` rewrites those texts in another language:
`phrases` are replaced wherever they occur (longest first), `names` only when they are a whole
text (short words such as the gate names "new" or "cell", which must not change inside other
words). Numbers, formulas (||dL/dh_t||) and every data array stay as they are.
"""
from __future__ import annotations

import plotly.graph_objects as go


def localize(fig: go.Figure, phrases: dict[str, str], names: dict[str, str] | None = None) -> go.Figure:
    """A copy of `fig` with its texts translated; `fig` itself when there is nothing to translate."""
    names = names or {}
    if not phrases and not names:
        return fig
    ordered = sorted(phrases, key=len, reverse=True)

    def tr(text):
        if not isinstance(text, str):
            return text
        if text in names:
            return names[text]
        for phrase in ordered:
            text = text.replace(phrase, phrases[phrase])
        return text

    def titled(obj) -> None:  # an axis or a colour bar
        if obj.title.text is not None:
            obj.title.text = tr(obj.title.text)

    out = go.Figure(fig)
    out.layout.title.text = tr(out.layout.title.text)
    out.for_each_annotation(lambda a: a.update(text=tr(a.text)))
    out.for_each_xaxis(titled)
    out.for_each_yaxis(titled)
    out.for_each_coloraxis(lambda c: titled(c.colorbar))
    for trace in out.data:
        trace.name, trace.hovertemplate = tr(trace.name), tr(trace.hovertemplate)
        if "colorbar" in trace:
            titled(trace.colorbar)
    return out
