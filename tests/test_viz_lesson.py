"""viz.lesson's figures as drawn data: chapter 8's comparison keeps every curve on its log axis."""
import numpy as np

from models.lesson import REPORTED_ADDING_T100
from viz.lesson import loss_range, training_comparison_figure


def test_chapter_8_y_range_follows_a_curve_below_the_default_floor():
    steps = np.arange(1, 1201)
    gru = 0.17 * np.exp(-steps / 120.0) + 2e-4  # falls to about 2e-4, under the old fixed floor 10^-2.5 ~ 0.0032
    fig = training_comparison_figure({"rnn": np.full(1200, 0.17), "gru": gru}, 1 / 6, REPORTED_ADDING_T100, "t")
    low, high = fig.layout.yaxis.range
    drawn = np.concatenate([np.asarray(t.y, dtype=float) for t in fig.data])
    assert 10.0 ** low <= np.nanmin(drawn) and 10.0 ** high >= np.nanmax(drawn)
    assert low <= np.log10(2e-4) and high >= 0.3


def test_range_keeps_the_papers_frame_when_the_curves_fit_in_it():
    fig = training_comparison_figure({"lstm": np.full(50, 0.1)}, 1 / 6, REPORTED_ADDING_T100, "t")
    assert list(fig.layout.yaxis.range) == [-2.5, 0.3]
    assert loss_range([]) == [-2.5, 0.3]
