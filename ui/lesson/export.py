"""The lesson as offline HTML: `chapter_html(number, values, lang)` and `lesson_html_all(lang)`, each one str.

A chapter's swept knob becomes a Plotly slider over precomputed frames (every option of the knob, built by
the chapter's own figure function); the other knob keeps its value. Texts, the prediction and the reveal
(computed at the exported values) are written out; equations are HTML (`viz.offline`). Probes run outside the
shared cache (`data.uncached`), so exporting does not evict other sessions' results.
"""
from __future__ import annotations

from viz.offline import Section, lesson_html, slider_figure

from .chapters import CHAPTERS, fmt, pick
from .data import uncached


def section(number: int, values: dict, lang: str) -> Section:
    chapter = CHAPTERS[number - 1]
    values = {**chapter.defaults(), **values}
    with uncached():
        knob = next((k for k in chapter.knobs if k.name == chapter.sweep), None)
        if knob is None:
            fig = chapter.figure(values, lang)
        else:
            figs = [chapter.figure({**values, knob.name: option}, lang) for option in knob.options]
            fig = slider_figure(figs, list(knob.options), pick(lang, knob.en, knob.zh),
                                active=knob.options.index(values[knob.name]))
        reveal = chapter.reveal(values, lang)
    at = ", ".join(f"{pick(lang, k.en, k.zh)} = {fmt(values[k.name])}" for k in chapter.knobs)
    return Section(f"{number}. {pick(lang, *chapter.title)}", (pick(lang, *chapter.text),), chapter.equations_in(lang), fig,
                   predict=pick(lang, "Predict: ", "预测:") + pick(lang, *chapter.predict),
                   reveal_label=pick(lang, f"Reveal (computed at {at})", f"揭晓答案(在 {at} 时计算)"), reveal=reveal)


NOTE = ("Every number here was computed by the app's models when this file was written; the slider steps "
        "through precomputed frames. Works offline: no server, no network.",
        "本文件中的每个数字都在导出时由应用的模型计算;滑块在预先计算好的帧之间切换。可离线使用:无需服务器,无需网络。")
TITLE = ("Why gradients vanish: RNN, LSTM, GRU", "梯度为何消失:RNN、LSTM 与 GRU")


def chapter_html(number: int, values: dict, lang: str = "en") -> str:
    return lesson_html([section(number, values, lang)], pick(lang, *TITLE), pick(lang, *NOTE), lang)


def lesson_html_all(lang: str = "en") -> str:
    return lesson_html([section(n, {}, lang) for n in range(1, len(CHAPTERS) + 1)], pick(lang, *TITLE),
                       pick(lang, *NOTE), lang)
