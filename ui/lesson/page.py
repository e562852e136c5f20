"""The lesson page: one renderer walks `ui.lesson.chapters.CHAPTERS`. `render()`; app.py's navigation runs it.

URL: `?chapter=5&forget_bias=3` (the chapter and its knobs; read once per session into the widgets' state,
written back after every run, TESTING.md's pitfall) and `present=1` for a projector: sidebar collapsed, one
chapter per screen, chart text >= 20 px and lines >= 3 px (`viz.style.projector`, drawn with theme=None).
Every chapter: title, text, equations, at most two knobs, the figure, "predict, then reveal", and the
offline HTML downloads (`ui.lesson.export`). In a class (`?class=CODE[&key=SECRET]`) `ui.classroom` draws the
class bar, keeps a student's page on the teacher's chapter and runs the class's predict-then-reveal.
"""
from __future__ import annotations

import streamlit as st

from viz.style import projector

from .. import classroom
from ..i18n import PROBLEM_KEY as LANGUAGE_PROBLEM_KEY
from ..i18n import language, tr
from ..nav import URL_CHANGED_KEY
from ..phone import for_phone
from ..probe_views import PLOTLY_CONFIG
from . import export, training
from .chapters import CHAPTERS, Chapter, fmt

CHAPTER_KEY = "lesson_chapter"  # 1-based chapter number (plain state, not a widget's)
LOADED_KEY = "lesson_url_loaded"
PROBLEMS_KEY = "lesson_url_problems"
KNOB_NAMES = {k.name for c in CHAPTERS for k in c.knobs}
REFRESH_SECONDS = 1.0  # chapter 8's figure while its run trains
PRESENT_CSS = """<style>
[data-testid="stHeader"] { display: none; }  /* the projector shows the lesson only; the URL holds the rest */
.block-container { padding-top: 1.2rem; padding-bottom: 0.5rem; max-width: 100%; }
.block-container h2 { font-size: 2.0rem; padding: 0.2rem 0; }
.block-container h3 { font-size: 1.7rem; padding: 0.1rem 0; text-align: center; }
.block-container p, .block-container li { font-size: 1.1rem; }
</style>"""
EQ_CSS = """<style>.lesson-eq { font-family: "Cambria Math", "STIX Two Math", "Times New Roman", serif;
font-size: 1.15em; background: rgba(127, 127, 127, 0.1); padding: 0.3em 0.7em; border-radius: 4px;
margin: 0.2em 0 0.6em; overflow-x: auto; }</style>"""


def knob_key(number: int, name: str) -> str:
    return f"lesson_{number}_{name}"


def load_url() -> None:
    """First run (or a page opened with new settings): URL -> chapter and its knobs' widget state."""
    changed = st.session_state.pop(URL_CHANGED_KEY, False)
    if st.session_state.get(LOADED_KEY) and not changed:
        return
    params, problems = st.query_params, []
    raw = params.get("chapter", "1")
    number = int(raw) if raw.isdigit() and 1 <= int(raw) <= len(CHAPTERS) else None
    if number is None:
        problems.append((f"URL parameter chapter={raw!r} is not a chapter (1 to {len(CHAPTERS)}); showing chapter 1.",
                         f"URL 参数 chapter={raw!r} 不是有效的章节(1 到 {len(CHAPTERS)});显示第 1 章。"))
        number = 1
    st.session_state[CHAPTER_KEY] = number
    for knob in CHAPTERS[number - 1].knobs:
        if knob.name not in params:
            continue
        value = knob.parse(params[knob.name])
        if value is None:
            allowed = ", ".join(fmt(o) for o in knob.options)
            problems.append((f"URL parameter {knob.name}={params[knob.name]!r} is not one of {allowed}; using "
                             f"{fmt(knob.default)}.", f"URL 参数 {knob.name}={params[knob.name]!r} 不在 {allowed} 之中;"
                             f"使用 {fmt(knob.default)}。"))
            value = knob.default
        st.session_state[knob_key(number, knob.name)] = value
    st.session_state[LOADED_KEY], st.session_state[PROBLEMS_KEY] = True, problems


def go_to(number: int) -> None:
    """Button / picker callback: show chapter `number`."""
    st.session_state[CHAPTER_KEY] = max(1, min(len(CHAPTERS), number))
    st.session_state[PROBLEMS_KEY] = []


def draw_knobs(number: int, chapter: Chapter) -> dict:
    """The chapter's knobs (select sliders over their options); returns name -> value."""
    values = {}
    for knob in chapter.knobs:
        key = knob_key(number, knob.name)
        if key not in st.session_state:  # first visit, or the widget was dropped while another chapter showed
            st.session_state[key] = knob.default
        values[knob.name] = st.select_slider(tr(knob.en, knob.zh), options=knob.options, key=key, format_func=fmt)
    return values


def write_url(number: int, values: dict) -> None:
    """Chapter and knobs -> URL; other chapters' knobs leave it, everything else (present, language) stays."""
    wanted = {"chapter": str(number), **{k: fmt(v) for k, v in values.items()}}
    for name in [n for n in st.query_params if n in KNOB_NAMES and n not in wanted]:
        del st.query_params[name]
    for name, text in wanted.items():
        if st.query_params.get(name) != text:
            st.query_params[name] = text


def draw_figure(number: int, chapter: Chapter, values: dict, present: bool) -> None:
    fig = for_phone(chapter.figure(values, language()))
    if present:
        fig = projector(fig, height=490)
    st.plotly_chart(fig, key=f"lesson_chart_{number}", config=PLOTLY_CONFIG, width="stretch",
                    theme=None if present else "streamlit")


def nav_buttons(number: int, where: str, title: str | None = None) -> None:
    """Previous / Next, with the chapter's title between them (presenter mode) or its number."""
    prev_col, label_col, next_col = st.columns([1, 5, 1] if title else [1, 3, 1], vertical_alignment="center")
    prev_col.button(tr("◀ Previous", "◀ 上一章"), key=f"lesson_prev_{where}", disabled=number == 1,
                    on_click=go_to, args=(number - 1,), width="stretch")
    if title:
        label_col.subheader(title, anchor=False)
    else:
        label_col.markdown(f"<div style='text-align:center'>{tr('Chapter', '第')} {number} / {len(CHAPTERS)}"
                           f"{'' if language() == 'en' else ' 章'}</div>", unsafe_allow_html=True)
    next_col.button(tr("Next ▶", "下一章 ▶"), key=f"lesson_next_{where}", disabled=number == len(CHAPTERS),
                    on_click=go_to, args=(number + 1,), width="stretch")


def predict_then_reveal(chapter: Chapter, values: dict) -> None:
    """The question, and its answer computed from the run the figure shows, behind an expander."""
    st.markdown(f"**{tr('Predict', '预测')}:** {tr(*chapter.predict)}")
    with st.expander(tr("Reveal (computed from the model)", "揭晓答案(由模型计算)")):
        st.markdown(chapter.reveal(values, language()))


def picker(number: int) -> None:
    """Chapter list (not in presenter mode); its own key, so the chapter survives its widget."""
    st.session_state["lesson_pick"] = number
    titles = [f"{n}. {tr(*c.title)}" for n, c in enumerate(CHAPTERS, start=1)]  # fixed now, not at format time
    st.selectbox(tr("Chapter", "章节"), range(1, len(CHAPTERS) + 1), key="lesson_pick",
                 format_func=lambda n: titles[n - 1],
                 on_change=lambda: go_to(st.session_state["lesson_pick"]))


def downloads(number: int, values: dict) -> None:
    lang = language()
    a, b, _ = st.columns([1, 1, 2])
    a.download_button(tr("Download this chapter (HTML)", "下载本章(HTML)"),
                      data=lambda: export.chapter_html(number, values, lang), file_name=f"lesson_chapter_{number}.html",
                      mime="text/html", key="lesson_download_chapter", on_click="ignore", icon=":material/download:")
    b.download_button(tr("Download the whole lesson (HTML)", "下载整个课程(HTML)"),
                      data=lambda: export.lesson_html_all(lang), file_name="lesson.html", mime="text/html",
                      key="lesson_download_all", on_click="ignore", icon=":material/download:")


def render() -> None:
    load_url()
    present = st.query_params.get("present") == "1"
    room = classroom.begin(CHAPTER_KEY, knob_key, present)  # class mode (ui.classroom): None outside a class
    number = st.session_state[CHAPTER_KEY]
    chapter = CHAPTERS[number - 1]
    st.markdown(EQ_CSS + (PRESENT_CSS if present else ""), unsafe_allow_html=True)
    if not present:
        st.title(tr("Why gradients vanish: a lesson in ten chapters", "梯度为何消失:十章课程"))
        for en, zh in st.session_state.get(LANGUAGE_PROBLEM_KEY, []) + st.session_state.get(PROBLEMS_KEY, []):
            st.warning(tr(en, zh))
        picker(number)
        nav_buttons(number, "top")
        st.header(f"{number}. {tr(*chapter.title)}", anchor=False)
    else:  # one screen: the title between Previous and Next; the question and answer under the figure
        nav_buttons(number, "top", title=f"{number}. {tr(*chapter.title)}")
    text_col, fig_col = st.columns([2, 3], gap="medium")
    with text_col:
        st.markdown(tr(*chapter.text))
        for eq in chapter.equations_in(language()):
            st.markdown(f'<div class="lesson-eq">{eq}</div>', unsafe_allow_html=True)
    with fig_col:
        figure_box = st.container()  # filled below, once the knobs have given their values
    # Off the projector the knobs and the question sit under the figure, so a phone, which stacks the columns,
    # shows the figure, its knobs and the question together.
    with text_col if present else fig_col:
        values = draw_knobs(number, chapter)
        if chapter.live:
            training.start_stop(values)
    with figure_box:
        if chapter.live:
            st.fragment(draw_figure, run_every=REFRESH_SECONDS if training.running() else None)(
                number, chapter, values, present)
        else:
            draw_figure(number, chapter, values, present)
    with fig_col:
        if room is not None:
            classroom.question(room, chapter, values)
        else:
            predict_then_reveal(chapter, values)
    if not present:
        downloads(number, values)
    write_url(number, values)
