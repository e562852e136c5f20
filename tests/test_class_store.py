"""classroom.store: WAL on disk, a class outliving its store object, expiry after a day (injected clock), every cap,
the key check, the answer rules (one per student per question, the last counts, closed at the reveal, results
shown to the teacher or after the reveal), and two OS processes writing at once without losing a write.
"""
import hashlib
import multiprocessing
import re
import sqlite3
import subprocess
import sys

import pytest

from classroom import ClassStore, Refusal, links, new_student_id, normalize_code
from classroom import store as cs

STUDENTS = [f"student-{i:04d}" for i in range(400)]


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    return ClassStore(tmp_path, clock=clock)


def test_the_file_is_sqlite_in_wal_mode_and_holds_no_secret(store, tmp_path):
    code, secret = store.create_class()
    conn = sqlite3.connect(tmp_path / cs.DB_NAME)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    (stored,) = conn.execute("SELECT key_hash FROM classes WHERE code = ?", (code,)).fetchone()
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.encode() not in (tmp_path / cs.DB_NAME).read_bytes() + (tmp_path / (cs.DB_NAME + "-wal")).read_bytes()


def test_code_and_secret_have_the_promised_form(store):
    pairs = [store.create_class() for _ in range(20)]
    for code, secret in pairs:
        assert re.fullmatch("[A-Z]{4,6}", code) and not set(code) & set("ILO0O1")
        assert re.fullmatch(r"[A-Za-z0-9_-]+", secret) and len(secret) * 6 >= 128  # url-safe base64: 6 bits a char
    assert len({c for c, _ in pairs}) == 20 and len({s for _, s in pairs}) == 20


def test_directory_defaults_to_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(cs.ENV_DIR, str(tmp_path / "from_env"))
    assert ClassStore().path == tmp_path / "from_env" / cs.DB_NAME
    monkeypatch.delenv(cs.ENV_DIR)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert ClassStore().path == tmp_path / "home" / ".cache" / "gradient-flow" / "class" / cs.DB_NAME


def test_a_class_survives_a_restart(tmp_path, clock):
    first = ClassStore(tmp_path, clock=clock)
    code, secret = first.create_class()
    first.set_state(code, secret, 5, {"forget_bias": 3.0})
    first.answer(code, "lstm", STUDENTS[0], "forget_direct")
    del first
    again = ClassStore(tmp_path, clock=clock)  # a new process would do exactly this
    assert again.is_class(code) and again.is_teacher(code, secret)
    state = again.state(code)
    assert (state.chapter, state.knobs, state.version) == (5, {"forget_bias": 3.0}, 1)
    assert again.results(code, "lstm", key=secret) == ["forget_direct"]


def test_classes_older_than_a_day_are_gone(store, clock, tmp_path):
    old, old_key = store.create_class()
    store.answer(old, "lstm", STUDENTS[0], "forget_direct")
    clock.now += 12 * 3600
    young, _ = store.create_class()
    clock.now += 12 * 3600 - 1
    assert store.is_class(old) and store.is_class(young)
    clock.now += 2  # old is a day and a second old
    assert not store.is_class(old) and not store.is_teacher(old, old_key) and store.version(old) is None
    assert store.state(old) is None and store.is_class(young)
    with pytest.raises(ValueError, match="older than a day"):
        store.answer(old, "lstm", STUDENTS[1], "candidate")
    assert store.purge() == 1
    conn = sqlite3.connect(tmp_path / cs.DB_NAME)
    for table in ("classes", "students", "questions", "answers"):  # the cascade took its rows
        assert conn.execute(f"SELECT COUNT(*) FROM {table} WHERE code = ?", (old,)).fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM classes").fetchone()[0] == 1


def test_the_cap_on_classes_counts_live_ones(store, clock):
    for _ in range(cs.CLASS_CAP):
        store.create_class()
    with pytest.raises(ValueError, match=f"cap \\({cs.CLASS_CAP}\\)"):
        store.create_class()
    clock.now += cs.TTL_SECONDS + 1
    code, _ = store.create_class()  # the expired ones were purged to make room
    assert store.is_class(code)


def test_the_key_check(store):
    code, secret = store.create_class()
    other, other_secret = store.create_class()
    assert store.is_teacher(code, secret) and store.is_teacher(code.lower(), secret)
    for wrong in (None, "", secret[:-1], secret + "x", other_secret, secret.upper(), 12, "x" * 10_000, "\udcff"):
        assert not store.is_teacher(code, wrong)
    assert not store.is_teacher("ZZZZZ", secret) and not store.is_teacher(None, secret)
    with pytest.raises(PermissionError):
        store.set_state(code, other_secret, 2, {})
    with pytest.raises(PermissionError):
        store.reveal(code, None, "lstm")
    with pytest.raises(PermissionError):
        store.reset_question(code, secret + "x", "lstm")
    assert store.state(code).version == 0  # nothing moved
    assert store.set_state(code, secret, 2, {"weight_scale": 0.9}) == 1
    assert store.set_state(code, secret, 2, {"weight_scale": 0.9}) == 1  # unchanged: no new version


def test_answers_one_per_student_the_last_counts_closed_at_the_reveal(store):
    code, secret = store.create_class()
    a, b = new_student_id(), new_student_id()
    store.answer(code, "vanishing", a, "falls")
    store.answer(code, "vanishing", a, "rises")  # changed their mind
    store.answer(code, "vanishing", b, "rises")
    store.answer(code, "sum", a, 40)
    assert store.count(code, "vanishing") == 2 and store.answer_of(code, "vanishing", a) == "rises"
    assert store.results(code, "vanishing", key=secret) == ["rises", "rises"]
    with pytest.raises(PermissionError, match="once the teacher reveals"):
        store.results(code, "vanishing")  # a student, before the reveal
    with pytest.raises(PermissionError):
        store.results(code, "vanishing", key="guess")
    version = store.reveal(code, secret, "vanishing", computed="rises")
    assert store.state(code).revealed == {"vanishing": "rises"} and store.state(code).version == version
    assert store.results(code, "vanishing") == ["rises", "rises"]  # now anyone sees the aggregate
    with pytest.raises(Refusal, match="already revealed") as refused:
        store.answer(code, "vanishing", a, "falls")
    assert refused.value.reason == "closed"  # a page translates it by its reason
    with pytest.raises(PermissionError):
        store.results(code, "sum")  # another question stays hidden
    store.reset_question(code, secret, "vanishing")  # ask again
    assert store.count(code, "vanishing") == 0 and store.state(code).revealed == {}
    store.answer(code, "vanishing", b, "falls")
    assert store.results(code, "vanishing", key=secret) == ["falls"] and store.size(code) == 2


def test_caps_on_class_size_questions_text_and_numbers(store):
    code, secret = store.create_class()
    for s in STUDENTS[:cs.STUDENT_CAP]:
        store.join(code, s)
    assert store.join(code, STUDENTS[0]) == cs.STUDENT_CAP  # joining again is fine
    with pytest.raises(Refusal, match="full") as refused:
        store.join(code, STUDENTS[cs.STUDENT_CAP])
    assert refused.value.reason == "full"
    with pytest.raises(ValueError, match="full"):
        store.answer(code, "lstm", STUDENTS[cs.STUDENT_CAP], "candidate")
    assert store.size(code) == cs.STUDENT_CAP and store.count(code, "lstm") == 0
    for q in range(cs.QUESTION_CAP):
        store.answer(code, f"q{q}", STUDENTS[0], 1)
    with pytest.raises(ValueError, match="questions"):
        store.answer(code, "one_more", STUDENTS[0], 1)
    with pytest.raises(ValueError, match="questions"):
        store.reveal(code, secret, "one_more")
    bad = ["", "   ", "x" * (cs.TEXT_CAP + 1), "a\nb", "\x00", float("nan"), float("inf"), -cs.NUMBER_CAP * 1.01,
           10 ** 400, True, None, [1], {"a": 1}, b"bytes"]
    for value in bad:
        with pytest.raises(ValueError):
            store.answer(code, "q0", STUDENTS[0], value)
    for value in ("x" * cs.TEXT_CAP, " 正确 ", cs.NUMBER_CAP, -cs.NUMBER_CAP, 0, 1e-300):
        store.answer(code, "q0", STUDENTS[0], value)
        assert store.answer_of(code, "q0", STUDENTS[0]) == (value.strip() if isinstance(value, str) else value)
    for chapter, knobs in ((0, {}), (100, {}), (2.0, {}), (True, {}), (2, {"A": 1}), (2, {"x": "y" * 65}),
                           (2, {f"k{i}": 1 for i in range(cs.KNOB_CAP + 1)}), (2, {"x": float("nan")}), (2, [])):
        with pytest.raises(ValueError):
            store.set_state(code, secret, chapter, knobs)
    for question in ("", "Q", "a" * 33, "a b", None, 3):
        with pytest.raises(ValueError):
            store.answer(code, question, STUDENTS[0], 1)
    for student in ("", "short", "x" * 65, "has space!", None):
        with pytest.raises(ValueError):
            store.answer(code, "q0", student, 1)


def test_codes_read_from_a_url_are_normalized_or_refused(store):
    code, _ = store.create_class()
    assert normalize_code(f" {code.lower()} ") == code and store.is_class(code.lower())
    for raw in (None, "", "AB", "ABCDEFG", "ABC1", "ILOIL", "ÄBCDE", "A" * 10_000, 12345, ["ABCDE"]):
        assert normalize_code(raw) is None and not store.is_class(raw)


def test_links_and_the_command_line(tmp_path):
    teacher, students = links("http://10.0.0.5:8501/", "KQWMT", "s3cr-t_")
    assert teacher == "http://10.0.0.5:8501/lesson?class=KQWMT&key=s3cr-t_"
    assert students == "http://10.0.0.5:8501/lesson?class=KQWMT"
    out = subprocess.run([sys.executable, "-m", "classroom", "new", "--url", "http://h:1", "--dir", str(tmp_path)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    teacher_line, student_line = out
    code, key = re.fullmatch(r"Teacher: http://h:1/lesson\?class=([A-Z]+)&key=(\S+)", teacher_line).groups()
    assert student_line == f"Students: http://h:1/lesson?class={code}"
    assert ClassStore(tmp_path).is_teacher(code, key)


# -- two processes at once -------------------------------------------------------------------------------------------
PER_PROCESS = 96  # 2 x 96 + 1 students stay under STUDENT_CAP


def writer(directory: str, code: str, secret: str, who: int, start) -> None:
    """One OS process: once both have opened the store, writes PER_PROCESS answers and PER_PROCESS // 4 teacher
    changes."""
    store = ClassStore(directory)
    start.wait()  # a barrier of both writers (an event set by the parent let one finish before the other started)
    for i in range(PER_PROCESS):
        store.answer(code, "sum", f"proc{who}-student{i:03d}", float(who * 1000 + i))
        store.answer(code, "gru", "shared-student", f"from{who}")  # both processes rewrite one row
        if i % 4 == 0:
            store.set_state(code, secret, 1 + (i // 4) % 9, {"writer": who, "i": i})


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    store = ClassStore(tmp_path)
    code, secret = store.create_class()
    ctx = multiprocessing.get_context("spawn")  # clean OS processes, each with its own connection
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=writer, args=(str(tmp_path), code, secret, who, start)) for who in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    values = store.results(code, "sum", key=secret)
    expected = sorted(float(w * 1000 + i) for w in (1, 2) for i in range(PER_PROCESS))
    assert values == expected  # every answer of both processes, none lost or doubled
    assert store.count(code, "gru") == 1 and store.answer_of(code, "gru", "shared-student") in ("from1", "from2")
    assert store.size(code) == 2 * PER_PROCESS + 1
    assert store.state(code).version == 2 * (PER_PROCESS // 4)  # every read-then-write increment kept
    conn = sqlite3.connect(tmp_path / cs.DB_NAME)
    spans = [conn.execute("SELECT MIN(updated), MAX(updated) FROM answers WHERE student LIKE ?", (f"proc{w}-%",))
             .fetchone() for w in (1, 2)]
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1], spans  # the two really wrote at the same time
