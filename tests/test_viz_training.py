"""Training figures: the plotted numbers are the inputs, reduced as documented, in the cells' colours."""
import numpy as np
import pytest

from viz.style import CELL_COLORS
from viz.training import (grad_norm_figure, gradient_flow_training_figure, loss_figure, metric_figure,
                          reduce_steps)


def test_short_curves_are_plotted_as_they_are():
    x, y = reduce_steps([3.0, 2.0, 1.0], max_points=10)
    np.testing.assert_array_equal(x, [1, 2, 3])
    np.testing.assert_array_equal(y, [3, 2, 1])


def test_long_curves_are_block_means_or_maxima():
    rng = np.random.default_rng(0)
    v = rng.random(1000)
    x, y = reduce_steps(v, max_points=100)
    np.testing.assert_allclose(y, v.reshape(100, 10).mean(1))
    np.testing.assert_allclose(x, np.arange(1, 1001).reshape(100, 10).mean(1))
    _, y_max = reduce_steps(v, max_points=100, how="max")
    np.testing.assert_allclose(y_max, v.reshape(100, 10).max(1))


def test_non_finite_steps_are_left_out_of_their_block():
    v = np.array([1.0, np.inf, 3.0, np.nan, np.nan, np.nan])
    _, y = reduce_steps(v, max_points=2)
    assert y[0] == pytest.approx(2.0) and np.isnan(y[1])


def test_loss_figure_has_one_line_per_cell_in_its_colour_and_the_baseline():
    loss = {"rnn": np.full(50, 0.17), "lstm": np.linspace(0.2, 0.01, 50)}
    fig = loss_figure(loss, baseline=1 / 6)
    assert [t.name for t in fig.data] == ["RNN", "LSTM"]
    assert [t.line.color for t in fig.data] == [CELL_COLORS["rnn"], CELL_COLORS["lstm"]]
    np.testing.assert_allclose(fig.data[1].y, loss["lstm"])
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.shapes[0].y0 == pytest.approx(1 / 6)


def test_metric_figure_marks_chance():
    fig = metric_figure({"gru": np.linspace(0, 1, 20)}, "accuracy", chance=0.125)
    assert fig.layout.shapes[0].y0 == pytest.approx(0.125) and fig.layout.yaxis.type == "linear"


def test_grad_norm_figure_keeps_spikes_and_shows_clip_and_divergence():
    g = np.ones(600)
    g[301] = 1e6  # one exploding step
    fig = grad_norm_figure({"rnn": g}, clip_value=1.0, diverged={"rnn": 450})
    assert np.nanmax(fig.data[0].y) == 1e6
    ys = sorted(s.y0 for s in fig.layout.shapes if s.y0 is not None and s.x0 in (0, None))
    assert 1.0 in ys
    assert any(s.x0 == 450 for s in fig.layout.shapes)


def test_gradient_flow_heatmap_is_log10_on_one_shared_scale():
    steps = np.array([0, 25, 50])
    lstm = np.array([[1e-3, 1e-2, 1.0], [1e-2, 1e-1, 1.0], [1e-1, 1.0, 10.0]])
    rnn = np.array([[1e-6, 1e-3, 1.0], [0.0, 1e-4, 1.0], [1e-8, 1e-4, 1.0]])
    fig = gradient_flow_training_figure({"rnn": (steps, rnn), "lstm": (steps, lstm)})
    np.testing.assert_array_equal(fig.data[1].z, np.log10(lstm))
    z = np.asarray(fig.data[0].z, dtype=float)
    assert np.isnan(z[1, 0]) and z[2, 0] == pytest.approx(-8)
    np.testing.assert_array_equal(fig.data[0].x, [1, 2, 3])
    np.testing.assert_array_equal(fig.data[0].y, steps)
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (-8, 1)
    assert "1 zero" in fig.layout.annotations[0].text


def test_gradient_flow_heatmap_averages_rows_of_long_runs():
    steps = np.arange(0, 400, 1)
    grads = np.random.default_rng(1).random((400, 5)) + 0.1
    fig = gradient_flow_training_figure({"gru": (steps, grads)}, max_rows=100)
    np.testing.assert_allclose(fig.data[0].z, np.log10(grads.reshape(100, 4, 5).mean(1)))
    np.testing.assert_allclose(fig.data[0].y, steps.reshape(100, 4).mean(1))


def test_empty_run_draws_empty_figures():
    fig = gradient_flow_training_figure({"lstm": (np.array([]), np.zeros((0, 10)))})
    assert len(fig.data) == 1
    assert len(loss_figure({"lstm": np.array([])}).data) == 1
