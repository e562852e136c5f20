"""Class mode in AppTest (no browser): who a link makes you (teacher, student, neither) and what each one sees,
following the teacher and leaving it, predict-then-reveal through the shared store, the caps as a page meets them,
and the QR code read back by a real decoder. The browser test with two server processes is test_browser_class.py.
"""
import json
import re

import numpy as np
import pytest
import zxingcpp
from streamlit.testing.v1 import AppTest

from classroom import ClassStore
from classroom import store as cs
from tests.test_lesson import lesson
from ui.classroom import predict
from ui.classroom.teacher import qr_svg
from ui.lesson.questions import QUESTIONS


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv(cs.ENV_DIR, str(tmp_path))
    return ClassStore(tmp_path)


@pytest.fixture
def klass(store):
    return store.create_class()


page = lesson  # an AppTest session of app.py opened with these URL parameters


def texts(at: AppTest, kind: str) -> str:
    return " ".join(e.value for e in getattr(at, kind))


def test_the_teacher_link_leads_and_its_key_leaves_the_url(store, klass):
    code, key = klass
    at = page(**{"class": code, "key": key, "chapter": 5, "forget_bias": 3})
    assert f"Class {code}**: you lead it" in texts(at, "success")
    assert "key" not in at.query_params and at.query_params["class"] == code  # off the projected address bar
    state = store.state(code)
    assert (state.chapter, state.knobs) == (5, {"forget_bias": 3.0})  # published for the students
    assert at.button(key="class_reveal_lstm")  # the teacher's controls
    link = f"http://localhost:8501/lesson?class={code}"  # AppTest has no browser URL: the fallback address
    assert link in [c.value for c in at.code]


def test_a_wrong_or_missing_key_gives_the_student_view(store, klass):
    code, key = klass
    store.set_state(code, key, 2, {"weight_scale": 0.9, "activation": "tanh"})
    for params, warned in (({"key": key[:-1] + ("A" if key[-1] != "A" else "B")}, True), ({"key": ""}, True), ({}, False)):
        at = page(**{"class": code, "chapter": 7, **params})
        assert ("does not open class" in texts(at, "warning")) is warned
        assert f"Class {code}**: you follow the teacher" in texts(at, "info")
        assert not at.success and not [b for b in at.button if b.key and b.key.startswith("class_reveal")]
        assert at.header[0].value.startswith("2. ") and "key" not in at.query_params  # the teacher's chapter
    assert store.state(code).version == 1 and store.size(code) == 3  # students joined; nobody drove the class


@pytest.mark.parametrize("raw, words", [("ZZZZZ", "There is no class ZZZZZ"), ("ab1", "is not a class code"),
                                        ("x" * 500, "is not a class code"), ("", "is not a class code")])
def test_an_unknown_or_malformed_code_gives_the_lesson_and_a_message(store, raw, words):
    at = page(**{"class": raw, "key": "whatever", "chapter": 3})
    assert words in texts(at, "warning") and at.header[0].value.startswith("3. ")
    assert "class" not in at.query_params and "key" not in at.query_params and not at.info
    assert len(at.get("plotly_chart")) == 1  # the normal lesson, its figure drawn


def test_a_student_follows_explores_and_rejoins(store, klass):
    code, key = klass
    store.set_state(code, key, 5, {"forget_bias": 3.0})
    at = page(**{"class": code})
    assert at.header[0].value.startswith("5. ") and at.select_slider(key="lesson_5_forget_bias").value == 3.0
    store.set_state(code, key, 2, {"weight_scale": 1.1, "activation": "linear"})
    at.run()
    assert at.header[0].value.startswith("2. ") and at.select_slider(key="lesson_2_weight_scale").value == 1.1
    at.select_slider(key="lesson_2_weight_scale").set_value(0.7).run()  # the student's own move
    assert "exploring on your own" in texts(at, "warning") and at.select_slider(key="lesson_2_weight_scale").value == 0.7
    store.set_state(code, key, 6, {"cell": "lstm", "weight_scale": 1.0})
    at.run()
    assert at.header[0].value.startswith("2. ")  # not following: the teacher's move leaves this page alone
    at.button(key="class_rejoin").click().run()
    assert at.header[0].value.startswith("6. ") and at.select_slider(key="lesson_6_cell").value == "lstm"
    assert f"chapter 6" in texts(at, "info")


def test_predict_then_reveal_through_the_store(store, klass):
    code, key = klass
    teacher = page(**{"class": code, "key": key, "chapter": 5})
    students = [page(**{"class": code}) for _ in range(3)]
    for at, value in zip(students, ("forget_gate", "candidate", "candidate")):
        at.radio(key="class_answer_lstm").set_value(value).run()
    students[0].radio(key="class_answer_lstm").set_value("forget_direct").run()  # changed their mind: last counts
    assert "is in" in texts(students[0], "caption")
    assert store.results(code, "lstm", key=key) == ["candidate", "candidate", "forget_direct"]
    teacher.run()
    assert "**3** of 3 students have answered." in texts(teacher, "markdown")
    live = json.loads(teacher.get("plotly_chart")[-1].proto.spec)
    assert [int(x) for x in live["data"][0]["x"]] == [0, 1, 0, 2, 0]  # A, B, C, D, output gate: the live counts
    assert not any("Computed answer" in t for t in (texts(s, "success") for s in students))  # nothing shown yet
    teacher.button(key="class_reveal_lstm").click().run()
    assert store.state(code).revealed == {"lstm": "forget_direct"}  # the figure's largest path at forget bias 1
    for at, mark in zip(students, "✓✗✗"):
        at.run()
        assert f"Computed answer: {QUESTIONS['lstm'].label_of('forget_direct', 'en')}" in texts(at, "success")
        assert texts(at, "success").endswith(f"{mark}.")
        assert "3 answered; 1 match the computed answer." in texts(at, "caption")
        bars = json.loads(at.get("plotly_chart")[-1].proto.spec)["data"][0]
        assert [int(x) for x in bars["x"]] == [0, 1, 0, 2, 0] and bars["y"][1].startswith("✓ ")
        assert "class_answer_lstm" not in [r.key for r in at.radio]  # answers are closed
    late = page(**{"class": code})
    store.reveal(code, key, "lstm", computed="forget_direct", revealed=False)
    late.run()  # a page drawn while the question was open...
    store.reveal(code, key, "lstm", computed="forget_direct")
    late.radio(key="class_answer_lstm").set_value("candidate").run()  # ...sends its answer after the reveal
    assert "answers to it are closed" in texts(late, "warning") and store.count(code, "lstm") == 3
    teacher.button(key="class_again_lstm").click().run()  # ask again: answers cleared, question open
    assert store.count(code, "lstm") == 0 and store.state(code).revealed == {}


def test_a_number_question_is_sent_with_a_button(store, klass):
    code, key = klass
    store.set_state(code, key, 9, {"hidden_size": 32, "input_size": 1})
    at = page(**{"class": code})
    at.number_input(key="class_answer_parameters").set_value(4352)
    at.button[[b.label for b in at.button].index("Send my answer")].click().run()  # the form's submit
    assert store.results(code, "parameters", key=key) == [4352.0]
    assert "Your answer, **4,352**, is in." in texts(at, "caption")


def test_a_full_class_lets_a_newcomer_follow_but_not_answer(store, klass, monkeypatch):
    code, key = klass
    monkeypatch.setattr(cs, "STUDENT_CAP", 2)
    for s in ("student-aaaa", "student-bbbb"):
        store.join(code, s)
    store.set_state(code, key, 2, {"weight_scale": 0.9, "activation": "tanh"})
    at = page(**{"class": code})
    assert "The class is full" in texts(at, "warning") and at.header[0].value.startswith("2. ")
    assert "class_answer_vanishing" not in [r.key for r in at.radio] and store.size(code) == 2


def test_an_unusable_store_directory_gives_the_lesson_and_a_message(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(cs.ENV_DIR, str(blocker / "class"))
    at = page(**{"class": "ABCDE", "chapter": 2})
    assert "Class mode is unavailable on this server" in texts(at, "warning")
    assert at.header[0].value.startswith("2. ") and "class" not in at.query_params


def test_chinese_class_pages(store, klass):
    code, key = klass
    teacher = page(**{"class": code, "key": key, "chapter": 2, "language": "zh"})
    assert f"课堂 {code}" in texts(teacher, "success") and "向全班揭晓" in [b.label for b in teacher.button]
    student = page(**{"class": code, "language": "zh"})
    assert "你正在跟随老师" in texts(student, "info")
    assert "上升超过 10000 倍" in student.radio(key="class_answer_vanishing").options


def raster(svg: str) -> np.ndarray:
    """segno's SVG (one path of horizontal dark runs, drawn at y + 0.5 with a 1-module stroke) as a grey image."""
    scale = float(re.search(r"scale\(([\d.]+)\)", svg).group(1))
    size = int(re.search(r'width="(\d+)"', svg).group(1))
    image = np.full((size, size), 255, dtype=np.uint8)
    path = re.search(r'class="qrline"[^>]* d="([^"]+)"', svg).group(1)
    x = y = 0.0
    for op, args in re.findall(r"([MmHh])([^MmHh]*)", path):
        nums = [float(v) for v in args.replace(",", " ").split()]
        if op in "Mm":
            x, y = nums if op == "M" else (x + nums[0], y + nums[1])
        else:
            run = nums[0] if op == "h" else nums[0] - x
            top, left = round((y - 0.5) * scale), round(x * scale)
            image[top:top + round(scale), left:left + round(run * scale)] = 0
            x += run
    return image


def test_the_qr_code_reads_back_as_the_students_link():
    for link in ("http://192.168.1.20:8501/lesson?class=KQWMT", "http://127.0.0.1:9/lesson?class=ABCD"):
        (found,) = zxingcpp.read_barcodes(raster(qr_svg(link)))  # an independent decoder, as a phone's camera
        assert found.text == link and found.format == zxingcpp.BarcodeFormat.QRCode


def test_presenter_mode_works_for_the_teacher(store, klass):
    code, key = klass
    at = page(**{"class": code, "key": key, "chapter": 2, "present": 1})
    assert f"Class {code}**: you lead it" in texts(at, "markdown") and not at.title  # one line on the projector
    (qr_box,) = [e for e in at.get("popover") if e.proto.popover.label == "Students' link and QR code"]
    assert qr_box.get("image") and f"lesson?class={code}" in qr_box.get("code")[0].value  # the QR, in a pop-over
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["font"]["size"] >= 20  # still the projector's figure
    at.button(key="lesson_next_top").click().run()
    assert store.state(code).chapter == 3 and at.query_params["present"] == "1"


def test_a_number_outside_the_questions_range_is_never_stored(store, klass, monkeypatch):
    code, key = klass
    store.set_state(code, key, 6, {"cell": "rnn", "weight_scale": 1.0})
    at = page(**{"class": code})
    at.number_input(key="class_answer_sum").set_value(250.0)  # past the widget's 0-100 %: what a hostile client sends
    at.button[[b.label for b in at.button].index("Send my answer")].click().run()
    assert not at.exception and store.count(code, "sum") == 0  # Streamlit drops it; save() checks the range too
    room = at.session_state["class_room"]
    monkeypatch.setattr(predict.st, "session_state", {"class_answer_sum": 250.0})
    predict.save(room, "sum", "class_answer_sum")
    assert "between 0% and 100%" in predict.st.session_state["class_answer_sum_refused"] and store.count(code, "sum") == 0
