"""ui.lesson.questions: every chapter has a class form, and its computed answer is checked against an independent
computation (the toy RNN by hand, (1.1/0.9)^50, Pascanu's wall in plain floats, plain autograd of dL/dh_1 and dL/dx_t, nn.LSTM's parameters, the
figure's own path shares, synthetic training curves), and against the options it must be one of. Also
viz.answers' figures: the counts drawn are the counts given, the computed answer marked.
"""
import json
import math

import numpy as np
import pytest
import torch

from models import lesson as ml
from models import probe, wall
from tests.test_app import decode
from tests.test_lesson import lesson, shares_from_chart, spec
from tests.test_wall import reference as wall_reference
from ui.lesson import training
from ui.lesson.chapters import CHAPTERS
from ui.lesson.questions import QUESTIONS, growth, reaching
from viz.answers import choice_answers_figure, number_answers_figure, number_bins


def test_every_chapter_has_a_form_whose_computed_answer_fits_it():
    assert set(QUESTIONS) == {c.slug for c in CHAPTERS}
    for chapter in CHAPTERS:
        q = QUESTIONS[chapter.slug]
        assert q.kind in ("choice", "number") and all(o.value and o.en and o.zh for o in q.options)
        answer = q.computed(chapter.defaults())
        assert answer is None if chapter.live else q.valid(answer), (chapter.slug, answer)


def test_chapter_1_is_the_toy_rnn_by_hand():
    ones = np.ones((2, 2))
    s = np.zeros(2)
    for x in ([1, 1], [1, 1], [2, 2]):  # s_t = U x_t + W s_{t-1}, every weight 1
        s = ones @ np.array(x, dtype=float) + ones @ s
    assert QUESTIONS["unrolling"].computed({"step": 3}) == (ones @ s)[0] == 32


def autograd_grad_h1(activation: str, weight_scale: float) -> float:
    """Batch mean ||dL/dh_1|| by plain autograd: run step 1, then the rest from h_1 as the initial state."""
    r = probe(ml.vanishing_config(weight_scale, activation))
    x, v = r.inputs, torch.as_tensor(r.readout)
    with torch.no_grad():
        first, _ = r.model(x[:1])
    h1 = first[0].clone().requires_grad_(True)  # (B, H)
    rest, _ = r.model(x[1:], h1.unsqueeze(0))
    (g,) = torch.autograd.grad((rest[-1] * v.to(rest.dtype)).sum(), h1)
    return float(g.double().norm(dim=1).mean())


def bucket(ratio: float) -> str:
    return "falls" if ratio <= 1 else ["x1", "x10", "x100", "x1000", "x10000"][min(4, int(math.log10(ratio)))]


def test_chapter_2_the_growth_bucket_is_autograds_and_the_formulas():
    assert growth({"activation": "linear"}) == bucket((1.1 / 0.9) ** 50) == "x10000"  # ||dL/dh_1|| = s^50 exactly
    ratio = autograd_grad_h1("tanh", 1.1) / autograd_grad_h1("tanh", 0.9)
    assert growth({"activation": "tanh"}) == bucket(ratio) == "x1000", ratio


def test_chapter_3_the_unclipped_step_lands_on_a_plateau():
    """Where the unclipped descent's longest step lands, E_50 and its gradient from plain floats (tests/test_wall.py's
    reference, itself checked against finite differences): high error, almost no gradient."""
    plain = wall.clipping_runs(1.0)["unclipped"]
    w, b = plain["jump"]["to"]
    error, gw, gb = wall_reference(w, b)
    assert error > 0.01 and math.hypot(gw, gb) < 1e-3
    assert QUESTIONS["exploding"].computed({"weight_scale": 1.2, "clip": 1.0}) == "plateau"


@pytest.mark.parametrize("seq_len, expected", [(10, "rnn+lstm+gru"), (20, "lstm"), (50, "none")])
def test_chapter_4_the_cells_reaching_france_by_autograd(seq_len, expected):
    reached = []
    for cell in ("rnn", "lstm", "gru"):
        r = probe(ml.cell_config(cell, seq_len=seq_len))
        x = r.inputs.clone().requires_grad_(True)
        out, _ = r.model(x)
        (g,) = torch.autograd.grad((out[-1] * torch.as_tensor(r.readout).to(out.dtype)).sum(), x)
        norms = g.double().norm(dim=2).mean(dim=1)  # (T,) batch mean of ||dL/dx_t||
        if norms[0] / norms[-1] >= 0.01:
            reached.append(cell)
    assert ("+".join(reached) or "none") == expected
    assert reaching({"seq_len": seq_len}) == expected


@pytest.mark.parametrize("number, slug, values", [(5, "lstm", {"forget_bias": 1.0}), (5, "lstm", {"forget_bias": 3.0}),
                                                  (7, "gru", {"weight_scale": 1.0})])
def test_path_chapters_answer_the_figures_largest_path(number, slug, values):
    at = lesson(chapter=number, **values)
    shares = shares_from_chart(spec(at))
    name = max(shares, key=shares.get)
    q = QUESTIONS[slug]
    answer = q.computed(values)
    if slug == "lstm":
        assert q.label_of(answer, "en") == name
    else:
        assert answer == ("copy" if name.startswith("copy") else "w_hh")


def test_chapter_5_answers_nothing_where_every_path_underflowed():
    assert QUESTIONS["lstm"].computed({"forget_bias": -2.0}) is None  # sigma(-2)^90 is below float32's range


def test_chapter_6_is_the_share_of_the_drawn_terms():
    at = lesson(chapter=6)
    steps = decode(spec(at)["data"][0]["y"])
    assert QUESTIONS["sum"].computed({"cell": "rnn", "weight_scale": 1.0}) == round(100 * steps[-10:].sum() / steps.sum(), 1)


@pytest.mark.parametrize("n, m", [(32, 1), (64, 10)])
def test_chapter_9_is_nn_lstms_parameter_count(n, m):
    assert QUESTIONS["parameters"].computed({"hidden_size": n, "input_size": m}) == \
        sum(p.numel() for p in torch.nn.LSTM(m, n).parameters())


def test_chapter_8_names_the_first_cell_under_the_line(monkeypatch):
    q = QUESTIONS["training"]
    flat, falling = np.full(400, 0.17), np.linspace(0.17, 0.0, 400)
    monkeypatch.setattr(training, "losses_of", lambda job: {})
    assert q.computed({}) is None  # no run yet
    monkeypatch.setattr(training, "losses_of", lambda job: {"rnn": flat, "lstm": falling, "gru": falling[::2].repeat(2)})
    assert q.computed({}) == "lstm"  # the GRU's curve reaches 0.1 later, held flat in pairs
    monkeypatch.setattr(training, "losses_of", lambda job: {"rnn": flat, "lstm": flat, "gru": flat})
    assert q.computed({}) == "none"


def test_number_answers_within_tolerance_count_as_right():
    q = QUESTIONS["sum"]
    assert q.is_right(60, 64.9) and q.is_right(69.9, 64.9) and not q.is_right(59, 64.9) and not q.is_right(None, 64.9)
    assert q.valid(0) and q.valid(100) and not q.valid(101) and not q.valid(float("nan")) and not q.valid(True)


def test_choice_figure_draws_the_counts_and_marks_the_computed_answer():
    fig = choice_answers_figure(["falls", "rises"], [3, 5], 1, "t", lang="en")
    bar = json.loads(fig.to_json())["data"][0]
    assert list(bar["x"]) == [3, 5] and bar["y"] == ["falls", "✓ rises"]
    assert bar["marker"]["color"] == ["#BBBBBB", "#009E73"]
    live = json.loads(choice_answers_figure(["a", "b"], [0, 0], None, "t", lang="zh").to_json())
    assert live["data"][0]["marker"]["color"] == ["#0072B2"] * 2 and live["layout"]["xaxis"]["title"]["text"] == "学生人数"


def test_number_bins_hold_every_answer_and_the_computed_one():
    values = [30, 32, 32, 33, 40, 1e9]  # one wild answer: it lands in the end bin, the rest stay readable
    edges, counts = number_bins(values, 32.0, 1.0)
    assert counts.sum() == len(values) and len(counts) <= 15 and edges[0] <= 30 and edges[-1] < 100
    assert counts[-1] >= 1 and counts[np.searchsorted(edges, 32.0, side="right") - 1] >= 2
    assert number_bins([], 5.0, 1.0)[1].sum() == 0 and number_bins([7, 7, 7], None, 1.0)[1].tolist() == [3]
    fig = json.loads(number_answers_figure(values, 32.0, 0.0, 1.0, "", "t").to_json())
    assert sum(decode(fig["data"][0]["y"])) == len(values) and fig["layout"]["shapes"][0]["x0"] == 32.0
