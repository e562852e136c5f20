"""Fuzzed class links: any `class`, `key` and lesson parameters open the lesson without an exception, and the
link makes you exactly what it should: the teacher only with the class's own key, a student (with a message for a
key that is wrong) with a live class's code in any letter case, and neither (with a message) for anything else.
Derandomized hypothesis, a bounded number of AppTest sessions against one store with one live class.
"""
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from classroom import ClassStore
from classroom import store as cs
from tests.test_app import APP

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
STORE_DIR = "class_fuzz"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    directory = tmp_path_factory.mktemp(STORE_DIR)
    code, key = ClassStore(directory).create_class()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(cs.ENV_DIR, str(directory))
        yield ClassStore(directory), code, key


def links(code: str, key: str):
    """(class text, key text or None): the real ones, near misses, and anything."""
    codes = st.integers(0, 3).flatmap(lambda k: TEXT if k == 0 else st.sampled_from(
        [code, code, code.lower(), f" {code} ", "ZZZZZ", code[:3], code + "Q"]))
    keys = st.integers(0, 3).flatmap(lambda k: TEXT if k == 0 else st.sampled_from(
        [key, None, key, key[:-1], key.upper(), "", key + key]))
    return st.tuples(codes, keys)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow,
                                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_class_link_opens_the_lesson_as_who_it_should(live, data):
    store, code, key = live
    raw_code, raw_key = data.draw(links(code, key))
    extra = data.draw(st.dictionaries(st.sampled_from(["chapter", "forget_bias", "weight_scale", "present"]), TEXT,
                                      max_size=2))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["class"] = raw_code
    if raw_key is not None:
        at.query_params["key"] = raw_key
    at.query_params.update(extra)
    version = store.state(code).version
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    warnings = " ".join(w.value for w in at.warning)
    in_class = raw_code.strip().upper() == code
    assert "key" not in at.query_params  # never left in the address bar
    event("teacher" if in_class and raw_key == key else "student" if in_class else "no class")
    if not in_class:
        assert "class" not in at.query_params and ("not a class code" in warnings or "There is no class" in warnings)
        assert not at.info and not at.success
        return
    teacher = raw_key == key
    assert bool(at.success) is teacher and bool(at.info or at.warning) is True
    if not teacher:
        assert ("does not open class" in warnings) is (raw_key is not None)
        assert store.state(code).version == version  # a student's page never moves the class
