"""What a class may hold and what a caller may send: the caps, the forms of codes and ids, and the checks that
refuse everything else with a `ValueError` naming what is wrong (`Refusal`, a ValueError with a `reason`, for the
refusals a page translates). Used by `classroom.store`; standard library only.
"""
from __future__ import annotations

import json
import math
import re
import secrets

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ"  # no I, L, O: they read as 1, 1, 0
CODE_LENGTH = 5  # 23^5 = 6.4 million codes
CODE_RE = re.compile(f"[{CODE_ALPHABET}]{{4,6}}")
STUDENT_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")
QUESTION_RE = re.compile(r"[a-z0-9_]{1,32}")
KNOB_RE = re.compile(r"[a-z0-9_]{1,32}")
KEY_MAX = 256  # characters of a key worth hashing; longer ones are wrong

TTL_SECONDS = 24 * 3600  # a class lasts a day
CLASS_CAP = 100  # live classes per store (per server machine)
STUDENT_CAP = 200  # students per class
QUESTION_CAP = 32  # questions per class (the lesson asks 9)
TEXT_CAP = 64  # characters in a text answer, a knob's name or text value
NUMBER_CAP = 1e12  # |number| of an answer or a knob
KNOB_CAP = 8  # knobs in the teacher's state
CHAPTER_CAP = 99

Answer = str | int | float


class Refusal(ValueError):
    """A ValueError that also names its `reason` for a translated message: "no_class", "full", "closed" (revealed),
    "question_cap", "class_cap". Out-of-bounds input is a plain ValueError."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def normalize_code(raw) -> str | None:
    """A class code as typed or read from a URL ("kqwmt ", "KQWMT") -> "KQWMT"; None if it cannot be one."""
    if not isinstance(raw, str) or len(raw) > 16:
        return None
    code = raw.strip().upper()
    return code if CODE_RE.fullmatch(code) else None


def new_student_id() -> str:
    """A random, anonymous student id (96 bits, url-safe)."""
    return secrets.token_urlsafe(12)


def check_value(value, what: str) -> Answer:
    """A text of 1..TEXT_CAP characters (stripped) or a finite number with |x| <= NUMBER_CAP, as stored."""
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > TEXT_CAP or not text.isprintable():
            raise ValueError(f"{what} must be 1 to {TEXT_CAP} printable characters, got {value[:TEXT_CAP + 1]!r}.")
        return text
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a text or a number, got {type(value).__name__}.")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or abs(number) > NUMBER_CAP:
        raise ValueError(f"{what} must be a finite number between -{NUMBER_CAP:g} and {NUMBER_CAP:g}, got {value!r}.")
    return value if isinstance(value, int) else number


def check_question(question) -> str:
    if not isinstance(question, str) or not QUESTION_RE.fullmatch(question):
        raise ValueError(f"A question id is 1 to 32 characters a-z, 0-9 or _, got {str(question)[:40]!r}.")
    return question


def check_student(student) -> str:
    if not isinstance(student, str) or not STUDENT_RE.fullmatch(student):
        raise ValueError("A student id is 8 to 64 characters A-Z, a-z, 0-9, - or _ (new_student_id() makes one).")
    return student


def check_knobs(knobs) -> str:
    """name -> text or number, at most KNOB_CAP of them -> canonical JSON."""
    if not isinstance(knobs, dict) or len(knobs) > KNOB_CAP:
        raise ValueError(f"Knobs must be a dict of at most {KNOB_CAP} names to values.")
    for name in knobs:
        if not isinstance(name, str) or not KNOB_RE.fullmatch(name):
            raise ValueError(f"A knob name is 1 to 32 characters a-z, 0-9 or _, got {str(name)[:40]!r}.")
    return json.dumps({name: check_value(v, f"Knob {name}") for name, v in sorted(knobs.items())})
