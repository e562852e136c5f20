"""View "Connectivity": ||dL/dx_t||, how much the loss at the end still depends on the input at step t.

Distill's "Memorization in RNNs" picture, and the honest answer to “从 RNN 到 LSTM”'s "I grew up in France …
I speak fluent ___": the word "France" can only shape the answer if this is not ~0 at its step.
The same figure as view 1 (`viz.gradient_norm`), drawn for dL/dx_t instead of dL/dh_t.
"""
from __future__ import annotations

import plotly.graph_objects as go

from .gradient_norm import gradient_norm_figure
from .text import word


def connectivity_figure(grad_x: dict, colors: dict, lang: str = "en", title: str | None = None,
                        band: bool = True) -> go.Figure:
    """grad_x: label -> (B, T) ||dL_b/dx_t||, log axis, batch band, one colour per run."""
    return gradient_norm_figure(grad_x, colors, band=band, lang=lang, quantity="||dL/dx_t||",
                                title=title or word("How much the output still depends on the input at step t", lang))
