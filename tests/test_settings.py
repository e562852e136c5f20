"""ui/settings.py: URL text <-> AppSettings, ranges, fallbacks (pure Python, no Streamlit run)."""
import dataclasses

import pytest

from models.config import CELLS, LIMITS, ProbeConfig
from ui.settings import CONTROLS, DEFAULTS, WEIGHT_SCALES, AppSettings, parse_hide, parse_query, to_query


def test_defaults_match_the_issue():
    assert DEFAULTS.cells == ("rnn", "lstm", "gru") and DEFAULTS.seq_len == 100
    assert (CONTROLS["seq_len"].lo, CONTROLS["seq_len"].hi) == (1, 1000)
    assert (CONTROLS["hidden_size"].lo, CONTROLS["hidden_size"].hi) == (1, 256)
    assert (CONTROLS["num_layers"].lo, CONTROLS["num_layers"].hi) == LIMITS["num_layers"]
    assert WEIGHT_SCALES[0] == 0.1 and WEIGHT_SCALES[-1] == 3.0 and {0.9, 1.0, 1.2} <= set(WEIGHT_SCALES)


def test_every_slider_window_is_inside_the_engine_limits():
    for name, c in CONTROLS.items():
        if c.kind in ("int", "float"):
            lo, hi = LIMITS[name]
            assert lo <= c.lo < c.hi <= hi, name


def test_round_trip_through_url_text():
    s = AppSettings(cells=("lstm", "gru"), seq_len=250, hidden_size=7, num_layers=3, batch_size=5,
                    weight_scale=1.2, init="identity", activation="relu", forget_bias=-2.5, input_scale=0.3,
                    seed=42, language="zh")
    query = to_query(s)
    assert query["cells"] == "lstm,gru" and query["weight_scale"] == "1.2" and query["input_scale"] == "0.3"
    assert parse_query(query) == (s, [])


def test_missing_parameters_keep_defaults():
    assert parse_query({}) == (DEFAULTS, [])
    assert parse_query({"seq_len": "80"})[0] == DEFAULTS.replace(seq_len=80)


@pytest.mark.parametrize("name, raw", [
    ("seq_len", "5000"), ("seq_len", "0"), ("seq_len", "abc"), ("seq_len", "10.5"), ("hidden_size", "nan"),
    ("weight_scale", "7"), ("weight_scale", "inf"), ("init", "xavier"), ("activation", "TANH"),
    ("cells", "rnn,transformer"), ("cells", ""), ("forget_bias", "99"), ("language", "fr"), ("seed", "-1"),
])
def test_bad_values_fall_back_and_name_the_parameter(name, raw):
    settings, bad = parse_query({name: raw, "batch_size": "4"})
    assert getattr(settings, name) == getattr(DEFAULTS, name)
    assert settings.batch_size == 4  # the good parameter is still used
    assert [b.name for b in bad] == [name]
    message = bad[0].message()
    assert f"{name}={raw!r}" in message and CONTROLS[name].allowed() in message
    assert bad[0].message(zh=True).startswith("URL 参数")


def test_off_grid_values_snap_with_a_message():
    settings, bad = parse_query({"weight_scale": "1.23", "forget_bias": "1.3"})
    assert settings.weight_scale == 1.2 and settings.forget_bias == 1.5
    assert {b.name for b in bad} == {"weight_scale", "forget_bias"}
    assert "using 1.2" in next(b for b in bad if b.name == "weight_scale").message()


def test_cells_are_canonical_and_case_insensitive():
    assert parse_query({"cells": "GRU, rnn,gru"})[0].cells == ("rnn", "gru")


def test_hide_splits_known_and_unknown():
    assert parse_hide("weight_scale, init,bogus") == (frozenset({"weight_scale", "init"}), ["bogus"])
    assert parse_hide(None) == (frozenset(), [])


def test_probe_config_carries_every_shared_field():
    s = DEFAULTS.replace(seq_len=33, weight_scale=0.9, seed=5)
    cfg = s.probe_config("gru")
    assert isinstance(cfg, ProbeConfig) and cfg.cell == "gru"
    shared = {f.name for f in dataclasses.fields(ProbeConfig)} & {f.name for f in dataclasses.fields(AppSettings)}
    assert shared >= {"seq_len", "hidden_size", "num_layers", "batch_size", "weight_scale", "init", "activation",
                      "forget_bias", "input_scale", "seed"}
    for name in shared:
        assert getattr(cfg, name) == getattr(s, name)
    assert set(CELLS) == set(CONTROLS["cells"].options)


def test_engine_cap_raises_value_error():
    with pytest.raises(ValueError, match="too large"):
        DEFAULTS.replace(seq_len=1000, hidden_size=256, num_layers=4, batch_size=64).probe_config("lstm")
