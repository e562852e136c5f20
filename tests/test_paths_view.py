"""The gradient-paths and connectivity views: figure data equal the probe's arrays (viz), and the app
renders them for every preset (AppTest), with downloads whose numbers are the probe's."""
import json

import numpy as np
import pytest

from models import ProbeConfig, probe
from tests.test_app import chart, decode, line, run_app
from ui import view_data
from ui.presets import PRESETS
from viz import connectivity_figure, gradient_norm_figure, gradient_paths_figure
from viz.paths import path_label

PATHS_TITLE = "Which path carries the gradient"


def runs(**kw):
    return {c.upper(): probe(ProbeConfig(cell=c, seq_len=40, hidden_size=8, **kw)) for c in ("rnn", "lstm", "gru")}


def test_paths_figure_data_are_the_results_batch_means_at_the_state_reached():
    rs = runs()
    fig = gradient_paths_figure({k: r.grad_paths for k, r in rs.items()})
    for label, r in rs.items():
        for name, a in r.grad_paths.items():
            (trace,) = [t for t in fig.data if t.name == path_label(r.config.cell, name) and t.legendgroup.endswith(name)
                        and t.yaxis == {"RNN": "y", "LSTM": "y2", "GRU": "y3"}[label]]
            np.testing.assert_array_equal(trace.x, np.arange(1, 40))  # step t's part of dL/dc_{t-1}: x = t - 1
            np.testing.assert_allclose(trace.y, a[:, 1:].mean(axis=0))


def test_paths_shares_sum_to_one_and_total_line_is_the_gradient():
    rs = runs()
    fig = gradient_paths_figure({k: r.grad_paths for k, r in rs.items()}, share=True)
    lstm = [t for t in fig.data if t.yaxis == "y2"]
    assert {t.stackgroup for t in lstm} == {"s2"}
    np.testing.assert_allclose(sum(np.asarray(t.y) for t in lstm), 1.0, rtol=1e-12)
    r = rs["LSTM"]
    fig = gradient_paths_figure({"LSTM": r.grad_paths}, total={"LSTM": r.grad_c})
    (total,) = [t for t in fig.data if t.name == "sum of the paths"]
    np.testing.assert_allclose(total.y, r.grad_c[:, :-1].mean(axis=0))


def test_chinese_paths_figure_has_chinese_words_and_the_same_data():
    r = runs()["LSTM"]
    en, zh = (gradient_paths_figure({"LSTM": r.grad_paths}, lang=lang) for lang in ("en", "zh"))
    assert "B_t = f_t ⊙ g^c_t(直连)" in {t.name for t in zh.data}
    assert zh.layout.xaxis.title.text == "时间步 t" and "路径" in zh.layout.title.text
    for a, b in zip(en.data, zh.data):
        np.testing.assert_array_equal(a.y, b.y)


def test_connectivity_and_highway_lines_are_the_results_arrays():
    rs = runs()
    colors = {"RNN": "#D55E00", "LSTM": "#0072B2", "GRU": "#009E73"}
    fig = connectivity_figure({k: r.grad_x for k, r in rs.items()}, colors)
    for label, r in rs.items():
        (trace,) = [t for t in fig.data if t.name == f"{label} ||dL/dx_t||"]
        np.testing.assert_allclose(trace.y, r.grad_x.mean(axis=0))
    fig = gradient_norm_figure({k: r.grad_h for k, r in rs.items()}, colors,
                               highway={k: r.grad_highway for k, r in rs.items()})
    for label in ("LSTM", "GRU"):
        (trace,) = [t for t in fig.data if t.name == f"{label} direct path only"]
        np.testing.assert_allclose(trace.y, rs[label].grad_highway.mean(axis=0))
    assert not [t for t in fig.data if t.name == "RNN direct path only"]


def test_paths_download_has_the_probes_numbers():
    rs = runs()
    df = view_data.paths_frame(rs)
    got = df[(df.run == "GRU") & (df.path == "copy")].norm_mean.to_numpy()
    np.testing.assert_allclose(got, rs["GRU"].grad_paths["copy"][:, 1:].mean(axis=0))
    assert set(df.path[df.run == "LSTM"]) == {"forget_direct", "forget_gate", "input_gate", "candidate", "output_gate"}
    two = {"LSTM": probe(ProbeConfig(cell="lstm", num_layers=2, seq_len=10, hidden_size=4))}
    assert "from_above" in set(view_data.paths_frame(two, layer=0).path)


@pytest.mark.parametrize("index", range(len(PRESETS)))
def test_paths_view_renders_for_every_preset(index):
    at = run_app()
    at.button(key=f"probe_preset_{index}").click().run()
    assert not at.exception and not at.error
    settings = PRESETS[index].settings()
    spec = chart(at, PATHS_TITLE)
    for cell in settings.cells:
        expected = probe(settings.probe_config(cell)).grad_paths
        name = {"rnn": "recurrent", "lstm": "forget_direct", "gru": "copy"}[cell]
        (trace,) = [t for t in spec["data"] if t.get("legendgroup") == f"{cell} {name}" and t.get("mode") == "lines"
                    and t.get("yaxis", "y") == ("y" if settings.cells.index(cell) == 0
                                                else f"y{settings.cells.index(cell) + 1}")]
        np.testing.assert_allclose(decode(trace["y"]), expected[name][:, 1:].mean(axis=0), rtol=1e-5,
                                   atol=np.finfo(np.float32).tiny)


def test_share_toggle_highway_toggle_and_connectivity_in_the_app():
    at = run_app(cells="lstm,gru", forget_bias="3")
    at.radio(key="probe_paths_share").set_value(True).run()
    spec = chart(at, PATHS_TITLE)
    assert spec["layout"]["yaxis"]["tickformat"] == ".0%"
    at.toggle(key="probe_highway").set_value(True).run()
    cfg = ProbeConfig(cell="lstm", forget_bias=3.0)
    _, y = line(chart(at, "||dL/dh_t|| against timestep"), "LSTM direct path only")
    np.testing.assert_allclose(y, probe(cfg).grad_highway.mean(axis=0), rtol=1e-5)
    _, y = line(chart(at, "How much the output still depends"), "GRU ||dL/dx_t||")
    np.testing.assert_allclose(y, probe(ProbeConfig(cell="gru", forget_bias=3.0)).grad_x.mean(axis=0), rtol=1e-5)


def test_two_layers_offer_a_layer_choice_with_from_above():
    at = run_app(cells="rnn", num_layers="2")
    at.select_slider(key="probe_paths_layer").set_value(0).run()
    names = {t.get("name") for t in chart(at, PATHS_TITLE)["data"]}
    assert "from the layer above" in names


def test_chinese_app_paths_view():
    at = run_app(language="zh", cells="lstm")
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    (spec,) = [s for s in specs if s["layout"]["title"]["text"].startswith("梯度经哪条路径")]
    assert "B_t = f_t ⊙ g^c_t(直连)" in {t.get("name") for t in spec["data"]}


def test_train_tab_measures_the_direct_path_share_trained_vs_init():
    from streamlit.testing.v1 import AppTest

    from tests.test_train_page import SCRIPT, small_sine
    from ui.train_page import JOB_KEY
    at = small_sine(AppTest.from_string(SCRIPT, default_timeout=60).run())
    at.button(key="train_start").click().run()
    job = at.session_state[JOB_KEY]
    try:
        job.join(120)
        at.run()
        at.multiselect(key="train_probe_cells").set_value(["lstm", "gru"]).run()
        assert not at.exception
        (table,) = [d.value for d in at.dataframe if "at t = 1" in d.value.columns]
        x = job.trainer.snapshot_x
        for cell, direct in (("lstm", "forget_direct"), ("gru", "copy")):
            cfg = job.cfg.probe_config(cell, 1)
            for label, net in ((f"{cell.upper()} trained", job.trainer.nets[cell]),
                               (f"{cell.upper()} at init", job.trainer.initial_net(cell))):
                p = probe(cfg, model=net.rnn, inputs=x).grad_paths
                share = p[direct][:, 1] / sum(a[:, 1] for a in p.values())
                (row,) = table[table["run"] == label].to_dict("records")
                assert row["path"] == direct
                np.testing.assert_allclose(row["at t = 1"], share.mean(), rtol=1e-6)
    finally:
        job.stop()
        job.join(60)
