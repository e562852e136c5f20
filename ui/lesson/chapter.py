"""What a lesson chapter is, as data: `Chapter` (texts, equations, knobs, figure, question, reveal) and `Knob`.

Texts, questions and reveals are one source each, with maths written as `$…$` (a small LaTeX subset,
`viz.mathtext`): the app typesets it (Streamlit's Markdown, KaTeX), the offline file writes it as HTML.
Equations are LaTeX too: `st.latex` in the app, `viz.mathtext.math_html` offline. The chapters themselves
live in `chapters_rnn` (1-4), `chapters_gated` (5-9) and `chapters_after` (10); `chapters.CHAPTERS` puts them
in order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


def fmt(value) -> str:
    """URL text of a knob value: 0.9, 1, 32, tanh."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def pick(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


@dataclass(frozen=True)
class Knob:
    """One chapter control: its URL parameter `name`, label, the values it can take, its default, and the
    names its options are shown by (`labels`, e.g. "LSTM" for "lstm"; the URL keeps the value itself)."""

    name: str
    en: str
    zh: str
    options: tuple
    default: object
    labels: dict = field(default_factory=dict)

    def parse(self, raw):
        """The option `raw` (URL text) stands for, or None when it is not one of the options."""
        for option in self.options:
            if str(raw) == fmt(option):
                return option
        try:
            number = float(raw)
        except (TypeError, ValueError):
            return None
        return next((o for o in self.options if isinstance(o, (int, float)) and np.isclose(o, number)), None)

    def display(self, value) -> str:
        """How the option reads on the page and in the offline file: its label, else its URL text."""
        return self.labels.get(value, fmt(value))


@dataclass(frozen=True)
class Chapter:
    slug: str
    title: tuple[str, str]
    text: tuple[str, str]  # with $…$ maths
    equations: tuple  # LaTeX; a str, or an (English, Chinese) pair where words appear
    knobs: tuple[Knob, ...]
    figure: Callable[[dict, str], object]
    predict: tuple[str, str]  # with $…$ maths
    reveal: Callable[[dict, str], str]  # with $…$ maths
    sweep: str | None = None  # knob the offline file's Plotly slider steps through (its reveal follows)
    live: bool = False  # chapter 8: the figure is a running job, redrawn while it trains

    def defaults(self) -> dict:
        return {k.name: k.default for k in self.knobs}

    def equations_in(self, lang: str) -> tuple[str, ...]:
        return tuple(eq if isinstance(eq, str) else pick(lang, *eq) for eq in self.equations)
