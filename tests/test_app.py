"""app.py through Streamlit's AppTest: presets, widgets -> chart data, URL round trip, bad input.

Chart data is compared with `models.probe` run here on the same settings, not with the figure code.
"""
import base64
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from models import ProbeConfig, probe
from ui.nav import landing
from ui.cache import cached_probe
from ui.settings import FOLDED_PARAMS, AppSettings
from ui.presets import PRESETS

APP = str(Path(__file__).resolve().parent.parent / "app.py")
EXPLORER = "ui/pages/explorer.py"
GRADIENT_TITLE = "||dL/dh_t|| against timestep"


def open_explorer(at: AppTest) -> AppTest:
    """Run `at` (its query already set) on the explorer: a URL without explorer settings lands on the lesson."""
    asked = dict(at.query_params)
    at.run()
    if landing(asked) != "explorer":
        at.query_params.clear()  # as a browser's page switch does: the lesson's own parameters go
        at.query_params.update(asked)
        at.switch_page(EXPLORER).run()
    return at


def run_app(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    open_explorer(at)
    assert not at.exception, [e.message for e in at.exception]
    return at


def decode(values) -> np.ndarray:
    """Plotly 7 writes numeric arrays as {"dtype", "bdata"}; plain lists otherwise (None -> NaN)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).astype(float)
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def chart(at: AppTest, title: str) -> dict:
    """The figure JSON of the one chart whose title starts with `title`."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    found = [s for s in specs if s["layout"].get("title", {}).get("text", "").startswith(title)]
    assert len(found) == 1, [s["layout"].get("title") for s in specs]
    return found[0]


def line(spec: dict, name: str) -> tuple[np.ndarray, np.ndarray]:
    (trace,) = [t for t in spec["data"] if t.get("name") == name]
    return decode(trace["x"]), decode(trace["y"])


def expected_mean(cell: str, **cfg) -> np.ndarray:
    return probe(ProbeConfig(cell=cell, **cfg)).grad_h.mean(axis=0)


FOLDED = ("|dL/dh_t| per hidden unit", "LSTM gates", "GRU gates", "Per-step contributions")
OPEN_ALL = {name: "true" for name in FOLDED_PARAMS}


def test_defaults_show_three_cells_with_the_probes_numbers():
    at = run_app(**OPEN_ALL)
    spec = chart(at, GRADIENT_TITLE)
    for cell, label in (("rnn", "RNN"), ("lstm", "LSTM"), ("gru", "GRU")):
        t, y = line(spec, f"{label} ||dL/dh_t||")
        np.testing.assert_array_equal(t, np.arange(1, 101))
        np.testing.assert_allclose(y, expected_mean(cell), rtol=1e-6)
    assert spec["layout"]["yaxis"]["type"] == "log"
    for title in FOLDED + ("0.8^k",):
        assert chart(at, title)["data"]
    assert not at.error


def test_views_below_the_fold_are_computed_only_when_opened():
    """Views 4-6 start shut: no heatmap, gate or Jacobian figure is sent and no Jacobian norm is computed;
    opening one (as a click does: its expander's state) draws it alone. (The URL side: OPEN_ALL above, and
    tests/test_browser.py's click.)"""
    at = run_app(seed="4321")  # a seed no other test uses: the shared cache's results are this test's own
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert not [t for t in titles if t.startswith(FOLDED)], titles
    assert {"4 ·", "5 ·", "6 ·"} <= {e.label[:3] for e in at.expander}
    settings = dataclasses.replace(AppSettings(), seed=4321)
    assert all(cached_probe(settings.probe_config(cell))._jacobian_norm is None for cell in settings.cells)
    at.session_state["probe_show_gates"] = True
    at.run()
    assert not at.exception
    assert chart(at, "LSTM gates")["data"] and chart(at, "GRU gates")["data"]
    assert not [c for c in at.get("plotly_chart") if "Per-step" in json.loads(c.proto.spec)["layout"]["title"]["text"]]


@pytest.mark.parametrize("index", range(len(PRESETS)))
def test_every_preset_renders(index):
    at = run_app()
    preset = PRESETS[index]
    at.button(key=f"probe_preset_{index}").click().run()
    assert not at.exception and not at.error
    settings = preset.settings()
    assert at.query_params["cells"] == ",".join(settings.cells)
    assert at.query_params["weight_scale"] == f"{settings.weight_scale:g}"
    assert at.query_params["activation"] == settings.activation
    spec = chart(at, GRADIENT_TITLE)
    for cell in settings.cells:
        _, y = line(spec, f"{cell.upper()} ||dL/dh_t||")
        cfg = settings.probe_config(cell)
        # atol: float32's smallest normal. The app probes on its worker threads, this test on its own; torch's
        # set_flush_denormal acts on the calling thread and on pool threads started while it was on, so
        # values within a few subnormals of 0 (the sigmoid preset reaches 1e-39) differ by that much.
        np.testing.assert_allclose(y, probe(cfg).grad_h.mean(axis=0), rtol=1e-6, atol=np.finfo(np.float32).tiny)


def test_cell_selection_changes_the_chart():
    at = run_app()
    at.multiselect(key="probe_cells").set_value(["lstm"]).run()
    spec = chart(at, GRADIENT_TITLE)
    names = {t.get("name") for t in spec["data"]}
    assert "LSTM ||dL/dh_t||" in names and "LSTM ||dL/dc_t||" in names
    assert not any(n and n.startswith(("RNN", "GRU")) for n in names)
    assert at.query_params["cells"] == "lstm"
    assert [c for c in at.get("plotly_chart") if json.loads(c.proto.spec)["layout"]["title"]["text"] == "GRU gates"] == []


def test_sliders_change_the_chart():
    at = run_app()
    at.slider(key="probe_seq_len").set_value(80).run()
    t, y = line(chart(at, GRADIENT_TITLE), "LSTM ||dL/dh_t||")
    np.testing.assert_array_equal(t, np.arange(1, 81))
    np.testing.assert_allclose(y, expected_mean("lstm", seq_len=80), rtol=1e-6)
    at.select_slider(key="probe_weight_scale").set_value(0.5).run()
    _, y = line(chart(at, GRADIENT_TITLE), "RNN ||dL/dh_t||")
    np.testing.assert_allclose(y, expected_mean("rnn", seq_len=80, weight_scale=0.5), rtol=1e-6)
    assert at.query_params["seq_len"] == "80" and at.query_params["weight_scale"] == "0.5"


def test_query_params_round_trip():
    at = run_app(cells="rnn,gru", seq_len="40", hidden_size="8", weight_scale="1.2", activation="relu", seed="3")
    assert at.slider(key="probe_seq_len").value == 40 and at.select_slider(key="probe_weight_scale").value == 1.2
    assert at.multiselect(key="probe_cells").value == ["rnn", "gru"]
    at.slider(key="probe_hidden_size").set_value(16).run()
    shared = dict(at.query_params)
    assert shared["hidden_size"] == "16" and shared["seq_len"] == "40" and shared["activation"] == "relu"
    again = run_app(**shared)
    assert dict(again.query_params) == shared
    _, y = line(chart(again, GRADIENT_TITLE), "GRU ||dL/dh_t||")
    np.testing.assert_allclose(y, expected_mean("gru", seq_len=40, hidden_size=16, weight_scale=1.2,
                                                 activation="relu", seed=3), rtol=1e-6)


def test_bad_params_warn_and_fall_back():
    at = run_app(seq_len="5000", init="xavier", weight_scale="abc", cells="rnn")
    warnings = " ".join(w.value for w in at.warning)
    assert "seq_len='5000'" in warnings and "1 to 1000" in warnings
    assert "init='xavier'" in warnings and "orthogonal, identity, gaussian, pytorch" in warnings
    assert "weight_scale='abc'" in warnings
    assert at.query_params["seq_len"] == "100" and at.query_params["init"] == "orthogonal"
    assert chart(at, GRADIENT_TITLE)["data"]


def test_hide_removes_controls_but_keeps_their_url_values():
    at = run_app(hide="weight_scale,init", weight_scale="0.9", cells="rnn")
    assert [s.key for s in at.select_slider if s.key == "probe_weight_scale"] == []
    assert "probe_init" not in [s.key for s in at.selectbox]
    _, y = line(chart(at, GRADIENT_TITLE), "RNN ||dL/dh_t||")
    np.testing.assert_allclose(y, expected_mean("rnn", weight_scale=0.9), rtol=1e-6)
    assert at.query_params["hide"] == "weight_scale,init"


def test_overflow_gives_a_banner_and_a_chart():
    at = run_app(cells="rnn", activation="linear", weight_scale="3", seq_len="300", input_scale="5")
    banners = [w.value for w in at.warning if "overflowed" in w.value]
    assert len(banners) == 1 and "RNN" in banners[0] and "t = " in banners[0]
    spec = chart(at, GRADIENT_TITLE)
    assert any(t.get("name", "").endswith("inf/NaN") for t in spec["data"])


def test_engine_limit_is_an_error_that_says_what_to_change():
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in dict(cells="lstm", seq_len="1000", hidden_size="256", num_layers="4", batch_size="64").items():
        at.query_params[k] = v
    open_explorer(at)
    assert not at.exception
    (error,) = at.error
    assert "LSTM" in error.value and "too large" in error.value and "sidebar" in error.value


def test_language_switch_translates_the_page():
    at = run_app()
    at.radio(key="language").set_value("zh").run()
    assert "梯度" in at.title[0].value
    assert any("梯度范数" in h.value for h in at.subheader)
    assert at.query_params["language"] == "zh"


def test_worked_examples_show_the_tutorials_numbers():
    at = run_app()
    toy = next(df.value for df in at.dataframe if "o_t" in df.value.columns)
    assert list(toy["o_t"]) == ["[4.0, 4.0]", "[12.0, 12.0]", "[32.0, 32.0]"]
    counts = next(df.value for df in at.dataframe if "PyTorch" in df.value.columns)
    lstm = counts[counts["cell"] == "LSTM"].iloc[0]
    n, m = 32, 1
    assert lstm["one bias per gate: G(n(m+n)+n)"] == 4 * (n * (m + n) + n) and lstm["PyTorch"] == 4 * (n * (m + n) + 2 * n)
    _, y = line(chart(at, "0.8^k"), "0.8^k")
    assert y[-1] == pytest.approx(0.8 ** 50)


def test_band_toggle_reruns_view_one_only_and_drops_the_band():
    at = run_app(cells="gru")
    assert any(t.get("fill") == "tonexty" for t in chart(at, GRADIENT_TITLE)["data"])
    at.toggle(key="probe_band").set_value(False).run()
    assert not at.exception
    assert not any(t.get("fill") == "tonexty" for t in chart(at, GRADIENT_TITLE)["data"])
    _, y = line(chart(at, GRADIENT_TITLE), "GRU ||dL/dh_t||")
    np.testing.assert_allclose(y, expected_mean("gru"), rtol=1e-6)


def test_no_cells_selected_says_so():
    at = run_app()
    at.multiselect(key="probe_cells").set_value([]).run()
    assert not at.exception
    assert any("at least one cell" in i.value for i in at.info)
    assert not [c for c in at.get("plotly_chart") if "dL/dh_t" in json.loads(c.proto.spec)["layout"]["title"]["text"]]


def test_chinese_switches_the_words_inside_the_figures_and_keeps_their_numbers():
    """?language=zh: axis titles, subplot titles, gate names and legend words in Chinese, data as in English."""
    english, chinese = run_app(**OPEN_ALL), run_app(language="zh", **OPEN_ALL)
    specs = {lang: [json.loads(c.proto.spec) for c in at.get("plotly_chart")] for lang, at in (("en", english), ("zh", chinese))}
    assert len(specs["en"]) == len(specs["zh"]) >= 5
    texts = json.dumps([s["layout"] for s in specs["zh"]], ensure_ascii=False)
    for word in ("时间步 t", "隐藏单元", "遗忘门 f(批平均)", "更新门 z(批平均)", "门的平均值"):
        assert word in texts, word
    for phrase in ("timestep t", "hidden unit", "forget gate", "mean gate value"):
        assert phrase not in texts, phrase
    zh_names = {t.get("name") for s in specs["zh"] for t in s["data"]}
    assert {"遗忘门 f", "候选状态 n", "RNN 上界 (γ||W_hh||)^(T-t)"} <= zh_names and "forget" not in zh_names
    for en, zh in zip(specs["en"], specs["zh"]):  # the same traces with the same numbers
        assert [t["type"] for t in en["data"]] == [t["type"] for t in zh["data"]]
        for a, b in zip(en["data"], zh["data"]):
            for key in ("x", "y", "z"):
                if key in a:
                    np.testing.assert_array_equal(decode_any(a[key]), decode_any(b[key]))


def decode_any(values) -> np.ndarray:
    """decode() for 1-D arrays and for heatmaps' z (a list of rows, or one bdata block)."""
    if isinstance(values, list) and values and isinstance(values[0], (list, dict)):
        return np.array([decode(row) for row in values])
    return decode(values)
