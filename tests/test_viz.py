"""Figure builders in viz/: every trace is checked against the arrays passed in (no Streamlit)."""
import json
import math

import numpy as np
import pytest

from viz import (CELL_COLORS, contributions_figure, decay_figure, gate_figure, gradient_norm_figure,
                 label_colors, magnitude_heatmap_figure)
from viz.binning import block_mean
from viz.marks import spans

RNG = np.random.default_rng(0)
COLORS = {"RNN": CELL_COLORS["rnn"], "LSTM": CELL_COLORS["lstm"]}


def trace(fig, name):
    """The one trace whose name is exactly `name`."""
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, [t.name for t in fig.data]
    return found[0]


def decaying(batch=4, steps=30, rate=0.7):
    """(B, T) positive curves rate^(T-t) times a per-sequence factor: a vanishing gradient."""
    t = np.arange(steps)
    return np.outer(RNG.uniform(0.5, 2.0, batch), rate ** (steps - 1 - t))


def test_gradient_norm_lines_band_and_bound_equal_inputs():
    rnn, lstm, c = decaying(), decaying(rate=0.99), decaying(rate=0.98)
    bound = 0.9 ** np.arange(29, -1, -1)
    fig = gradient_norm_figure({"RNN": rnn, "LSTM": lstm}, COLORS, grad_c={"LSTM": c}, bound={"RNN": bound})
    for label, a in (("RNN", rnn), ("LSTM", lstm)):
        line = trace(fig, f"{label} ||dL/dh_t||")
        np.testing.assert_allclose(line.y, [a[:, j].sum() / a.shape[0] for j in range(a.shape[1])])
        np.testing.assert_array_equal(line.x, np.arange(1, 31))
        assert line.line.color == COLORS[label]
        np.testing.assert_allclose(trace(fig, f"{label} min").y, [min(a[:, j]) for j in range(30)])
        upper = trace(fig, f"{label} min-max band")
        assert upper.fill == "tonexty"
        np.testing.assert_allclose(upper.y, [max(a[:, j]) for j in range(30)])
    np.testing.assert_allclose(trace(fig, "LSTM ||dL/dc_t||").y, c.mean(axis=0))
    assert trace(fig, "LSTM ||dL/dc_t||").line.dash == "dot"
    dashed = trace(fig, "RNN bound (γ||W_hh||)^(T-t)")
    assert dashed.line.dash == "dash"
    np.testing.assert_allclose(dashed.y, bound)
    assert fig.layout.yaxis.type == "log"
    assert list(fig.layout.xaxis.range) == [0.5, 30.5]
    lo, hi = fig.layout.yaxis.range
    assert 10 ** lo < rnn.min() and 10 ** hi > 1.0


def test_gradient_norm_without_band_has_no_fill():
    fig = gradient_norm_figure({"RNN": decaying()}, COLORS, band=False)
    assert all(t.fill in (None, "none") for t in fig.data)


def test_zeros_are_marked_on_the_axis_floor():
    a = decaying(steps=10)
    a[:, :3] = 0.0  # underflowed at t = 1, 2, 3
    fig = gradient_norm_figure({"RNN": a}, COLORS)
    mark = trace(fig, "RNN dL/dh = 0")
    np.testing.assert_array_equal(mark.x, [1, 2, 3])
    floor = fig.layout.yaxis.range[0]
    assert 10 ** floor < mark.y[0] < a[a > 0].min()
    assert mark.marker.symbol == "triangle-down"


def test_overflow_is_marked_and_shaded():
    a = np.ones((3, 12))
    a[:, :4] = np.inf
    a[1, 4] = np.nan  # NaN at t = 5 propagates into the mean
    fig = gradient_norm_figure({"LSTM": a}, COLORS)
    mark = trace(fig, "LSTM dL/dh: inf/NaN")
    np.testing.assert_array_equal(mark.x, [1, 2, 3, 4, 5])
    assert 10 ** fig.layout.yaxis.range[1] > mark.y[0] > 1.0
    shades = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(s.x0, s.x1) for s in shades] == [(0.5, 5.5)]
    assert any("overflow" in a.text for a in fig.layout.annotations)
    line = trace(fig, "LSTM ||dL/dh_t||")
    assert np.isinf(line.y[:4]).all() and np.isnan(line.y[4]) and (line.y[5:] == 1).all()


def test_heatmap_is_log10_of_the_input_and_counts_blanks():
    a = RNG.uniform(1e-6, 1.0, size=(20, 5))
    a[0, 0], a[1, 1] = 0.0, np.inf
    b = RNG.uniform(1e-3, 1.0, size=(20, 5))
    fig = magnitude_heatmap_figure({"RNN": a, "GRU": b})
    first, second = fig.data
    expected = np.where(np.isfinite(a) & (a > 0), np.log10(np.where(a > 0, a, 1.0)), np.nan)
    np.testing.assert_allclose(np.asarray(first.z, dtype=float), expected.T)
    np.testing.assert_allclose(np.asarray(second.z, dtype=float), np.log10(b).T)
    np.testing.assert_array_equal(first.x, np.arange(1, 21))
    np.testing.assert_array_equal(first.y, np.arange(1, 6))
    titles = [t.text for t in fig.layout.annotations]
    assert titles[0] == "RNN (1 zero, 1 inf/NaN: blank)" and titles[1] == "GRU"
    finite = np.log10(np.concatenate([a[np.isfinite(a) & (a > 0)], b.ravel()]))
    assert fig.layout.coloraxis.cmin == pytest.approx(finite.min())
    assert fig.layout.coloraxis.cmax == pytest.approx(finite.max())
    assert first.coloraxis == second.coloraxis == "coloraxis"


def test_block_mean_matches_a_loop():
    a = RNG.normal(size=(10, 7))
    z, t, n = block_mean(a, max_t=3, max_n=2)
    rows, cols = [(0, 3), (3, 7), (7, 10)], [(0, 4), (4, 7)]  # np.linspace(0, n, bins+1).round()
    for i, (r0, r1) in enumerate(rows):
        for j, (c0, c1) in enumerate(cols):
            assert z[i, j] == pytest.approx(a[r0:r1, c0:c1].mean())
    np.testing.assert_allclose(t, [2.0, 5.5, 9.0])
    np.testing.assert_allclose(n, [2.5, 6.0])


def test_large_heatmap_is_downsampled():
    fig = magnitude_heatmap_figure({"LSTM": np.ones((1000, 256))})
    z = np.asarray(fig.data[0].z)
    assert z.shape == (64, 250) and np.allclose(z, 0.0)


def test_gate_lines_and_heatmaps_equal_inputs():
    gates = {"input": RNG.uniform(0, 1, (2, 15, 3)), "forget": RNG.uniform(0, 1, (2, 15, 3)),
             "cell": RNG.uniform(-1, 1, (2, 15, 3)), "output": RNG.uniform(0, 1, (2, 15, 3))}
    fig = gate_figure(gates, "LSTM gates")
    lines = [t for t in fig.data if t.type == "scatter"]
    maps = [t for t in fig.data if t.type == "heatmap"]
    assert [t.name for t in lines] == list(gates) == [t.name for t in maps]
    for line, hm, g in zip(lines, maps, gates.values()):
        np.testing.assert_allclose(line.y, [g[:, j, :].mean() for j in range(15)])
        np.testing.assert_allclose(np.asarray(hm.z), g.mean(axis=0).T)
    assert [m.coloraxis for m in maps] == ["coloraxis", "coloraxis", "coloraxis2", "coloraxis"]
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (0.0, 1.0)
    assert (fig.layout.coloraxis2.cmin, fig.layout.coloraxis2.cmax) == (-1.0, 1.0)
    assert list(fig.layout.xaxis.range) == [0.5, 15.5]


def test_contributions_rows_equal_inputs_and_mark_zeros():
    w = np.array([0.0, 1e-3, 0.0, 1e-1, 1.0])  # C_1 = 0 always (h_0 = 0); the 0 at t = 3 is an underflow
    jac = np.array([0.9, 0.9, 1.1, 1.0, 0.95])
    fig = contributions_figure({"RNN": w}, {"RNN": jac}, COLORS)
    lines = [t for t in fig.data if t.name == "RNN"]
    np.testing.assert_array_equal(lines[0].x, [2, 3, 4, 5])
    np.testing.assert_allclose(lines[0].y, w[1:])
    np.testing.assert_array_equal(lines[1].x, [1, 2, 3, 4, 5])
    np.testing.assert_allclose(lines[1].y, jac)
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type == "log"
    mark = trace(fig, "RNN = 0")
    np.testing.assert_array_equal(mark.x, [3])
    assert mark.y[0] < 1e-3
    assert [s.y0 for s in fig.layout.shapes if s.type == "line"] == [1.0]


def test_decay_curve_and_final_value():
    curve = [0.8 ** k for k in range(51)]
    fig = decay_figure(curve, 0.8)
    np.testing.assert_allclose(fig.data[0].y, curve)
    assert "0.8^50 = 1.42725e-05" in fig.layout.annotations[0].text
    assert fig.layout.annotations[0].y == pytest.approx(math.log10(0.8 ** 50))


def test_label_colors_reuse_cell_colours_once():
    colors = label_colors({"LSTM (init)": "lstm", "LSTM (trained)": "lstm", "RNN": "rnn"})
    assert colors["LSTM (init)"] == CELL_COLORS["lstm"] and colors["RNN"] == CELL_COLORS["rnn"]
    assert colors["LSTM (trained)"] not in CELL_COLORS.values()


def test_spans_finds_runs():
    assert spans(np.array([1, 1, 0, 1, 0, 0, 1, 1], dtype=bool)) == [(0, 1), (3, 3), (6, 7)]
    assert spans(np.zeros(4, dtype=bool)) == []


def test_axes_keep_fixed_margins_and_the_projector_lets_them_grow():
    """Streamlit's theme sets automargin on; our figures turn it off (one draw per redraw, not two)."""
    from viz.style import projector
    fig = gradient_norm_figure({"RNN": decaying()}, COLORS)
    axes = [*fig.select_xaxes(), *fig.select_yaxes()]
    assert axes and all(ax.automargin is False for ax in axes)
    assert all(ax.automargin is True for ax in [*projector(fig).select_xaxes(), *projector(fig).select_yaxes()])


def test_figures_built_unvalidated_serialise_as_validated_ones(monkeypatch):
    """The app skips Plotly's validation (viz.style.VALIDATE False): same JSON, checked on figures with every kind of
    part (bands, marks of overflow, subplots, heatmaps with colour axes, shapes and annotations)."""
    from models import ProbeConfig, probe
    from viz import connectivity_figure, gate_figure, gradient_norm_figure, gradient_paths_figure, label_colors
    from viz import style

    runs = {cell: probe(ProbeConfig(cell=cell, seq_len=60, activation="linear", weight_scale=3.0))
            for cell in ("rnn", "lstm", "gru")}
    colors = label_colors({c: c for c in runs})

    def build():
        return [gradient_norm_figure({c: r.grad_h for c, r in runs.items()}, colors,
                                     grad_c={c: r.grad_c for c, r in runs.items()}, bound={c: r.bound for c, r in runs.items()}),
                gradient_paths_figure({c: r.grad_paths for c, r in runs.items()}, lang="zh"),
                connectivity_figure({c: r.grad_x for c, r in runs.items()}, colors),
                gate_figure(runs["lstm"].gates, "gates")]

    monkeypatch.setattr(style, "VALIDATE", True)
    validated = [json.loads(f.to_json()) for f in build()]
    monkeypatch.setattr(style, "VALIDATE", False)
    assert [json.loads(f.to_json()) for f in build()] == validated  # equal up to the order of keys
