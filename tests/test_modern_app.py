"""The cells after the LSTM in the app (AppTest): the grouped cell pickers and the URL, their presets, cards and
sidebar captions, every view of the explorer, the Train tab and the phase page. Chart numbers are compared with
`models.probe` run here on the same settings."""
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from models import ProbeConfig, probe
from models.training import TrainConfig
from tests.test_app import APP, GRADIENT_TITLE, OPEN_ALL, chart, line, run_app
from ui.presets import MODERN_PRESETS
from ui.train_page import MODERN_KEY
from viz.style import CELL_NAMES
from viz.text import colon


def test_url_cells_fill_both_pickers_and_round_trip():
    at = run_app(cells="lstm,mingru,lru", seq_len="60")
    assert at.multiselect(key="probe_cells").value == ["lstm"]
    assert at.multiselect(key="probe_cells_modern").value == ["mingru", "lru"]
    for cell in ("lstm", "mingru", "lru"):
        _, y = line(chart(at, GRADIENT_TITLE), f"{CELL_NAMES[cell]} ||dL/dh_t||")
        np.testing.assert_allclose(y, probe(ProbeConfig(cell=cell, seq_len=60)).grad_h.mean(0), rtol=1e-6)
    at.multiselect(key="probe_cells_modern").set_value(["indrnn"]).run()
    assert at.query_params["cells"] == "lstm,indrnn"
    again = run_app(**dict(at.query_params))
    assert dict(again.query_params) == dict(at.query_params)


def test_hide_cells_hides_both_pickers():
    at = run_app(cells="gru,minlstm", hide="cells")
    assert not [m for m in at.multiselect if m.key in ("probe_cells", "probe_cells_modern")]
    assert line(chart(at, GRADIENT_TITLE), "minLSTM ||dL/dh_t||")


@pytest.mark.parametrize("index", range(len(MODERN_PRESETS)))
def test_every_modern_preset_renders_with_its_probes_numbers(index):
    at = run_app()
    at.button(key=f"probe_modern_preset_{index}").click().run()
    assert not at.exception and not at.error
    settings = MODERN_PRESETS[index].settings()
    assert at.query_params["cells"] == ",".join(settings.cells)
    spec = chart(at, GRADIENT_TITLE)
    for cell in settings.cells:
        _, y = line(spec, f"{CELL_NAMES[cell]} ||dL/dh_t||")
        np.testing.assert_allclose(y, probe(settings.probe_config(cell)).grad_h.mean(axis=0), rtol=1e-6,
                                   atol=np.finfo(np.float32).tiny)
    modern = [c for c in settings.cells if c not in ("rnn", "lstm", "gru")]
    cards = " ".join(m.value for m in at.markdown)
    assert all(CELL_NAMES[c] + " —" in cards for c in modern)  # each chosen cell's card, with its source


def test_captions_say_what_each_control_drives():
    at = run_app(cells="rnn,mingru,indrnn,lru")
    captions = " ".join(c.value for c in at.caption)
    assert "IndRNN: max |u_j|" in captions and "RNN: ||W_hh||" in captions
    assert "not used by minGRU" in captions  # weight scale
    assert "LRU: φ between stacked layers" in captions
    plain = run_app(cells="rnn,lstm")  # the classic page keeps its own help, no captions
    assert "not used by" not in " ".join(c.value for c in plain.caption)
    zh = run_app(cells="lstm,lru", language="zh")
    assert f"LRU{colon('zh')}|λ| 环的上沿" in " ".join(c.value for c in zh.caption)


def test_every_view_copes_with_the_newer_cells():
    at = run_app(cells="indrnn,lru", activation="relu", init="identity", seq_len="30", **OPEN_ALL)
    assert not at.exception and not at.error
    assert any("have no gates" in i.value for i in at.info)  # view 5: neither has gates, one line says so
    spec = chart(at, GRADIENT_TITLE)
    names = {t.get("name") for t in spec["data"]}
    assert "IndRNN bound (γ max|u|)^(T-t)" in names and "LRU bound max|λ|^(T-t)" in names
    _, bound = line(spec, "LRU bound max|λ|^(T-t)")
    r = probe(ProbeConfig(cell="lru", seq_len=30))
    np.testing.assert_allclose(bound, r.bound, rtol=1e-12)
    paths = chart(at, "Which path")
    assert {"u ⊙ φ′(a_t) ⊙ g_t (only path)", "λ̄ ⊙ g_t (only path)"} <= {t.get("name") for t in paths["data"]}
    contributions = chart(at, "Per-step contributions")
    assert contributions["data"]
    assert any("C_t is step t's piece" in c.value for c in at.caption)


def test_modern_cells_in_chinese():
    at = run_app(cells="mingru", language="zh", **OPEN_ALL)
    assert not at.exception
    assert "(1 − z_t) ⊙ g_t(唯一路径)" in {t.get("name") for t in chart(at, "梯度经哪条路径")["data"]}
    assert any("门只读 x_t" in m.value for m in at.markdown)


TRAIN = "from ui.train_page import render\nrender()"


def test_train_tab_trains_newer_cells_with_their_own_settings():
    at = AppTest.from_string(TRAIN, default_timeout=60)
    at.run()
    at.multiselect(key="train_cells").set_value(["rnn_orthogonal"]).run()
    at.multiselect(key=MODERN_KEY).set_value(["mingru", "lru"]).run()
    at.selectbox(key="train_head").set_value("mlp").run()
    at.selectbox(key="train_task").set_value("sine").run()
    at.slider(key="train_steps").set_value(50)
    at.slider(key="train_hidden_size").set_value(8).run()
    assert any("orthogonal matrix while it learns" in c.value for c in at.caption)
    at.button(key="train_start").click().run()
    job = at.session_state["train_job"]
    assert job.cfg.cells == ("rnn_orthogonal", "mingru", "lru") and job.cfg.head == "mlp"
    job.join(120)
    at.run()
    assert job.status == "done" and not at.exception
    W = job.trainer.nets["rnn_orthogonal"].rnn.weight_hh_l0.detach().double()
    np.testing.assert_allclose(torch_svdvals(W), 1.0, atol=1e-5)  # still orthogonal after training
    rows = {r: v for r, v in zip(at.dataframe[0].value.iloc[:, 0], at.dataframe[0].value.iloc[:, 1])}
    assert set(rows) == {"RNN, W_hhᵀW_hh = I", "minGRU", "LRU"}


def torch_svdvals(w):
    import torch
    return torch.linalg.svdvals(w).numpy()


def test_the_adding_lru_note_names_what_it_needs():
    at = AppTest.from_string(TRAIN, default_timeout=60).run()
    at.multiselect(key=MODERN_KEY).set_value(["lru"]).run()
    assert any("cannot learn it" in c.value for c in at.caption)
    at.selectbox(key="train_head").set_value("mlp").run()
    assert not any("cannot learn it" in c.value for c in at.caption)


def test_train_config_refuses_an_odd_lru_width():
    with pytest.raises(ValueError, match="even hidden size"):
        TrainConfig(cells=("lru",), hidden_size=33)


def test_phase_page_era_of_the_newer_cells(monkeypatch):
    import ui.phase_page as page

    monkeypatch.setattr(page, "DEFAULT_SCALES", (0.5, 1.0))
    monkeypatch.setattr(page, "DEFAULT_LENGTHS", (10, 30))
    monkeypatch.setattr(page, "_pool", lambda: 1)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("ui/pages/phase.py").run()
    at.radio(key="phase_era").set_value("2018–2024").run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    metas = {t.get("meta") for t in spec["data"] if t.get("meta")}
    assert metas == {"mingru", "minlstm", "indrnn", "lru"}
    assert any("cannot explode" in c.value for c in at.caption)
    grid = next(t for t in spec["data"] if t.get("meta") == "mingru")
    assert grid["customdata"]
