"""The class store: one SQLite file (WAL) that every server process on the machine shares.

    store = ClassStore()                          # $GRADIENT_FLOW_CLASS_DIR, else ~/.cache/gradient-flow/class
    code, secret = store.create_class()           # "KQWMT", 32 url-safe random bytes (256 bits)
    store.is_class(code); store.is_teacher(code, secret)
    store.set_state(code, secret, chapter=5, knobs={"forget_bias": 3.0})   # teacher: what the class sees
    store.state(code)  -> ClassState(chapter, knobs, revealed, version, ...);  store.version(code) -> int
    store.join(code, student)                     # a student id from new_student_id(); bounded class size
    store.answer(code, "lstm", student, "forget_direct")   # the last answer before the reveal counts
    store.reveal(code, secret, "lstm", computed="forget_direct")
    store.results(code, "lstm", key=secret) -> [answers]   # the teacher at any time, anyone once revealed

What it holds, per class (code): a SHA-256 of the teacher's secret (never the secret: it is 256 random bits, so a
plain hash is enough; compared with `hmac.compare_digest`), its creation time, the teacher's state (chapter, knob
values as small JSON, a version counter bumped by every teacher change), the students' ids (random, anonymous),
and per question (a short id, the lesson's chapter slug): whether it is revealed, the computed answer stored at
the reveal, and one answer per student. An answer is a choice (text) or a number; nobody reads one student's
answer but that student (`answer_of`); the results are the list of values without ids.

Who may do what is checked here, not only in the page: teacher calls take the key and raise `PermissionError`
for a wrong one; `results` is refused to students until the question is revealed; answers are refused after it.

Bounds (every breach is a `ValueError` whose message says what to do): CLASS_CAP live classes per store,
STUDENT_CAP students per class, QUESTION_CAP questions per class, TEXT_CAP characters in a text answer, knob name
and value, NUMBER_CAP on |number|, KNOB_CAP knobs, CHAPTER_CAP chapters. Classes older than TTL_SECONDS (a day)
are gone: unseen at once, their rows deleted by the next `create_class` or `purge()`.

Several processes: every call opens its own short-lived connection (safe across threads and forks), waits up to
BUSY_MS for a lock, and every read-then-write runs in one `BEGIN IMMEDIATE` transaction, so two processes
answering at once both land. The clock is injectable (`clock=`) for the expiry's tests. Standard library only.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

ENV_DIR = "GRADIENT_FLOW_CLASS_DIR"
DEFAULT_DIR = Path("~/.cache/gradient-flow/class")
DB_NAME = "classes.sqlite3"
SCHEMA_VERSION = 1

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
BUSY_MS = 5000  # how long a call waits for another process's write lock

SCHEMA = """
CREATE TABLE IF NOT EXISTS classes (
    code TEXT PRIMARY KEY, key_hash TEXT NOT NULL, created REAL NOT NULL,
    chapter INTEGER NOT NULL DEFAULT 1, knobs TEXT NOT NULL DEFAULT '{}', version INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS students (
    code TEXT NOT NULL REFERENCES classes(code) ON DELETE CASCADE, student TEXT NOT NULL, joined REAL NOT NULL,
    PRIMARY KEY (code, student));
CREATE TABLE IF NOT EXISTS questions (
    code TEXT NOT NULL REFERENCES classes(code) ON DELETE CASCADE, question TEXT NOT NULL,
    revealed INTEGER NOT NULL DEFAULT 0, computed, PRIMARY KEY (code, question));
CREATE TABLE IF NOT EXISTS answers (
    code TEXT NOT NULL, question TEXT NOT NULL, student TEXT NOT NULL, value NOT NULL, updated REAL NOT NULL,
    PRIMARY KEY (code, question, student), FOREIGN KEY (code, question) REFERENCES questions ON DELETE CASCADE);
"""

Answer = str | int | float


@dataclass(frozen=True)
class ClassState:
    """What the teacher shows: `chapter` (1-based), `knobs` (name -> value), the `revealed` questions with their
    computed answers (question -> value), and `version`, bumped by every teacher change (students poll it)."""

    code: str
    chapter: int
    knobs: dict
    revealed: dict
    version: int
    created: float


def default_directory() -> Path:
    return Path(os.environ.get(ENV_DIR) or DEFAULT_DIR).expanduser()


def normalize_code(raw) -> str | None:
    """A class code as typed or read from a URL ("kqwmt ", "KQWMT") -> "KQWMT"; None if it cannot be one."""
    if not isinstance(raw, str) or len(raw) > 16:
        return None
    code = raw.strip().upper()
    return code if CODE_RE.fullmatch(code) else None


def new_student_id() -> str:
    """A random, anonymous student id (96 bits, url-safe)."""
    return secrets.token_urlsafe(12)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


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


class ClassStore:
    """The class store in `directory` (created if missing). Cheap to make; holds no open connection."""

    def __init__(self, directory: str | os.PathLike | None = None, *, clock: Callable[[], float] = time.time):
        self.directory = Path(directory).expanduser() if directory is not None else default_directory()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = self.directory / DB_NAME
        self.clock = clock
        with self._connect() as conn:
            if conn.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
                raise RuntimeError(f"SQLite could not use WAL mode for {self.path} (a network file system?).")
            conn.executescript(f"BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")

    # -- connections ---------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)  # autocommit; explicit BEGINs
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable across a process crash, one fsync per checkpoint
            yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One read-then-write transaction, holding the write lock from its start (BEGIN IMMEDIATE)."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _oldest_live(self) -> float:
        return self.clock() - TTL_SECONDS

    def _live(self, conn, code) -> str | None:
        """The normalized code if it names a live class, else None."""
        code = normalize_code(code)
        if code is None:
            return None
        row = conn.execute("SELECT 1 FROM classes WHERE code = ? AND created >= ?", (code, self._oldest_live()))
        return code if row.fetchone() else None

    def _require(self, conn, code) -> str:
        live = self._live(conn, code)
        if live is None:
            raise ValueError(f"No class {str(code)[:16]!r} on this server (unknown, or older than a day).")
        return live

    def _require_teacher(self, conn, code, key) -> str:
        code = self._require(conn, code)
        if not self._key_ok(conn, code, key):
            raise PermissionError(f"Wrong teacher key for class {code}.")
        return code

    @staticmethod
    def _key_ok(conn, code: str, key) -> bool:
        if not isinstance(key, str) or not key or len(key) > KEY_MAX:
            return False
        row = conn.execute("SELECT key_hash FROM classes WHERE code = ?", (code,)).fetchone()
        return row is not None and hmac.compare_digest(row[0], key_hash(key))

    # -- classes -------------------------------------------------------------------------------------------------
    def create_class(self) -> tuple[str, str]:
        """A new class: (code, secret). The secret is shown once; the store keeps only its hash."""
        secret = secrets.token_urlsafe(32)
        with self._write() as conn:
            self._purge(conn)
            live = conn.execute("SELECT COUNT(*) FROM classes").fetchone()[0]
            if live >= CLASS_CAP:
                raise ValueError(f"This server already runs {live} classes, its cap ({CLASS_CAP}); a class ends a day "
                                 "after it starts. Reuse a class's links, or wait for one to expire.")
            while True:
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if not conn.execute("SELECT 1 FROM classes WHERE code = ?", (code,)).fetchone():
                    break
            conn.execute("INSERT INTO classes (code, key_hash, created) VALUES (?, ?, ?)",
                         (code, key_hash(secret), self.clock()))
        return code, secret

    def is_class(self, code) -> bool:
        with self._connect() as conn:
            return self._live(conn, code) is not None

    def is_teacher(self, code, key) -> bool:
        """Whether `key` is class `code`'s secret (constant-time compare of the hashes)."""
        with self._connect() as conn:
            live = self._live(conn, code)
            return live is not None and self._key_ok(conn, live, key)

    def purge(self) -> int:
        """Delete classes older than a day, with everything in them; returns how many went."""
        with self._write() as conn:
            return self._purge(conn)

    def _purge(self, conn) -> int:
        return conn.execute("DELETE FROM classes WHERE created < ?", (self._oldest_live(),)).rowcount

    # -- the teacher's state -------------------------------------------------------------------------------------
    def set_state(self, code, key, chapter: int, knobs: dict) -> int:
        """The teacher shows `chapter` with `knobs`; returns the new version (unchanged if nothing changed)."""
        if isinstance(chapter, bool) or not isinstance(chapter, int) or not 1 <= chapter <= CHAPTER_CAP:
            raise ValueError(f"chapter must be a whole number from 1 to {CHAPTER_CAP}, got {chapter!r}.")
        text = check_knobs(knobs)
        with self._write() as conn:
            code = self._require_teacher(conn, code, key)
            old_chapter, old_knobs, version = conn.execute(
                "SELECT chapter, knobs, version FROM classes WHERE code = ?", (code,)).fetchone()
            if (old_chapter, old_knobs) == (chapter, text):
                return version
            conn.execute("UPDATE classes SET chapter = ?, knobs = ?, version = version + 1 WHERE code = ?",
                         (chapter, text, code))
            return version + 1

    def reveal(self, code, key, question, computed: Answer | None = None, revealed: bool = True) -> int:
        """The teacher reveals `question` (or hides it again, revealed=False) with the `computed` answer the
        students are shown; returns the new version. Revealing closes the question to answers."""
        question = check_question(question)
        stored = None if computed is None else check_value(computed, "The computed answer")
        with self._write() as conn:
            code = self._require_teacher(conn, code, key)
            row = conn.execute("SELECT revealed, computed FROM questions WHERE code = ? AND question = ?",
                               (code, question)).fetchone()
            if row is not None and (bool(row[0]), row[1]) == (revealed, stored):
                return self._version(conn, code)
            if row is None:
                self._check_question_cap(conn, code)
            conn.execute("INSERT INTO questions (code, question, revealed, computed) VALUES (?, ?, ?, ?) ON CONFLICT "
                         "DO UPDATE SET revealed = excluded.revealed, computed = excluded.computed",
                         (code, question, int(revealed), stored))
            conn.execute("UPDATE classes SET version = version + 1 WHERE code = ?", (code,))
            return self._version(conn, code)

    def reset_question(self, code, key, question) -> int:
        """The teacher asks `question` again: its answers are deleted and it is hidden; returns the new version."""
        question = check_question(question)
        with self._write() as conn:
            code = self._require_teacher(conn, code, key)
            conn.execute("DELETE FROM questions WHERE code = ? AND question = ?", (code, question))  # cascades
            conn.execute("UPDATE classes SET version = version + 1 WHERE code = ?", (code,))
            return self._version(conn, code)

    @staticmethod
    def _version(conn, code: str) -> int:
        return conn.execute("SELECT version FROM classes WHERE code = ?", (code,)).fetchone()[0]

    def version(self, code) -> int | None:
        """The class's version counter (one indexed read: what a student's page polls); None if no class."""
        with self._connect() as conn:
            row = conn.execute("SELECT version FROM classes WHERE code = ? AND created >= ?",
                               (normalize_code(code), self._oldest_live())).fetchone()
            return None if row is None else row[0]

    def state(self, code) -> ClassState | None:
        """The teacher's state for everyone in the class; None if there is no such live class."""
        with self._connect() as conn:
            conn.execute("BEGIN")  # one snapshot for both reads
            try:
                live = self._live(conn, code)
                if live is None:
                    return None
                chapter, knobs, version, created = conn.execute(
                    "SELECT chapter, knobs, version, created FROM classes WHERE code = ?", (live,)).fetchone()
                revealed = dict(conn.execute("SELECT question, computed FROM questions WHERE code = ? AND revealed = 1",
                                             (live,)).fetchall())
            finally:
                conn.execute("COMMIT")
        return ClassState(live, chapter, json.loads(knobs), revealed, version, created)

    # -- students and answers ------------------------------------------------------------------------------------
    def join(self, code, student) -> int:
        """Register `student` in the class (idempotent); returns the class size. ValueError past STUDENT_CAP."""
        student = check_student(student)
        with self._write() as conn:
            code = self._require(conn, code)
            return self._join(conn, code, student)

    def _join(self, conn, code: str, student: str) -> int:
        size = conn.execute("SELECT COUNT(*) FROM students WHERE code = ?", (code,)).fetchone()[0]
        if conn.execute("SELECT 1 FROM students WHERE code = ? AND student = ?", (code, student)).fetchone():
            return size
        if size >= STUDENT_CAP:
            raise ValueError(f"Class {code} is full ({STUDENT_CAP} students): you can follow it, but not answer.")
        conn.execute("INSERT INTO students VALUES (?, ?, ?)", (code, student, self.clock()))
        return size + 1

    def size(self, code) -> int:
        with self._connect() as conn:
            live = self._live(conn, code)
            return 0 if live is None else conn.execute("SELECT COUNT(*) FROM students WHERE code = ?",
                                                       (live,)).fetchone()[0]

    def _check_question_cap(self, conn, code: str) -> None:
        asked = conn.execute("SELECT COUNT(*) FROM questions WHERE code = ?", (code,)).fetchone()[0]
        if asked >= QUESTION_CAP:
            raise ValueError(f"Class {code} already has {QUESTION_CAP} questions, its cap.")

    def answer(self, code, question, student, value: Answer) -> None:
        """Record `student`'s answer (joining them if new); the last one before the reveal counts.
        ValueError for a revealed question, a full class or a value out of bounds."""
        question, student = check_question(question), check_student(student)
        value = check_value(value, "An answer")
        with self._write() as conn:
            code = self._require(conn, code)
            self._join(conn, code, student)
            row = conn.execute("SELECT revealed FROM questions WHERE code = ? AND question = ?",
                               (code, question)).fetchone()
            if row is None:
                self._check_question_cap(conn, code)
                conn.execute("INSERT INTO questions (code, question) VALUES (?, ?)", (code, question))
            elif row[0]:
                raise ValueError("The answer is already revealed: answers to this question are closed.")
            conn.execute("INSERT INTO answers VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value, "
                         "updated = excluded.updated", (code, question, student, value, self.clock()))

    def answer_of(self, code, question, student) -> Answer | None:
        """`student`'s own current answer, or None."""
        with self._connect() as conn:
            row = conn.execute("SELECT value FROM answers WHERE code = ? AND question = ? AND student = ?",
                               (normalize_code(code), question, student)).fetchone()
            return None if row is None else row[0]

    def count(self, code, question) -> int:
        """How many students have answered `question` (an aggregate: anyone may read it)."""
        with self._connect() as conn:
            live = self._live(conn, code)
            return 0 if live is None else conn.execute(
                "SELECT COUNT(*) FROM answers WHERE code = ? AND question = ?", (live, question)).fetchone()[0]

    def results(self, code, question, key=None) -> list[Answer]:
        """The class's answers to `question`, without ids, sorted: to the teacher (`key`) at any time, to anyone
        once the question is revealed. PermissionError otherwise."""
        question = check_question(question)
        with self._connect() as conn:
            conn.execute("BEGIN")
            try:
                code = self._require(conn, code)
                shown = conn.execute("SELECT revealed FROM questions WHERE code = ? AND question = ?",
                                     (code, question)).fetchone()
                if not (shown and shown[0]) and not self._key_ok(conn, code, key):
                    raise PermissionError("The class's answers are shown once the teacher reveals the question.")
                rows = conn.execute("SELECT value FROM answers WHERE code = ? AND question = ?", (code, question))
                values = [r[0] for r in rows]
            finally:
                conn.execute("COMMIT")
        return sorted(values, key=lambda v: (isinstance(v, str), v))
