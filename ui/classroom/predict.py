"""Predict, then reveal, as a class: `question(room, state, chapter, values)` in place of the lesson's own reveal.

Student: the question, an answer control that fits it (`ui.lesson.questions`: a radio over the options, or a number
and a Send button), saved at once; "your answer: ..." until the teacher reveals; then the computed answer, theirs
marked right or not, the class's distribution (`viz.answers`) and the chapter's reveal text.
Teacher: the computed answer (folded away), then, live every LIVE_SECONDS, how many have answered and the chart of
what they said (folded away too on a projector, `&present=1`, until the reveal); Reveal to the class (stores the
computed answer), then Hide again and Ask again (clears the answers). If the teacher moves a knob after revealing,
the stored answer follows the new computation.
Nothing here ever shows one student's answer to anyone else; students see the aggregate only after the reveal.
"""
from __future__ import annotations

import sqlite3
from collections import Counter

import streamlit as st

from classroom import ClassState
from viz.answers import choice_answers_figure, number_answers_figure

from ..i18n import language, tr
from ..lesson.chapters import Chapter
from ..lesson.questions import QUESTIONS, Question
from ..probe_views import PLOTLY_CONFIG
from .room import Room, message, store

LIVE_SECONDS = 1.5


def attempt(call, *args, **kwargs):
    """A store call; its refusal (ValueError, PermissionError) or a busy database becomes a message and None."""
    try:
        return call(*args, **kwargs)
    except (ValueError, PermissionError, sqlite3.Error) as exc:
        st.warning(message(exc))
    return None


def distribution(q: Question, answers: list, computed, title: str):
    """The class's answers as a figure: bars per option (in the question's order) or a histogram."""
    lang = language()
    if q.kind == "choice":
        counts = Counter(answers)
        right = next((i for i, o in enumerate(q.options) if o.value == computed), None)
        return choice_answers_figure([q.label_of(o.value, lang) for o in q.options],
                                     [counts.get(o.value, 0) for o in q.options], right, title, lang=lang)
    numbers = [float(a) for a in answers if isinstance(a, (int, float))]
    return number_answers_figure(numbers, computed, q.tolerance, q.step, q.unit, title, lang=lang)


def tally(q: Question, answers: list, computed) -> str:
    right = sum(q.is_right(a, computed) for a in answers)
    return tr(f"{len(answers)} answered; {right} match the computed answer.",
              f"{len(answers)} 人作答;{right} 人与计算结果一致。")


def shown(q: Question, value) -> str:
    return tr("not computable at this setting yet", "在此设置下尚无法计算") if value is None else q.label_of(value, language())


# -- students --------------------------------------------------------------------------------------------------------
def save(room: Room, slug: str, widget: str) -> None:
    """Radio / Send callback: this student's answer -> the class (the last one before the reveal counts).
    A refusal (revealed meanwhile, class full, out of range) is kept to be shown beside the control."""
    value = st.session_state.get(widget)
    if value is None:
        return
    q = QUESTIONS[slug]
    if not q.valid(value):  # the widget's own bounds, checked again here: a page's values come from its client
        lo, hi = q.label_of(q.lo, "en"), q.label_of(q.hi, "en")
        st.session_state[f"{widget}_refused"] = tr(f"Answers to this question are between {lo} and {hi}.",
                                                   f"此题的答案应在 {lo} 到 {hi} 之间。")
        return
    try:
        store().answer(room.code, slug, room.student, value)
    except (ValueError, sqlite3.Error) as exc:
        st.session_state[f"{widget}_refused"] = message(exc)


def answer_control(room: Room, slug: str, q: Question) -> None:
    widget = f"class_answer_{slug}"
    mine = attempt(store().answer_of, room.code, slug, room.student)
    if widget not in st.session_state and q.valid(mine):
        st.session_state[widget] = mine
    label = tr(*q.label)
    if not room.can_answer:
        return
    if q.kind == "choice":
        st.radio(label, [o.value for o in q.options], key=widget, index=None, format_func=lambda v: shown(q, v),
                 on_change=save, args=(room, slug, widget))
    else:
        with st.form(f"class_form_{slug}", border=False):
            st.number_input(label, min_value=float(q.lo), max_value=float(q.hi), step=float(q.step), value=None,
                            key=widget, format="%.0f" if q.step >= 1 else "%.2f")
            st.form_submit_button(tr("Send my answer", "提交我的答案"), on_click=save, args=(room, slug, widget))
    mine = attempt(store().answer_of, room.code, slug, room.student)
    if mine is None:
        st.caption(tr("Answer before the teacher reveals it; you can change your answer until then.",
                      "在老师揭晓之前作答;揭晓之前可以修改答案。"))
    else:
        st.caption(tr(f"Your answer, **{shown(q, mine)}**, is in. You can change it until the teacher reveals.",
                      f"你的答案 **{shown(q, mine)}** 已提交。老师揭晓之前可以修改。"))


def student_view(room: Room, state: ClassState, chapter: Chapter, values: dict, q: Question) -> None:
    slug = chapter.slug
    refused = st.session_state.pop(f"class_answer_{slug}_refused", None)
    if refused:  # e.g. an answer sent from a page drawn before the reveal
        st.warning(refused)
    if slug not in state.revealed:
        answer_control(room, slug, q)
        return
    computed = state.revealed[slug]
    mine = attempt(store().answer_of, room.code, slug, room.student)
    verdict = ("" if mine is None else
               tr(f" Yours: {shown(q, mine)} {'✓' if q.is_right(mine, computed) else '✗'}.",
                  f" 你的:{shown(q, mine)} {'✓' if q.is_right(mine, computed) else '✗'}。"))
    st.success(tr(f"**Computed answer: {shown(q, computed)}.**", f"**计算结果:{shown(q, computed)}。**") + verdict)
    answers = attempt(store().results, room.code, slug) or []
    st.caption(tally(q, answers, computed))
    st.plotly_chart(distribution(q, answers, computed, tr("The class's answers", "全班的答案")),
                    key=f"class_chart_{slug}", config=PLOTLY_CONFIG, width="stretch")
    if not chapter.live:  # chapter 8's answer is the teacher's run, not this session's
        with st.expander(tr("Why (computed from the model)", "为什么(由模型计算)"), expanded=True):
            st.markdown(chapter.reveal(values, language()))


# -- the teacher -----------------------------------------------------------------------------------------------------
@st.fragment(run_every=LIVE_SECONDS)
def live_answers(room: Room, slug: str, q: Question, computed, revealed: bool) -> None:
    answers = attempt(store().results, room.code, slug, key=room.key)
    if answers is None:
        return
    st.markdown(tr(f"**{len(answers)}** of {store().size(room.code)} students have answered.",
                   f"**{len(answers)}** / {store().size(room.code)} 名学生已作答。"))
    if answers or revealed:
        if revealed:
            st.caption(tally(q, answers, computed))
        st.plotly_chart(distribution(q, answers, computed if revealed else None,
                                     tr("The class's answers", "全班的答案")),
                        key=f"class_live_{slug}", config=PLOTLY_CONFIG, width="stretch")


def reveal(room: Room, slug: str, computed, show: bool) -> None:
    attempt(store().reveal, room.code, room.key, slug, computed=computed, revealed=show)


def ask_again(room: Room, slug: str) -> None:
    attempt(store().reset_question, room.code, room.key, slug)
    st.session_state.pop(f"class_answer_{slug}", None)


def teacher_view(room: Room, state: ClassState, chapter: Chapter, values: dict, q: Question) -> None:
    slug = chapter.slug
    computed = q.computed(values)
    revealed = slug in state.revealed
    if revealed and state.revealed[slug] != computed:  # a knob moved after the reveal: the answer follows it
        reveal(room, slug, computed, True)
    if not revealed:  # folded: the teacher's screen is often the projector
        with st.expander(tr("Computed answer (students see it when you reveal)", "计算结果(揭晓时学生才会看到)")):
            st.markdown(f"**{shown(q, computed)}**")
    if room.present and not revealed:
        with st.expander(tr("The class's answers so far (open to look)", "目前全班的答案(展开查看)")):
            live_answers(room, slug, q, computed, revealed)
    else:
        live_answers(room, slug, q, computed, revealed)
    if not revealed:
        st.button(tr("Reveal to the class", "向全班揭晓"), key=f"class_reveal_{slug}", type="primary",
                  on_click=reveal, args=(room, slug, computed, True), icon=":material/visibility:")
        return
    hide_col, again_col = st.columns(2)
    hide_col.button(tr("Hide the answer again", "再次隐藏答案"), key=f"class_hide_{slug}", on_click=reveal,
                    args=(room, slug, computed, False), width="stretch")
    again_col.button(tr("Ask again (clear the answers)", "重新提问(清除答案)"), key=f"class_again_{slug}",
                     on_click=ask_again, args=(room, slug), width="stretch")
    with st.expander(tr("Reveal (computed from the model)", "揭晓答案(由模型计算)"), expanded=True):
        st.markdown(chapter.reveal(values, language()))


def question(room: Room, state: ClassState, chapter: Chapter, values: dict) -> None:
    """The chapter's question with its class controls (the teacher's or a student's)."""
    st.markdown(f"**{tr('Predict', '预测')}:** {tr(*chapter.predict)}")
    q = QUESTIONS.get(chapter.slug)
    if q is None:  # a chapter without a class form: its own reveal, as outside a class
        with st.expander(tr("Reveal (computed from the model)", "揭晓答案(由模型计算)")):
            st.markdown(chapter.reveal(values, language()))
        return
    (teacher_view if room.teacher else student_view)(room, state, chapter, values, q)
