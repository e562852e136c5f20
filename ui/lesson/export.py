"""The lesson as offline HTML: `chapter_html(number, values, lang)` and `lesson_html_all(lang)`, each one str;
`prepared(lang)`, the whole lesson built ahead on a background thread, once per server and language.

A chapter's swept knob becomes a Plotly slider over precomputed frames (every option of the knob, built by
the chapter's own figure function), and its reveal is computed at every frame too, so the file's answer
follows its slider; the other knob keeps its value. Texts carry `$…$` maths, written as HTML by
`viz.offline`. Everything runs inside `data.uncached()`: no shared cache is touched and no Streamlit call is
made, so the whole lesson can be built off the script thread. Chapter 8 (live) holds this session's run in
a chapter file, and no run in the whole-lesson file (which is the same for every visitor).
"""
from __future__ import annotations

import atexit
import threading
import time
from dataclasses import dataclass, field

import streamlit as st

from models.sources import entries
from viz.offline import Section, lesson_html, slider_figure

from . import training
from .chapters import CHAPTERS, fmt, pick
from .data import uncached

NO_RUN = object()  # chapter 8 without this session's job


def setting(chapter, values: dict, lang: str) -> str:
    """"At ‖W_hh‖ = 0.9, activation = tanh:" — the knob values a reveal was computed at."""
    at = ", ".join(f"{pick(lang, k.en, k.zh)} = {k.display(values[k.name])}" for k in chapter.knobs)
    return pick(lang, f"At {at}:", f"在 {at} 时:") if at else ""


def section(number: int, values: dict, lang: str, job=NO_RUN) -> Section:
    chapter = CHAPTERS[number - 1]
    values = {**chapter.defaults(), **values}
    knob = next((k for k in chapter.knobs if k.name == chapter.sweep), None)
    with uncached():
        if chapter.live:
            job = None if job is NO_RUN else job
            fig = training.figure_of(job, lang)
            reveals = ((setting(chapter, values, lang), training.reveal_of(job, lang, offline=True)),)
        elif knob is None:
            fig = chapter.figure(values, lang)
            reveals = ((setting(chapter, values, lang), chapter.reveal(values, lang)),)
        else:
            grid = [{**values, knob.name: option} for option in knob.options]
            fig = slider_figure([chapter.figure(v, lang) for v in grid], list(knob.options), pick(lang, knob.en, knob.zh),
                                active=knob.options.index(values[knob.name]))
            reveals = tuple((setting(chapter, v, lang), chapter.reveal(v, lang)) for v in grid)
    active = knob.options.index(values[knob.name]) if knob is not None and not chapter.live else 0
    label = pick(lang, "Reveal (computed from the model at the slider's setting)", "揭晓答案(按滑块的取值由模型计算)")
    return Section(f"{number}. {pick(lang, *chapter.title)}", (pick(lang, *chapter.text),), chapter.equations_in(lang),
                   fig, predict=pick(lang, "Predict: ", "预测:") + pick(lang, *chapter.predict), reveal_label=label,
                   reveals=reveals, active=active)


NOTE = ("Every number here was computed by the app's models when this file was written; the slider steps "
        "through precomputed frames, and the reveal follows it. Works offline: no server, no network.",
        "本文件中的每个数字都在导出时由应用的模型计算;滑块在预先计算好的帧之间切换,答案随滑块变化。可离线使用:"
        "无需服务器,无需网络。")
TITLE = ("Why gradients vanish: RNN, LSTM, GRU and after", "梯度为何消失:RNN、LSTM、GRU 及其后")
SOURCES_TITLE = ("Sources", "参考来源")
GROUPS = (("tutorial", "The tutorials this lesson follows", "本课程依据的教程"),
          ("paper", "Papers", "论文"))


def sources(lang: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The Sources list (models.sources) as (heading, entries) groups: the tutorials, then the papers."""
    return tuple((pick(lang, en, zh), tuple(entries(kind, lang))) for kind, en, zh in GROUPS)


def _page(sections: list[Section], lang: str) -> str:
    return lesson_html(sections, pick(lang, *TITLE), pick(lang, *NOTE), lang, sources=sources(lang),
                       sources_title=pick(lang, *SOURCES_TITLE))


def chapter_html(number: int, values: dict, lang: str = "en", job=NO_RUN) -> str:
    return _page([section(number, values, lang, job)], lang)


def lesson_html_all(lang: str = "en", progress=None, stop: threading.Event | None = None) -> str:
    """Every chapter at its defaults; progress(done, total) after each chapter, if given; RuntimeError once `stop`
    is set (checked between chapters)."""
    out = []
    for number in range(1, len(CHAPTERS) + 1):
        if stop is not None and stop.is_set():
            raise RuntimeError("stopped: the server is shutting down")
        out.append(section(number, {}, lang))
        if progress is not None:
            progress(number, len(CHAPTERS))
    return _page(out, lang)


_SHUTDOWN = threading.Event()  # set at interpreter exit: a build stops between chapters instead of dying in torch


@atexit.register
def _stop_builds() -> None:
    _SHUTDOWN.set()
    for thread in [t for t in threading.enumerate() if t.name.startswith("lesson-html-")]:
        thread.join(timeout=30)


@dataclass
class Prepared:
    """The whole-lesson file of one language, built once on a background thread: `html` when ready."""

    lang: str
    done: int = 0
    total: int = len(CHAPTERS)
    html: bytes | None = None
    error: str | None = None
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> "Prepared":
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._build, name=f"lesson-html-{self.lang}", daemon=True)
                self._thread.start()
        return self

    def _build(self) -> None:
        start = time.perf_counter()
        try:
            self.html = lesson_html_all(self.lang, progress=self._progress, stop=_SHUTDOWN).encode("utf-8")
        except Exception as exc:  # shown on the page instead of a download that never comes
            self.error = f"{type(exc).__name__}: {exc}"
        self.seconds = time.perf_counter() - start

    def _progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


@st.cache_resource(show_spinner=False)
def prepared(lang: str) -> Prepared:
    """The server's one whole-lesson file per language (the same for every visitor), started on first ask."""
    return Prepared(lang).start()
