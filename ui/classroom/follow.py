"""Follow the teacher: the teacher's page publishes its chapter and knobs; a following student's page copies them.

The teacher's page publishes at the start of its run (the chapter and the knobs' values are known once the
widgets' callbacks have run), so students' pages start redrawing while the teacher's still draws.

    sync(room, chapter_key, knob_key) -> ClassState | None   # top of every lesson run, before any widget:
                                                             # the teacher's page publishes, a student's copies
    student_bar(room, state)                                 # status, Explore / Rejoin, and the poll

A student's page polls the store every POLL_SECONDS in a fragment (one indexed read of the class's version) and
reruns the page when the version moved, so a teacher's change shows within about POLL_SECONDS plus one redraw.
Copying happens only when the version moved; if the student's chapter or knobs differ from what was last copied
while the version did not, the student moved them: the page stops following (explore on your own) until Rejoin.
"""
from __future__ import annotations

import sqlite3

import streamlit as st

from classroom import ClassState

from ..i18n import tr
from ..lesson.chapters import CHAPTERS
from .room import Room, problem, store

POLL_SECONDS = 1.0
SEEN_KEY = "class_seen_version"  # the class version this page last drew


def moment(chapter_key: str, knob_key) -> tuple[int, dict]:
    """This session's chapter and its knob values (defaults for knobs not drawn yet)."""
    number = st.session_state.get(chapter_key, 1)
    return number, {k.name: st.session_state.get(knob_key(number, k.name), k.default) for k in CHAPTERS[number - 1].knobs}


def copy_teacher(state: ClassState, chapter_key: str, knob_key) -> tuple[int, dict]:
    """The class's chapter and knobs into this session's widget state (unknown values keep the student's own)."""
    number = state.chapter if 1 <= state.chapter <= len(CHAPTERS) else st.session_state.get(chapter_key, 1)
    st.session_state[chapter_key] = number
    for knob in CHAPTERS[number - 1].knobs:
        value = knob.parse(state.knobs.get(knob.name)) if knob.name in state.knobs else None
        if value is not None:
            st.session_state[knob_key(number, knob.name)] = value
    return moment(chapter_key, knob_key)


def sync(room: Room, chapter_key: str, knob_key) -> ClassState | None:
    """Read the class; a following student's page takes the teacher's chapter and knobs. None if the class is gone."""
    try:
        state = store().state(room.code)
    except sqlite3.Error as exc:
        problem(f"The class store could not be read ({exc}); showing your own page.",
                f"无法读取课堂存储({exc});显示你自己的页面。")
        return None
    if state is None:
        problem(f"Class {room.code} has ended (a class lasts a day). Showing the lesson on its own.",
                f"课堂 {room.code} 已结束(课堂持续一天)。只显示课程本身。")
        return None
    if room.resume:  # the teacher reopened the class (a reload, a second device): carry on where it stands
        room.resume = False
        if state.version > 0:
            copy_teacher(state, chapter_key, knob_key)
    if room.teacher:  # published before this run draws anything: the students' pages start redrawing at once
        state = publish(room, *moment(chapter_key, knob_key)) or state
    elif room.following:
        if room.applied is None or room.applied[0] != state.version:
            room.applied = (state.version, *copy_teacher(state, chapter_key, knob_key))
        elif moment(chapter_key, knob_key) != room.applied[1:]:
            room.following = False  # the student turned a knob or a page: exploring on their own
    st.session_state[SEEN_KEY] = state.version
    return state


def publish(room: Room, number: int, values: dict) -> ClassState | None:
    """The teacher's chapter and knobs -> the class (a new version only when they changed); the class's new state."""
    try:
        if store().set_state(room.code, room.key, number, values) != st.session_state.get(SEEN_KEY):
            return store().state(room.code)
    except (ValueError, PermissionError, sqlite3.Error) as exc:
        problem(f"Could not update the class: {exc}", f"无法更新课堂:{exc}")
    return None


def set_following(room: Room, following: bool) -> None:
    room.following, room.applied = following, None


@st.fragment(run_every=POLL_SECONDS)
def poll(code: str) -> None:
    """Rerun the whole page once the class's version differs from the one this page drew."""
    try:
        version = store().version(code)
    except sqlite3.Error:
        return  # busy or briefly unreadable: the next poll tries again
    if version is not None and version != st.session_state.get(SEEN_KEY):
        st.rerun()


def student_bar(room: Room, state: ClassState) -> None:
    """'Class X: following the teacher' with Explore on my own, or 'exploring' with Rejoin; and the poll."""
    text_col, button_col = st.columns([3, 1], vertical_alignment="center")
    with text_col:
        if room.following:
            st.info(tr(f"**Class {room.code}**: you follow the teacher (chapter {state.chapter}).",
                       f"**课堂 {room.code}**:你正在跟随老师(第 {state.chapter} 章)。"), icon=":material/groups:")
        else:
            st.warning(tr(f"**Class {room.code}**: you are exploring on your own; the teacher is at chapter "
                          f"{state.chapter}.", f"**课堂 {room.code}**:你正在自己探索;老师在第 {state.chapter} 章。"),
                       icon=":material/explore:")
    with button_col:
        if room.following:
            st.button(tr("Explore on my own", "自己探索"), key="class_explore", on_click=set_following,
                      args=(room, False), width="stretch")
        else:
            st.button(tr("Rejoin the class", "回到课堂"), key="class_rejoin", type="primary", on_click=set_following,
                      args=(room, True), width="stretch")
    poll(room.code)
