"""Who this browser is in a class: `enter()` reads `?class=CODE[&key=SECRET]` once per session into a `Room`.

Decisions, each with a message in both languages (`problems()`), and the lesson always shown:
- no `class` parameter: no room (the lesson on its own);
- a `class` that is not a code, or names no live class on this server: a clear message, the parameters leave the
  URL, the lesson on its own;
- the store cannot be opened (its directory unwritable): a message naming the directory, the lesson on its own;
- the right key: the teacher. The key then leaves the address bar (a projector shows it) and goes into a cookie
  of this browser for the day, `gf_key_CODE`, so a reload keeps the teacher in charge;
- a wrong key: a student, with a message; no key: a student, or the teacher if this browser holds the cookie.

A student is a random id (`classroom.new_student_id`) kept in the cookie `gf_student` for a day, so a reload or
a second scan of the QR code on the same phone is the same student, one answer per question. Not in the URL:
students pass the URL around, and two people with one id would share one answer. No names, no IP addresses.
Cookies are read from `st.context.cookies` (the page's first request) and written by a one-line script.
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

import streamlit as st

from classroom import ClassStore, Refusal, new_student_id, normalize_code
from classroom.store import STUDENT_RE, default_directory

from ..i18n import tr

ROOM_KEY = "class_room"  # this session's Room, or None
PROBLEMS_KEY = "class_problems"  # [(English, Chinese)] to show once
STUDENT_COOKIE = "gf_student"
COOKIE_DAYS = 1
SAFE_COOKIE = re.compile(r"[A-Za-z0-9_-]{1,64}")
REFUSALS = {  # classroom.store.Refusal.reason -> (English, Chinese)
    "no_class": ("This class has ended (a class lasts a day).", "这个课堂已结束(课堂持续一天)。"),
    "full": ("The class is full: you can follow it, but not answer.", "课堂已满:你可以跟随,但不能作答。"),
    "closed": ("The teacher has revealed this answer: answers to it are closed.", "老师已揭晓答案:此题不再接受作答。"),
    "question_cap": ("This class has reached its cap on questions.", "这个课堂的题目数量已达上限。"),
    "class_cap": ("This server has reached its cap on classes.", "本服务器的课堂数量已达上限。"),
}


@dataclass
class Room:
    """This session in class `code`: the teacher (`key` set, `student` empty) or a student (`student`, answering if
    `can_answer`).
    `following`: the student's page shows the teacher's chapter and knobs; `applied` is the (version, chapter,
    knobs) last copied from the class, so a move of the student's own can be told from the teacher's."""

    code: str
    key: str | None
    student: str
    can_answer: bool = True
    following: bool = True
    applied: tuple | None = None
    resume: bool = False  # a teacher's page opened without a chapter: it takes up the class where it stands
    present: bool = False  # this run is in presenter mode (`&present=1`)
    cookies: dict = field(default_factory=dict)  # name -> value still to write into the browser

    @property
    def teacher(self) -> bool:
        return self.key is not None


@st.cache_resource(show_spinner=False)
def shared_store(directory: str) -> ClassStore:
    """One ClassStore per directory and server process (it holds no connection, only its path)."""
    return ClassStore(directory)


def store() -> ClassStore | None:
    """The class store in $GRADIENT_FLOW_CLASS_DIR (else ~/.cache/gradient-flow/class), or None with a message when
    it cannot be opened (a failure is not cached: the next visitor retries)."""
    try:
        return shared_store(str(default_directory()))
    except (OSError, RuntimeError, ValueError) as exc:  # sqlite3.Error is an Exception, caught below
        problem(f"Class mode is unavailable on this server: its store could not be opened ({exc}). Showing the "
                "lesson on its own.", f"本服务器无法使用课堂模式:无法打开其存储({exc})。只显示课程本身。")
    except Exception as exc:  # noqa: BLE001 - sqlite3.DatabaseError and kin: the same answer
        problem(f"Class mode is unavailable on this server ({type(exc).__name__}: {exc}). Showing the lesson "
                "on its own.", f"本服务器无法使用课堂模式({type(exc).__name__}:{exc})。只显示课程本身。")
    return None


def message(exc: Exception) -> str:
    """A store's refusal in the reader's language."""
    if isinstance(exc, Refusal) and exc.reason in REFUSALS:
        return tr(*REFUSALS[exc.reason])
    if isinstance(exc, PermissionError):
        return tr("Only the holder of the teacher's key can do this.", "只有持有老师密钥的人才能这样做。")
    if isinstance(exc, sqlite3.Error):
        return tr(f"The class store is busy ({exc}); try again in a moment.", f"课堂存储繁忙({exc});请稍后再试。")
    return tr(str(exc), f"输入无效:{exc}")


def problem(en: str, zh: str) -> None:
    st.session_state.setdefault(PROBLEMS_KEY, []).append((en, zh))


def problems() -> list[tuple[str, str]]:
    return st.session_state.pop(PROBLEMS_KEY, [])


def cookie(name: str) -> str | None:
    try:
        value = st.context.cookies.get(name)
    except Exception:  # noqa: BLE001 - no request context (AppTest, a bare script run)
        return None
    return value if isinstance(value, str) and SAFE_COOKIE.fullmatch(value) else None


def key_cookie(code: str) -> str:
    return f"gf_key_{code}"


def cookie_script(cookies: dict) -> str:
    """<script> that stores `cookies` (name -> value, both [A-Za-z0-9_-]) for COOKIE_DAYS on every path."""
    parts = []
    for name, value in cookies.items():
        assert SAFE_COOKIE.fullmatch(name) and SAFE_COOKIE.fullmatch(value), "cookie names and values are ours"
        parts.append(f'document.cookie = "{name}={value}; path=/; max-age={COOKIE_DAYS * 86400}; SameSite=Strict";')
    return "<script>" + " ".join(parts) + "</script>"


def drop_params(*names: str) -> None:
    for name in names:
        if name in st.query_params:
            del st.query_params[name]


def enter() -> Room | None:
    """This session's Room, from the URL on its first run or when `class=` changes; None outside a class."""
    room: Room | None = st.session_state.get(ROOM_KEY)
    raw = st.query_params.get("class")
    if raw is None:
        if room is not None:  # the page was opened without the query (another page's link): stay in the class
            st.query_params["class"] = room.code
        return room
    if room is not None and raw == room.code and "key" not in st.query_params:
        return room
    st.session_state[ROOM_KEY] = room = open_room(raw, st.query_params.get("key"))
    drop_params("key")
    if room is None:
        drop_params("class")
    return room


def open_room(raw: str, key: str | None) -> Room | None:
    code = normalize_code(raw)
    if code is None:
        shown = raw[:40]
        problem(f"URL parameter class={shown!r} is not a class code (4 to 6 letters, as in the link the teacher "
                "shared). Showing the lesson on its own.",
                f"URL 参数 class={shown!r} 不是课堂代码(4 到 6 个字母,见老师分享的链接)。只显示课程本身。")
        return None
    classes = store()
    if classes is None:
        return None
    if not classes.is_class(code):
        problem(f"There is no class {code} on this server: it ended (a class lasts a day) or the link is mistyped. "
                "Showing the lesson on its own.",
                f"本服务器上没有课堂 {code}:它已结束(课堂持续一天),或链接有误。只显示课程本身。")
        return None
    cookies = {}
    if key is not None and not classes.is_teacher(code, key):
        problem(f"The key in this link does not open class {code}: you are in it as a student. The teacher's "
                "link is the one `make class` printed.",
                f"此链接中的密钥无法打开课堂 {code}:你以学生身份加入。老师的链接是 `make class` 打印的那个。")
        key = None
    elif key is None:
        remembered = cookie(key_cookie(code))
        key = remembered if remembered is not None and classes.is_teacher(code, remembered) else None
    else:
        cookies[key_cookie(code)] = key
    student = "" if key is not None else cookie(STUDENT_COOKIE)
    if student is None or (student and not STUDENT_RE.fullmatch(student)):
        student = new_student_id()
        cookies[STUDENT_COOKIE] = student
    room = Room(code, key, student, resume=key is not None and "chapter" not in st.query_params, cookies=cookies)
    if not room.teacher:
        try:
            classes.join(code, student)
        except (ValueError, sqlite3.Error) as exc:
            room.can_answer = False
            st.session_state.setdefault(PROBLEMS_KEY, []).append((message(exc),) * 2)
    return room


def leave() -> None:
    """Button callback: this session leaves the class (the lesson on its own; the URL loses class=)."""
    st.session_state[ROOM_KEY] = None
    drop_params("class", "key")


def flush_cookies(room: Room) -> None:
    """Write the room's pending cookies into the browser (once)."""
    if room.cookies:
        st.html(cookie_script(room.cookies), unsafe_allow_javascript=True)
        room.cookies = {}
