"""Fuzzed class store: any sequence of calls with any arguments (good, bad or hostile) either does what a plain
in-memory model of the rules says, or is refused with a ValueError / PermissionError that says why; nothing else
is ever raised and the store never disagrees with the model (hypothesis' stateful testing, derandomized).
"""
import math
import tempfile

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from classroom import ClassStore
from classroom import store as cs

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)
HASHABLE = st.one_of(TEXT, st.integers(), st.floats(), st.booleans(), st.none(), st.binary(max_size=8))
ANY = st.one_of(HASHABLE, st.lists(st.integers(), max_size=2))


def mostly(good: list, anything: st.SearchStrategy = ANY) -> st.SearchStrategy:
    """A usable value three times in four, else anything: most calls get far enough to change the store."""
    return st.integers(0, 3).flatmap(lambda k: anything if k == 0 else st.sampled_from(good))


QUESTIONS = mostly(["vanishing", "lstm", "sum", "q_1"])
STUDENTS = mostly(["student-aaaa", "student-bbbb", "student-cccc"])
VALUES = mostly(["rises", "falls", " rises ", 0, 40, 1e12, -1e12])


def expected_value(value):
    """The model's reading of an answer: the stored value, or None where the store must refuse it."""
    if isinstance(value, str):
        text = value.strip()
        return text if text and len(text) <= cs.TEXT_CAP and text.isprintable() else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        ok = math.isfinite(float(value)) and abs(float(value)) <= cs.NUMBER_CAP
    except OverflowError:
        ok = False
    return value if ok else None


def ok_question(q) -> bool:
    return isinstance(q, str) and cs.QUESTION_RE.fullmatch(q) is not None


def ok_student(s) -> bool:
    return isinstance(s, str) and cs.STUDENT_RE.fullmatch(s) is not None


class StoreMachine(RuleBasedStateMachine):
    @initialize()
    def open_store(self):
        self.dir = tempfile.TemporaryDirectory()
        self.store = ClassStore(self.dir.name)
        self.code, self.key = self.store.create_class()
        self.answers: dict[tuple, object] = {}  # (question, student) -> value
        self.revealed: dict[str, object] = {}
        self.questions: set[str] = set()
        self.students: set[str] = set()
        self.version = 0

    def teardown(self):
        self.dir.cleanup()

    @rule(question=QUESTIONS, student=STUDENTS, value=VALUES, code_case=st.sampled_from(["same", "same", "lower", "bad"]))
    def answer(self, question, student, value, code_case):
        code = {"same": self.code, "lower": self.code.lower(), "bad": "QQQQQ"}[code_case]
        stored = expected_value(value)
        accepted = (ok_question(question) and ok_student(student) and stored is not None and code_case != "bad"
                    and question not in self.revealed)
        try:
            self.store.answer(code, question, student, value)
        except ValueError as exc:
            assert not accepted and str(exc), (question, student, value, exc)
            event("answer refused")
            return
        assert accepted, (question, student, value)
        event("answer accepted")
        self.students.add(student)
        self.questions.add(question)
        self.answers[(question, student)] = stored

    @rule(question=QUESTIONS, computed=VALUES, right_key=st.booleans())
    def reveal(self, question, computed, right_key):
        stored = None if computed is None else expected_value(computed)
        valid = computed is None or stored is not None  # revealing without a computed answer is allowed
        try:
            self.store.reveal(self.code, self.key if right_key else "wrong-key", question, computed=computed)
        except PermissionError:
            assert not right_key
            return
        except ValueError as exc:
            assert not (ok_question(question) and valid) and str(exc)
            return
        assert right_key and ok_question(question) and valid
        event("revealed")
        if self.revealed.get(question, object()) != stored:
            self.version += 1
        self.revealed[question] = stored
        self.questions.add(question)

    @rule(chapter=st.one_of(mostly([1, 2, 5, 9, 99]), st.integers(-3, 120)), knobs=st.one_of(
        st.dictionaries(mostly(["weight_scale", "cell"], HASHABLE), VALUES, max_size=2), ANY))
    def set_state(self, chapter, knobs):
        before = self.store.state(self.code)
        try:
            version = self.store.set_state(self.code, self.key, chapter, knobs)
        except ValueError as exc:
            assert str(exc) and self.store.state(self.code) == before
            return
        assert isinstance(chapter, int) and 1 <= chapter <= cs.CHAPTER_CAP
        event("state set")
        changed = (before.chapter, before.knobs) != (chapter, self.store.state(self.code).knobs)
        self.version += changed
        assert version == self.version

    @rule(question=QUESTIONS, key=st.one_of(st.just("right"), ANY))
    def read_results(self, question, key):
        try:
            values = self.store.results(self.code, question, key=self.key if key == "right" else key)
        except PermissionError:
            assert key != "right" and question not in self.revealed
            return
        except ValueError:
            assert not ok_question(question)
            return
        event("results read")
        mine = [v for (q, _), v in self.answers.items() if q == question]
        assert sorted(map(repr, values)) == sorted(map(repr, mine))

    @invariant()
    def agrees_with_the_model(self):
        if not hasattr(self, "store"):
            return
        state = self.store.state(self.code)
        assert state.version == self.version and state.revealed == self.revealed
        assert self.store.size(self.code) == len(self.students) <= cs.STUDENT_CAP
        for (question, student), value in self.answers.items():
            assert self.store.answer_of(self.code, question, student) == value


StoreMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, derandomize=True, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
test_store_follows_the_rules_under_any_calls = StoreMachine.TestCase
