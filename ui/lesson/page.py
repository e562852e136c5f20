"""The lesson page: one renderer walks `ui.lesson.chapters.CHAPTERS`. `render()`; app.py's navigation runs it.

URL: `?chapter=5&forget_bias=3` (the chapter and its knobs; read once per session into the widgets' state,
written back after every run, TESTING.md's pitfall) and `present=1` for a projector: sidebar collapsed, one
chapter per 1280x720 screen with its reveal open (the figure's height leaves room for the question and
the answer, PRESENT_CSS), chart text >= 20 px and lines >= 3 px (`viz.style.projector`, drawn with
theme=None), and a clicker's PageDown/PageUp (or the arrows, Home, End) turning chapters (`keys`).
Every chapter: title, text with typeset maths, equations, at most two knobs, the figure, "predict, then
reveal"; outside presenter mode also the offline HTML downloads (`export`) and the Sources. In a class
(`?class=CODE[&key=SECRET]`) `ui.classroom` draws the class bar, keeps a student's page on the teacher's chapter
and runs the class's predict-then-reveal.
"""
from __future__ import annotations

import re

import streamlit as st

from viz.style import projector

from .. import classroom
from ..i18n import PROBLEM_KEY as LANGUAGE_PROBLEM_KEY
from ..i18n import language, tr
from ..nav import URL_CHANGED_KEY
from ..phone import for_phone
from ..probe_views import PLOTLY_CONFIG
from . import export, keys, training
from .chapters import CHAPTERS, Chapter, fmt

CHAPTER_KEY = "lesson_chapter"  # 1-based chapter number (plain state, not a widget's)
LOADED_KEY = "lesson_url_loaded"
PROBLEMS_KEY = "lesson_url_problems"
KNOB_NAMES = {k.name for c in CHAPTERS for k in c.knobs}
REFRESH_SECONDS = 1.0  # chapter 8's figure while its run trains; the whole-lesson file while it is prepared
# Presenter mode: the page is one screen high, a column of title row, body (text | figure) and foot (question,
# answer); the body takes what the others leave, and the figure (height="stretch") fills the body's height.
PRESENT_CSS = """<style>
[data-testid="stHeader"] { display: none; }  /* the projector shows the lesson only; the URL holds the rest */
.block-container { padding-top: 0.9rem; padding-bottom: 0.6rem; max-width: 100%; height: 100vh;
    box-sizing: border-box; }
.block-container > [data-testid="stVerticalBlock"] { height: 100%; flex-wrap: nowrap; }
.block-container > [data-testid="stVerticalBlock"] > div:has(> .st-key-lesson_body) { flex: 1 0 auto; }
.st-key-lesson_body { height: 100%; }
.st-key-lesson_body > div:has(> [data-testid="stHorizontalBlock"]) { flex: 1 0 auto; }
.st-key-lesson_body [data-testid="stHorizontalBlock"] { height: 100%; }
div:has(> .st-key-lesson_figure), .st-key-lesson_figure div:has(> [data-testid="stVerticalBlock"]) { flex: 1 0 auto; }
.block-container h3 { font-size: 1.6rem; padding: 0.1rem 0; text-align: center; }
.block-container p, .block-container li { font-size: 1.1rem; }
.block-container [data-testid="stVerticalBlock"] { gap: 0.55rem; }
</style>"""
PAGE_CSS = """<style>
[class*="st-key-lesson_eq_"] { background: rgba(127, 127, 127, 0.1); border-radius: 4px; padding: 0.35em 0.7em;
    overflow: visible; }
[class*="st-key-lesson_eq_"] [data-testid="stMarkdownContainer"] { margin-bottom: -1rem; }
[class*="st-key-lesson_eq_"] .katex { font-size: 1.12em; }
.st-key-lesson_keys_box { display: none; }
</style>"""
FIGURE_MIN = 300  # px: the presenter-mode figure's least height; it grows to fill the screen


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
    """Button / picker / clicker: show chapter `number`."""
    st.session_state[CHAPTER_KEY] = max(1, min(len(CHAPTERS), number))
    st.session_state[PROBLEMS_KEY] = []


def draw_knobs(number: int, chapter: Chapter) -> dict:
    """The chapter's knobs (select sliders over their options, shown by their labels); returns name -> value."""
    values = {}
    for knob in chapter.knobs:
        key = knob_key(number, knob.name)
        if key not in st.session_state:  # first visit, or the widget was dropped while another chapter showed
            st.session_state[key] = knob.default
        values[knob.name] = st.select_slider(tr(knob.en, knob.zh), options=knob.options, key=key,
                                             format_func=knob.display)
    return values


def write_url(number: int, values: dict) -> None:
    """Chapter and knobs -> URL; other chapters' knobs leave it, everything else (present, language) stays."""
    wanted = {"chapter": str(number), **{k: fmt(v) for k, v in values.items()}}
    for name in [n for n in st.query_params if n in KNOB_NAMES and n not in wanted]:
        del st.query_params[name]
    for name, text in wanted.items():
        if st.query_params.get(name) != text:
            st.query_params[name] = text


def equations(chapter: Chapter) -> None:
    """The chapter's equations, typeset (KaTeX), each in its shaded box: as inline maths, so a long one wraps
    after an operator or between its `,\\quad`-separated parts instead of running out of a narrow column."""
    for i, eq in enumerate(chapter.equations_in(language())):
        with st.container(key=f"lesson_eq_{i}"):
            st.markdown(",&ensp; ".join(f"${part}$" for part in re.split(r",\\quad\s*", eq)))


def draw_figure(number: int, chapter: Chapter, values: dict, present: bool) -> None:
    fig = for_phone(chapter.figure(values, language()))
    if present:  # at least FIGURE_MIN high, and as high as the body row leaves (PRESENT_CSS)
        fig = projector(fig, height=FIGURE_MIN)
    st.plotly_chart(fig, key=f"lesson_chart_{number}", config=PLOTLY_CONFIG, width="stretch",
                    height="stretch" if present else "content", theme=None if present else "streamlit")


def live_figure(number: int, chapter: Chapter, values: dict, present: bool) -> None:
    """Chapter 8's fragment: the run's status line and its figure, refreshed together; a full rerun at the end."""
    training.status()
    draw_figure(number, chapter, values, present)
    training.rerun_when_finished()


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


def predict_then_reveal(question: str, answer: str) -> None:
    """The question, and its answer computed from the run the figure shows, behind an expander."""
    st.markdown(f"**{tr('Predict', '预测')}:** {question}")
    with st.expander(tr("Reveal (computed from the model)", "揭晓答案(由模型计算)")):
        st.markdown(answer)


def picker(number: int) -> None:
    """Chapter list (not in presenter mode); its own key, so the chapter survives its widget."""
    st.session_state["lesson_pick"] = number
    titles = [f"{n}. {tr(*c.title)}" for n, c in enumerate(CHAPTERS, start=1)]  # fixed now, not at format time
    st.selectbox(tr("Chapter", "章节"), range(1, len(CHAPTERS) + 1), key="lesson_pick",
                 format_func=lambda n: titles[n - 1],
                 on_change=lambda: go_to(st.session_state["lesson_pick"]))


def whole_lesson(lang: str) -> None:
    """The whole-lesson file, prepared ahead on the server: its download button once ready, else its progress."""
    ready = export.prepared(lang)
    if ready.html is not None:
        st.download_button(tr("Download the whole lesson (HTML)", "下载整个课程(HTML)"), data=lambda: ready.html,
                           file_name="lesson.html", mime="text/html", key="lesson_download_all", on_click="ignore",
                           icon=":material/download:")
        if st.session_state.get("lesson_all_waiting"):  # it was being prepared: stop this fragment's refresh
            st.session_state["lesson_all_waiting"] = False
            st.rerun()
    elif ready.error is not None:
        st.error(tr(f"The whole lesson could not be prepared ({ready.error}); download the chapters one by one.",
                    f"无法生成整个课程({ready.error});请逐章下载。"))
    else:
        st.session_state["lesson_all_waiting"] = True
        st.progress(ready.done / ready.total, text=tr(f"Preparing the whole lesson: chapter {ready.done} of {ready.total}…",
                                                      f"正在生成整个课程:第 {ready.done}/{ready.total} 章…"))


def downloads(number: int, chapter: Chapter, values: dict) -> None:
    lang = language()
    job = training.current_job() if chapter.live else export.NO_RUN
    a, b = st.columns(2)
    a.download_button(tr("Download this chapter (HTML)", "下载本章(HTML)"),
                      data=lambda: export.chapter_html(number, values, lang, job), file_name=f"lesson_chapter_{number}.html",
                      mime="text/html", key="lesson_download_chapter", on_click="ignore", icon=":material/download:")
    with b:
        ready = export.prepared(lang).html is not None
        st.fragment(whole_lesson, run_every=None if ready else REFRESH_SECONDS)(lang)


def sources() -> None:
    """The tutorials and papers the lesson cites (`models.sources`, as the offline file lists them)."""
    with st.expander(tr("Sources: the tutorials and papers this lesson cites", "参考来源:本课程引用的教程与论文")):
        for heading, items in export.sources(language()):
            st.markdown(f"**{heading}**\n\n" + "\n".join(f"{i}. {e}" for i, e in enumerate(items, start=1)))


def render() -> None:
    load_url()
    present = st.query_params.get("present") == "1"
    st.markdown(PAGE_CSS + (PRESENT_CSS if present else ""), unsafe_allow_html=True)
    if present:
        move = keys.pressed()
        if move:
            go_to(keys.target(move, st.session_state[CHAPTER_KEY], len(CHAPTERS)))
    room = classroom.begin(CHAPTER_KEY, knob_key, present)  # class mode (ui.classroom): None outside a class
    number = st.session_state[CHAPTER_KEY]
    chapter = CHAPTERS[number - 1]
    if not present:
        st.title(tr("Why gradients vanish: a lesson in ten chapters", "梯度为何消失:十章课程"))
        for en, zh in st.session_state.get(LANGUAGE_PROBLEM_KEY, []) + st.session_state.get(PROBLEMS_KEY, []):
            st.warning(tr(en, zh))
        picker(number)
        nav_buttons(number, "top")
        st.header(f"{number}. {tr(*chapter.title)}", anchor=False)
    else:  # one screen: the title between Previous and Next; the question and answer across the foot
        nav_buttons(number, "top", title=f"{number}. {tr(*chapter.title)}")
    with st.container(key="lesson_body"):
        text_col, fig_col = st.columns([2, 3], gap="medium")
    with text_col:
        st.markdown(tr(*chapter.text))
        equations(chapter)
    with fig_col:
        figure_box = st.container(key="lesson_figure")  # filled below, once the knobs have given their values
    # Off the projector the knobs and the question sit under the figure, so a phone, which stacks the columns,
    # shows the figure, its knobs and the question together.
    with text_col if present else fig_col:
        values = draw_knobs(number, chapter)
        if chapter.live:
            training.start_stop(values)
    with figure_box:
        if chapter.live:
            st.fragment(live_figure, run_every=REFRESH_SECONDS if training.running() else None)(
                number, chapter, values, present)
        else:
            draw_figure(number, chapter, values, present)
    with st.container(key="lesson_foot") if present else fig_col:
        if room is not None:
            classroom.question(room, chapter, values)
        else:
            predict_then_reveal(tr(*chapter.predict), chapter.reveal(values, language()))
    if not present:
        downloads(number, chapter, values)
        sources()
    write_url(number, values)
