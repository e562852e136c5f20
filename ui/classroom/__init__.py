"""Class mode in the lesson: the teacher leads, every student follows and predicts. Two hooks for `ui.lesson.page`:

    room = begin(CHAPTER_KEY, knob_key, present)   # top of the run (the teacher's page publishes here): None
                                                   # outside a class
    question(room, chapter, values)                # in place of the lesson's own predict-then-reveal

`ui.classroom.room` decides who this browser is (teacher, student, or neither, with a message), `follow` keeps a
student's page on the teacher's chapter, `predict` runs the class's answers and the reveal, `teacher` shows the
students' link and QR code. The shared state is `classroom.ClassStore` (one SQLite file for every server process).
"""
from __future__ import annotations

import streamlit as st

from ..i18n import tr
from ..lesson.chapters import Chapter
from . import follow, predict
from .room import Room, enter, flush_cookies, leave, problems, store
from .teacher import teacher_bar

STATE_KEY = "class_state"  # this run's ClassState
# The poll and the live answers rerun a fragment every second or so; Streamlit's "Running... Stop" corner would
# blink with each of them on every student's screen.
QUIET_CSS = '<style>[data-testid="stStatusWidget"] { visibility: hidden; }</style>'


def begin(chapter_key: str, knob_key, present: bool = False) -> Room | None:
    """Enter the class named in the URL, bring a following student's page to the teacher's chapter, and draw the
    class bar (with any message). Returns the Room, or None when this page is not in a class."""
    room = enter()
    state = follow.sync(room, chapter_key, knob_key) if room is not None else None
    if room is not None and state is None:  # the class ended, or its store could not be read
        leave()
        room = None
    for en, zh in problems():
        st.warning(tr(en, zh))
    if room is None:
        return None
    st.session_state[STATE_KEY] = state
    st.html(QUIET_CSS)
    room.present = present
    if room.teacher:
        teacher_bar(room, store().size(room.code), present)
    else:
        follow.student_bar(room, state)
    flush_cookies(room)
    return room


def question(room: Room, chapter: Chapter, values: dict) -> None:
    predict.question(room, st.session_state[STATE_KEY], chapter, values)
