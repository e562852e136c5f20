"""Chapter 10, "After the LSTM", in AppTest and offline: its figure holds the probes' numbers for the LSTM, minGRU and
LRU on the same inputs, its reveal the product of the run's own numbers, its question the figure's decade."""
import re

import numpy as np
import pytest

from models import probe
from models.after_lstm import configs, sigmoid
from tests.test_app import decode
from viz.mathtext import number, tex_number
from tests.test_lesson import knob, lesson, reveal, spec, trace
from ui.lesson import export
from ui.lesson.chapters import CHAPTERS
from ui.lesson.questions import QUESTIONS

NUMBER = next(n for n, c in enumerate(CHAPTERS, start=1) if c.slug == "after_lstm")


def mean_grad(cell: str, gate_bias: float, ring_top: float) -> np.ndarray:
    return probe(configs(gate_bias, ring_top)[cell]).grad_h.mean(0)


def test_figure_and_reveal_are_the_probes_and_the_product():
    at = lesson(chapter=NUMBER)
    assert at.header[0].value == f"{NUMBER}. After the LSTM: gates that cannot see the past state"
    s = spec(at)
    for cell, name in (("lstm", "LSTM"), ("mingru", "minGRU"), ("lru", "LRU")):
        np.testing.assert_allclose(decode(trace(s, f"{name} ||dL/dh_t||")["y"]), mean_grad(cell, 3.0, 0.99), rtol=1e-6)
    assert decode(trace(s, "LRU bound max|λ|^(T-t)")["y"])[0] <= 0.99 ** 99
    text = reveal(at)
    assert f"$\\sigma(3)^{{99}} = {tex_number(sigmoid(3.0) ** 99)}$" in text
    measured = mean_grad("mingru", 3.0, 0.99)[0]
    assert f"the probe measures {number(measured)}, and the product" in text
    mantissa, exponent = re.search(r"within \$([0-9.]+)\\times 10\^\{(-?\d+)\}\$", text).groups()
    assert float(mantissa) * 10 ** int(exponent) < 1e-5  # the float32 probe and the float64 product of its own 1 - z_t


def test_knobs_move_the_figure_and_the_url():
    at = lesson(chapter=NUMBER)
    knob(at, "gate_bias").set_value(1.0).run()
    knob(at, "ring_top").set_value(0.5).run()
    assert at.query_params["gate_bias"] == "1" and at.query_params["ring_top"] == "0.5"
    s = spec(at)
    np.testing.assert_allclose(decode(trace(s, "minGRU ||dL/dh_t||")["y"]), mean_grad("mingru", 1.0, 0.5), rtol=1e-6)
    np.testing.assert_allclose(decode(trace(s, "LRU ||dL/dh_t||")["y"]), mean_grad("lru", 1.0, 0.5), rtol=1e-6)
    assert "\\sigma(1)^{99}" in reveal(at)


@pytest.mark.parametrize("gate_bias", [-1.0, 3.0, 5.0])
def test_question_is_the_decade_of_the_drawn_gradient(gate_bias):
    g = mean_grad("mingru", gate_bias, 0.99)[0]
    answer = QUESTIONS["after_lstm"].computed({"gate_bias": gate_bias, "ring_top": 0.99})
    edges = {"over_0.1": (0.1, np.inf), "0.01": (0.01, 0.1), "0.001": (0.001, 0.01), "0.0001": (1e-4, 1e-3),
             "less": (0, 1e-4)}
    lo, hi = edges[answer]
    assert lo < g <= hi or (answer == "less" and g <= 1e-4)


def test_chinese_and_presenter_mode():
    zh = lesson(chapter=NUMBER, language="zh")
    assert zh.header[0].value.startswith(f"{NUMBER}. LSTM 之后") and "探针测得" in reveal(zh)
    present = lesson(chapter=NUMBER, present=1)
    s = spec(present)
    assert s["layout"]["font"]["size"] >= 20 and not present.selectbox


def test_offline_file_steps_through_the_gate_bias():
    section = export.section(NUMBER, {}, "en")
    fig = section.figure
    options = CHAPTERS[NUMBER - 1].knobs[0].options
    assert len(fig.frames) == len(options)
    for frame, b in zip(fig.frames[::4], options[::4]):
        y = next(np.asarray(t.y, dtype=float) for t in frame.data if t.name == "minGRU ||dL/dh_t||")
        np.testing.assert_allclose(y, mean_grad("mingru", b, 0.99), rtol=1e-6)
    reveals = dict(zip(options, (text for _, text in section.reveals)))  # the reveal follows the slider
    assert "\\sigma(3)^{99}" in reveals[3.0] and "\\sigma(-1)^{99}" in reveals[-1.0]
    zh = export.section(NUMBER, {}, "zh")
    assert zh.title.startswith(f"{NUMBER}. LSTM 之后") and "探针测得" in zh.reveals[0][1]
