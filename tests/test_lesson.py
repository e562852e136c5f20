"""The lesson page in AppTest: every chapter renders, its knobs change the figure and the URL, and its reveal
agrees with the data, checked against an independent computation (a formula, a tutorial's worked example, plain
autograd, the one-unit RNN of tests/test_wall.py in plain Python).
"""
import json
import re
import time

import numpy as np
import pandas as pd
import pytest
import torch
from streamlit.testing.v1 import AppTest

from models import lesson as ml
from models import probe
from tests.test_app import APP, decode
from ui.lesson import training
from ui.lesson.chapters import CHAPTERS


def lesson(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = str(v)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def spec(at: AppTest) -> dict:
    (chart,) = at.get("plotly_chart")
    return json.loads(chart.proto.spec)


def trace(s: dict, name: str) -> dict:
    (t,) = [t for t in s["data"] if t.get("name") == name]
    return t


def reveal(at: AppTest) -> str:
    (box,) = [e for e in at.expander if e.label.startswith(("Reveal", "揭晓答案"))]
    return box.markdown[0].value


NUMBER = r"(\$?-?\d[\d,]*\.?\d*(?:\\times 10\^\{-?\d+\})?\$?)"  # 0.0143, 1,088 or $1.43\times 10^{-5}$


def value(text: str) -> float:
    """A number as the reveals write it: plain digits or $m\times 10^{k}$."""
    m = re.fullmatch(r"\$?(-?[\d,]*\.?\d*)(?:\\times 10\^\{(-?\d+)\})?\$?", text.strip())
    return float(m.group(1).replace(",", "")) * 10.0 ** int(m.group(2) or 0)


def knob(at: AppTest, name: str):
    return at.select_slider(key=f"lesson_{at.session_state['lesson_chapter']}_{name}")


def test_bare_url_opens_the_lesson_and_an_old_explorer_link_the_explorer():
    at = lesson()
    assert at.header[0].value == "1. Unrolling an RNN" and at.query_params["chapter"] == "1"
    old = lesson(cells="rnn", seq_len="200")
    assert "Gradient flow through time" in old.title[0].value and old.slider(key="probe_seq_len").value == 200


@pytest.mark.parametrize("number", range(1, len(CHAPTERS) + 1))
def test_every_chapter_renders_one_figure_and_a_reveal(number):
    at = lesson(chapter=number)
    assert at.header[0].value.startswith(f"{number}. ")
    s = spec(at)
    assert (s["data"] or s["layout"]["shapes"]) and reveal(at) and not at.error  # chapter 8 before Start: the paper's boxes
    assert 1 <= len(at.select_slider) <= 2  # at most two knobs (the chapter picker is a selectbox)


def test_chapter_1_reveal_is_the_seed_toy_rnn():
    at = lesson(chapter=1)
    s = spec(at)
    assert list(decode(trace(s, "o_t")["y"])) == [4, 12, 32]  # “史上最详细循环神经网络讲解”: [4,4], [12,12], [32,32]
    assert reveal(at).startswith("$o_3 = [32, 32]$")
    knob(at, "step").set_value(2).run()
    y = decode(trace(spec(at), "o_t")["y"])
    assert y[:2].tolist() == [4, 12] and np.isnan(y[2]) and at.query_params["step"] == "2"


def test_chapter_2_linear_rnn_gives_the_seeds_power_and_the_reveal_says_so():
    at = lesson(chapter=2, activation="linear", weight_scale="0.8")
    y = decode(trace(spec(at), "RNN ||dL/dh_t||")["y"])
    assert y[0] == pytest.approx(0.8 ** 50, rel=1e-5)  # t = 1 is 50 steps before the loss: “从 RNN 到 LSTM”'s 0.8^50
    text = reveal(at)
    g09, g11 = (value(x) for x in re.search(rf"is {NUMBER} at \$\\lVert W_{{hh}}\\rVert = 0.9\$ and {NUMBER} at 1.1",
                                             text).groups())
    assert text.startswith("It rises") and g09 == pytest.approx(0.9 ** 50, rel=1e-2) and g11 == pytest.approx(1.1 ** 50, rel=1e-2)
    knob(at, "weight_scale").set_value(1.1).run()
    assert decode(trace(spec(at), "RNN ||dL/dh_t||")["y"])[0] == pytest.approx(1.1 ** 50, rel=1e-4)
    assert at.query_params["weight_scale"] == "1.1" and at.query_params["chapter"] == "2"


def test_chapter_3_clipping_factor_matches_plain_autograd():
    at = lesson(chapter=3)
    cfg = ml.vanishing_config(1.2, "linear")
    r = probe(cfg)  # its model, inputs and readout; the gradient itself comes from plain autograd below
    w = r.model.weight_hh_l0
    h, _ = r.model(r.inputs)
    loss = (h[-1] * torch.as_tensor(r.readout, dtype=h.dtype)).sum()  # L = sum_b v . h_T
    (g,) = torch.autograd.grad(loss, w)
    total = float(g.norm())
    text = reveal(at)
    factor = value(re.search(rf"scaled by {NUMBER}, so", text).group(1))
    assert factor == pytest.approx(1.0 / total, rel=2e-3)  # tau = 1, printed to 3 digits
    s = spec(at)
    before, after = (decode(t["y"]) for t in s["data"] if t.get("xaxis") == "x2")
    np.testing.assert_allclose(after / before, 1.0 / total, rtol=1e-3)  # every piece scaled alike
    ratio = re.search(rf"is {NUMBER} before and {NUMBER} after", text).groups()
    assert value(ratio[0]) == value(ratio[1]) == pytest.approx(before[0] / before[-1], rel=1e-3)  # C_2 / C_T
    knob(at, "clip").set_value(1000.0).run()
    assert not np.allclose([decode(t["y"]) for t in spec(at)["data"] if t.get("xaxis") == "x2"][1], after)


def test_chapter_3_wall_is_the_one_unit_rnn_computed_independently():
    from tests.test_wall import reference, reference_descent
    from models import wall
    at = lesson(chapter=3, clip=0.3)
    s, text = spec(at), reveal(at)
    contour = s["data"][0]
    w, b = decode(contour["x"]), decode(contour["y"])
    z = decode(contour["z"]).reshape(b.size, w.size)  # plotly writes the 2-d array flat, with its shape
    assert contour["z"]["shape"].replace(" ", "") == f"{b.size},{w.size}"
    for i, j in ((0, 0), (40, 60), (90, 120), (b.size - 1, w.size - 1)):  # log10 E from plain Python
        e = reference(float(w[j]), float(b[i]))[0]
        assert z[i, j] == pytest.approx(np.log10(max(e, 1e-4)), abs=1e-5)
    plain = np.array(reference_descent(wall.START, wall.LR, wall.STEPS_SHOWN, np.inf))
    runs = [t for t in s["data"] if t.get("mode") == "lines+markers"]
    np.testing.assert_allclose(np.c_[decode(runs[0]["x"]), decode(runs[0]["y"])][:20], plain[:20], rtol=1e-9)
    jumps = np.linalg.norm(np.diff(plain, axis=0), axis=1)
    k = int(jumps.argmax())
    assert f"after {k} steps the run stands on the wall" in text
    assert f"to $({plain[k + 1][0]:.2f}, {plain[k + 1][1]:.2f})$" in text
    assert f"the error stays at {reference(*plain[-1])[0]:.2g}" in text
    clipped = np.array(reference_descent(wall.START, wall.LR, 19, 0.3))
    np.testing.assert_allclose(np.c_[decode(runs[1]["x"]), decode(runs[1]["y"])][:20], clipped, rtol=1e-9)
    assert at.query_params["clip"] == "0.3"


def test_chapter_4_reveal_reads_the_curves():
    pytest.importorskip("viz.connectivity")
    at = lesson(chapter=4, seq_len=20)
    s, text = spec(at), reveal(at)
    for cell in ("RNN", "LSTM", "GRU"):
        y = decode(trace(s, f"{cell} ||dL/dx_t||")["y"])
        ratio = float(re.search(rf"{cell}: ([\d.e+-]+) of its value", text).group(1))
        assert ratio == pytest.approx(y[0] / y[-1], rel=0.06)  # printed to 2 significant digits
        gx = probe(ml.cell_config(cell.lower(), seq_len=20)).grad_x.mean(axis=0)
        np.testing.assert_allclose(y, gx, rtol=1e-6)
    knob(at, "seq_len").set_value(50).run()
    assert decode(trace(spec(at), "RNN ||dL/dx_t||")["x"]).size == 50 and at.query_params["seq_len"] == "50"


def shares_from_chart(s: dict, last: int = 10) -> dict:
    """name -> share of the summed path means over x = 1..last (the figure draws step t's path at x = t - 1)."""
    sums = {}
    for t in s["data"]:
        x, y = decode(t.get("x", [])), decode(t.get("y", []))
        if t.get("mode") == "lines" and x.size > last and t.get("name"):
            sums[t["name"]] = float(y[(x >= 1) & (x <= last)].sum())
    total = sum(sums.values())
    return {k: v / total for k, v in sums.items()}


@pytest.mark.parametrize("number, cell, name, value", [(5, "lstm", "forget_bias", 3.0), (7, "gru", "weight_scale", 0.5)])
def test_path_chapters_reveal_the_largest_path_of_the_figure(number, cell, name, value):
    pytest.importorskip("viz.paths")
    at = lesson(chapter=number)
    shares = shares_from_chart(spec(at))
    top = max(shares, key=shares.get)
    assert f"the largest path is {top}, with {shares[top]:.0%}" in reveal(at)
    before = spec(at)["data"]
    knob(at, name).set_value(value).run()
    assert spec(at)["data"] != before and at.query_params[name] == f"{value:g}"
    shares = shares_from_chart(spec(at))
    top = max(shares, key=shares.get)
    assert f"the largest path is {top}, with {shares[top]:.0%}" in reveal(at)


def test_chapter_6_reveal_is_the_share_of_the_drawn_terms():
    at = lesson(chapter=6)
    s = spec(at)
    steps = decode(s["data"][0]["y"])  # ||C_t|| for t = 2..100 (C_1 = 0)
    share = steps[-10:].sum() / steps.sum()
    assert f"give {share:.0%} of the sum" in reveal(at)
    assert knob(at, "cell").options == ["RNN", "LSTM"]  # the display names, not rnn/lstm
    knob(at, "cell").set_value("lstm").run()
    s2 = spec(at)
    assert s2["data"][0]["name"] == "LSTM" and at.query_params["cell"] == "lstm"
    steps = decode(s2["data"][0]["y"])
    assert f"give {steps[-10:].sum() / steps.sum():.0%} of the sum" in reveal(at)


def test_chapter_9_counts_are_the_formulas():
    at = lesson(chapter=9, hidden_size=64, input_size=10)
    n, m = 64, 10
    assert list(decode(trace(spec(at), "PyTorch")["y"])) == [g * (n * (m + n) + 2 * n) for g in (1, 4, 3)]
    text = reveal(at)
    assert f"has {4 * (n * (m + n) + 2 * n):,} parameters" in text and f"gives {4 * (n * (m + n) + n):,}" in text
    assert f"{4 * n:,} = 4 × n" in text
    knob(at, "hidden_size").set_value(8).run()
    assert decode(trace(spec(at), "PyTorch")["y"])[1] == 4 * (8 * (m + 8) + 16)


def test_chapter_8_trains_live_and_the_reveal_reads_its_history():
    at = lesson(chapter=8)
    assert reveal(at).startswith("No run yet")
    at.button(key="lesson_train_start").click().run()
    job = at.session_state[training.JOB_KEY]
    try:
        deadline = time.monotonic() + 120
        while job.trainer.step < 60 and not job.finished and time.monotonic() < deadline:
            time.sleep(0.5)
        job.stop()
        job.join(60)
        at.run()
        history = {c: h["loss"] for c, h in job.trainer.progress().items()}
        s = spec(at)
        for cell, name in (("rnn", "RNN"), ("lstm", "LSTM"), ("gru", "GRU")):
            y = decode(trace(s, name)["y"])
            assert y.size == len(history[cell]) and np.allclose(y, history[cell])  # < 300 steps: not block-reduced
            rolling = pd.Series(history[cell]).rolling(50).mean()  # mean of the 50 steps ending at each step
            below = np.flatnonzero(rolling.to_numpy() < training.LEFT)
            if below.size:
                assert f"{name} went under {training.LEFT} (50-step mean) at step {below[0] + 1}" in reveal(at)
            else:
                window = history[cell][-50:].mean()
                assert f"{name} has not left it in {len(history[cell])} steps (last 50-step mean {window:.3f})" \
                    in reveal(at)
    finally:
        job.stop()
        job.join(60)


def test_next_moves_the_url_and_a_link_opens_one_moment():
    at = lesson(chapter=5, forget_bias=3)
    assert knob(at, "forget_bias").value == 3.0
    at.button(key="lesson_next_top").click().run()
    assert at.query_params["chapter"] == "6" and "forget_bias" not in at.query_params
    assert at.header[0].value.startswith("6. ")
    bad = lesson(chapter="12", forget_bias="x")
    assert "chapter='12'" in bad.warning[0].value and bad.header[0].value.startswith("1. ")


def test_presenter_mode_has_big_text_thick_lines_and_no_picker():
    at = lesson(chapter=2, present=1)
    s = spec(at)
    assert s["layout"]["font"]["size"] >= 20
    assert all(t["line"]["width"] >= 3 for t in s["data"] if "lines" in t.get("mode", "") and t["line"].get("width") != 0)
    assert not at.selectbox and at.button(key="lesson_next_top") and not at.title


def test_chinese_chapter_has_chinese_words_and_the_same_numbers():
    en, zh = lesson(chapter=2), lesson(chapter=2, language="zh")
    assert zh.header[0].value == "2. 梯度消失" and "上升" in reveal(zh)
    a, b = spec(en), spec(zh)
    assert b["layout"]["xaxis"]["title"]["text"] == "时间步 t"
    assert "RNN 上界 (γ||W_hh||)^(T-t)" in {t.get("name") for t in b["data"]}
    for ta, tb in zip(a["data"], b["data"]):
        np.testing.assert_array_equal(decode(ta["y"]), decode(tb["y"]))


def test_whole_lesson_file_is_prepared_ahead_then_offered():
    from ui.lesson import export
    lesson(chapter=1)  # the first lesson page starts the server's build of the file
    ready = export.prepared("en")
    ready.wait(300)
    assert ready.error is None and ready.done == ready.total == len(CHAPTERS)
    page = ready.html.decode()
    assert all(f'id="chapter-{n}"' in page for n in range(1, len(CHAPTERS) + 1)) and 'id="sources"' in page
    at = lesson(chapter=1)
    buttons = [e for e in at.get("download_button") if e.proto.label.startswith("Download the whole lesson")]
    assert len(buttons) == 1 and not at.get("progress")  # ready: the button, no progress bar
