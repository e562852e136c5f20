"""The lesson's ten chapters in order: `CHAPTERS`, the tuple of `Chapter` entries that `ui.lesson.page` walks.

Each chapter (`chapter.Chapter`): a title, 2-4 sentences (English, Chinese) with `$…$` maths, LaTeX equations,
at most two `Knob`s, one figure and a "predict, then reveal" whose answer is computed from the run the figure
shows. `figure(values, lang)` and `reveal(values, lang)` take the knob values (name -> value) and return a
Plotly figure and a str. Chapters 1-4 are in `chapters_rnn`, 5-9 in `chapters_gated`, 10 (after the LSTM) in
`chapters_after`; chapter 8 (training) is live: its figure is this session's run (`ui.lesson.training`).
"""
from __future__ import annotations

from .chapter import Chapter, Knob, fmt, pick
from .chapters_after import AFTER_CHAPTERS
from .chapters_gated import FORGET_BIASES, GATED_CHAPTERS, HIDDEN_SIZES
from .chapters_rnn import DISTANCES, EXPLODING, RNN_CHAPTERS, THRESHOLDS, WEIGHTS

CHAPTERS = RNN_CHAPTERS + GATED_CHAPTERS + AFTER_CHAPTERS

__all__ = ["CHAPTERS", "Chapter", "Knob", "fmt", "pick", "WEIGHTS", "EXPLODING", "THRESHOLDS", "DISTANCES",
           "FORGET_BIASES", "HIDDEN_SIZES"]
