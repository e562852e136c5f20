"""Property-based: any URL query opens the app without an exception; every parameter is either used as
given or named in a warning and replaced by a valid value.

Each example is a fresh session (`AppTest` of app.py) opened with a query drawn per known parameter
from: absent, a valid value (used, no warning), a value invalid by construction (warned, default used),
or arbitrary text (either of the two, consistently); plus `hide` lists and unknown parameters, which
are ignored. Valid sizes are drawn from cheap sub-ranges so the file runs in well under a minute; the
engine's caps at the top of the ranges are covered by tests/test_app.py and tests/test_isolation.py.
"""
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from tests.test_app import APP, open_explorer
from ui.settings import CONTROLS, DEFAULTS, format_value

CHEAP = {"seq_len": 120, "hidden_size": 24, "num_layers": 2, "batch_size": 6, "seed": 3}  # valid draws up to
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)  # any text a URL can carry
VALID, INVALID, ANY = "valid", "invalid", "any"


def valid_values(name: str) -> st.SearchStrategy:
    """Canonical text of a value the control accepts as it is."""
    c = CONTROLS[name]
    if c.kind == "int":
        return st.integers(int(c.lo), min(int(c.hi), CHEAP.get(name, int(c.hi)))).map(str)
    if c.kind == "float":
        steps = round((c.hi - c.lo) / c.step)
        return st.integers(0, steps).map(lambda k: format_value(round(c.lo + k * c.step, 10)))
    if c.kind == "multi":
        return st.lists(st.sampled_from(c.options), min_size=1, unique=True).map(
            lambda xs: ",".join(x for x in c.options if x in xs))
    return st.sampled_from(c.options).map(format_value)


def invalid_values(name: str) -> st.SearchStrategy:
    """Text no control of this kind can accept: out of range, not finite, not whole, not an option."""
    c = CONTROLS[name]
    words = st.sampled_from(["", "abc", "nan", "inf", "-inf", "1e999", "None", "[]", "0x10", "1_0_0x"])
    if c.kind in ("int", "float", "grid"):
        lo, hi = (c.options[0], c.options[-1]) if c.kind == "grid" else (c.lo, c.hi)
        outside = st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not lo <= x <= hi)
        fractions = st.floats(lo, hi).filter(lambda x: not float(x).is_integer())
        return st.one_of(words, outside.map(repr), *([fractions.map(repr)] if c.kind == "int" else []))
    return st.one_of(words, st.sampled_from(["xavier", "lstm,xyz", ",", "LSTM;GRU", "english"]))


def parameter(name: str) -> st.SearchStrategy:
    """(kind of draw, text or a repeated parameter's list of texts) for one known parameter."""
    drawn = st.one_of(valid_values(name).map(lambda v: (VALID, v)), invalid_values(name).map(lambda v: (INVALID, v)),
                      TEXT.map(lambda v: (ANY, v)))
    return st.one_of(drawn, st.tuples(drawn, drawn).map(lambda two: (ANY, [two[0][1], two[1][1]])))


QUERIES = st.fixed_dictionaries({}, optional={
    **{name: parameter(name) for name in CONTROLS},
    "hide": st.lists(st.one_of(st.sampled_from(list(CONTROLS)), TEXT), max_size=3).map(lambda xs: (ANY, ",".join(xs))),
})
UNKNOWN = st.dictionaries(TEXT.filter(lambda k: k not in CONTROLS and k != "hide" and k.strip()), TEXT, max_size=2)


def is_valid(name: str, text: str) -> bool:
    """The control's own definition (CONTROLS) of a value it can show."""
    c = CONTROLS[name]
    if c.kind == "multi":
        items = text.split(",")
        return bool(text) and items == [x for x in c.options if x in items]
    if c.kind in ("choice", "grid"):
        return text in {format_value(o) for o in c.options}
    x = float(text)
    on_grid = math.isclose((x - c.lo) / c.step, round((x - c.lo) / c.step), abs_tol=1e-9)
    return c.lo <= x <= c.hi and on_grid and (c.kind == "float" or text == str(int(x)))


def used_as_given(name: str, raw: str, final: str) -> bool:
    """Whether the app's value `final` is the URL's `raw` (same number, same option, same set of cells)."""
    raw = raw.strip()
    kind = CONTROLS[name].kind
    if kind == "multi":
        return {x.strip().lower() for x in raw.split(",") if x.strip()} == set(final.split(","))
    if kind == "choice":
        return raw == final
    try:
        return math.isclose(float(raw), float(final), rel_tol=1e-9)  # closer than that is snapped silently
    except ValueError:
        return False


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(QUERIES, UNKNOWN)
def test_any_query_renders_or_warns_and_falls_back(query, unknown):
    at = AppTest.from_file(APP, default_timeout=120)
    for name, (_, raw) in query.items():
        at.query_params[name] = raw
    at.query_params.update(unknown)
    open_explorer(at)
    assert not at.exception, [e.message for e in at.exception]
    warnings = " ".join(w.value for w in at.warning)
    final = {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}  # the last one counts
    for name in CONTROLS:
        assert is_valid(name, final[name]), (name, final[name])
        if name not in query:
            assert final[name] == format_value(getattr(DEFAULTS, name))
            continue
        kind, raw = query[name]
        raw = raw[-1] if isinstance(raw, list) else raw
        warned = f"parameter {name}=" in warnings or f"参数 {name}=" in warnings
        if kind == VALID:
            assert not warned and final[name] == raw, (name, raw, warnings)
        elif kind == INVALID:
            assert warned and final[name] == format_value(getattr(DEFAULTS, name)), (name, raw, warnings)
        else:
            assert warned or used_as_given(name, raw, final[name]), (name, raw, final[name])
    for key, value in unknown.items():
        assert final.get(key) == value  # left alone, not an error
    if final["cells"] and not at.error:
        assert len(at.get("plotly_chart")) >= 4
