"""The Phase diagrams page in AppTest: default diagram, a sweep file, click -> explorer round trip, Chinese.

The default grid is shrunk and run in-process (workers=1) so these stay fast; the real default's
time is measured in the browser, not here.
"""
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

import ui.phase_page as page
from models import ProbeConfig
from models.sweep import sweep

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(autouse=True)
def small_default(monkeypatch):
    monkeypatch.setattr(page, "DEFAULT_SCALES", (0.5, 1.0, 1.5))
    monkeypatch.setattr(page, "DEFAULT_LENGTHS", (10, 30))
    monkeypatch.setattr(page, "DEFAULT_FORGET_BIASES", (0.0, 2.0))
    monkeypatch.setattr(page, "_pool", lambda: 1)  # in this process: no pool to start for a 12-probe grid


def open_phase(query=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query or {})
    at.run()
    at.switch_page("ui/pages/phase.py")
    return at.run()


def spec(at):
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return charts[0], json.loads(charts[0].proto.spec)


def click(at, cell: str, x: float, y):
    """What the browser sends when the point (weight scale x, y value) of `cell` is clicked (`on_select`).

    AppTest has no plotly-chart driver, so the selection goes in as the chart's widget state, in the
    shape Streamlit's frontend sends (PlotlyChart: points with curve_number, point_index, customdata)."""
    chart, s = spec(at)
    curve = next(k for k, t in enumerate(s["data"]) if t.get("meta") == cell)
    data = s["data"][curve]["customdata"]
    index = next(k for k, d in enumerate(data) if d[1] == x and d[2] == y)
    point = {"curve_number": curve, "point_index": index, "point_number": index, "customdata": data[index]}
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(id=chart.proto.id, string_value=json.dumps(
        {"selection": {"points": [point], "point_indices": [index], "box": [], "lasso": []}})))
    return at._run(widget_state=states)


def test_default_diagram_one_heatmap_per_cell_with_the_rnn_line():
    at = open_phase()
    assert not at.exception
    _, s = spec(at)
    heatmaps = [t for t in s["data"] if t["type"] == "heatmap"]
    assert [t["name"] for t in heatmaps] == ["RNN", "LSTM", "GRU"]
    line = [t for t in s["data"] if t.get("mode") == "lines"]
    assert len(line) == 1 and line[0]["xaxis"] == "x"
    x = line[0]["x"]
    x = np.frombuffer(__import__("base64").b64decode(x["bdata"]), dtype=x["dtype"]) if isinstance(x, dict) else x
    assert np.allclose(x, 1.0, atol=1e-6)  # tanh, orthogonal: gamma ||W_hh|| = 1 at scale 1.0 = column 1
    assert s["layout"]["yaxis"]["ticktext"] == ["10", "30"]


def test_clicking_a_point_opens_it_in_the_explorer_with_the_url():
    at = open_phase()
    click(at, "lstm", 1.5, 30)
    assert not at.exception
    assert at.title[0].value.startswith("Gradient flow through time")
    assert at.session_state["probe_cells"] == ["lstm"]
    assert at.session_state["probe_weight_scale"] == 1.5 and at.session_state["probe_seq_len"] == 30
    assert at.query_params["cells"] == "lstm" and at.query_params["weight_scale"] == "1.5"
    assert at.query_params["seq_len"] == "30" and at.query_params["hidden_size"] == "32"
    charts = at.get("plotly_chart")
    assert charts, "the explorer draws its views for the opened configuration"


def test_forget_bias_diagram_and_opening_a_sweep_directory(tmp_path):
    at = open_phase()
    at.selectbox(key="phase_y").set_value("forget_bias").run()
    _, s = spec(at)
    assert s["layout"]["yaxis"]["ticktext"] == ["0", "2"]
    sweep(ProbeConfig(hidden_size=4, batch_size=2), {"cell": ["rnn", "gru"], "init": ["orthogonal", "gaussian"],
                                                     "weight_scale": [0.5, 2.0], "seq_len": [12]},
          workers=1, out=tmp_path / "sw")
    at.radio(key="phase_source").set_value("file").run()
    at.text_input(key="phase_path").set_value(str(tmp_path / "sw")).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="phase_y_file").options == ["W_hh init"]
    _, s = spec(at)
    assert [t["name"] for t in s["data"] if t["type"] == "heatmap"] == ["RNN", "GRU"]
    assert s["layout"]["yaxis"]["ticktext"] == ["orthogonal", "gaussian"]
    click(at, "gru", 0.5, "gaussian")
    assert at.session_state["probe_init"] == "gaussian" and at.session_state["probe_hidden_size"] == 4


def test_bad_files_are_refused_with_the_reason(tmp_path):
    at = open_phase()
    at.radio(key="phase_source").set_value("file").run()
    (tmp_path / "notes.txt").write_text("secret")
    at.text_input(key="phase_path").set_value(str(tmp_path / "notes.txt")).run()
    assert "sweep.parquet" in at.error[0].value and not at.get("plotly_chart")
    at.text_input(key="phase_path").set_value(str(tmp_path / "nothing")).run()
    assert "no sweep table" in at.error[0].value


def test_downloads_are_strict_json_and_chinese_page():
    grids = {"cells": {"rnn": {"z": [[-float("inf"), 1.0, None]]}}}
    assert json.loads(page.grids_json(grids))["cells"]["rnn"]["z"] == [["-inf", 1.0, None]]
    at = open_phase()
    at.radio(key="language").set_value("zh").run()
    assert not at.exception
    assert at.title[0].value.startswith("相图")
    _, s = spec(at)
    assert s["layout"]["yaxis"]["title"]["text"] == "序列长度 T"


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_an_uploaded_sweep_table_draws_its_diagram(tmp_path, kind):
    table = sweep(ProbeConfig(hidden_size=4, batch_size=2), {"cell": ["lstm"], "forget_bias": [0.0, 1.0, 3.0],
                                                             "weight_scale": [0.5, 1.0], "seq_len": [20]}, workers=1)
    data = table.to_parquet(index=False) if kind == "parquet" else table.to_csv(index=False).encode()
    at = open_phase()
    at.radio(key="phase_source").set_value("file").run()
    at.file_uploader(key="phase_upload").set_value((f"sweep.{kind}", data, "application/octet-stream")).run()
    assert not at.exception and not at.error
    _, s = spec(at)
    assert [t["name"] for t in s["data"] if t["type"] == "heatmap"] == ["LSTM"]
    assert s["layout"]["yaxis"]["ticktext"] == ["0", "1", "3"]
    at.file_uploader(key="phase_upload").set_value(("sweep.csv", b"a,b\n1,2\n", "text/csv")).run()
    assert "missing columns cell, weight_scale" in at.error[0].value
