"""viz.phase: the diagram's numbers against hand-made tables, and what the figure draws."""
import math

import numpy as np
import pandas as pd
import pytest

from viz.phase import COLOUR_DECADES, phase_figure, phase_grids


def table(rows):
    """rows: (cell, weight_scale, seq_len, seed, log10_grad_first, horizon, gamma_w_norm, nonfinite)."""
    cols = ["cell", "weight_scale", "seq_len", "seed", "log10_grad_first", "horizon", "gamma_w_norm", "nonfinite"]
    df = pd.DataFrame(rows, columns=cols)
    df["decay_per_step"] = 0.1
    df["forget_bias"], df["init"] = 1.0, "orthogonal"
    return df


ROWS = [  # an RNN on x = 0.5, 1.0, 2.0 and T = 10, 20, two seeds
    ("rnn", x, T, seed, g, h, gw, nf)
    for (x, T, g, h, gw, nf) in [(0.5, 10, -3.0, 8, 0.8, -1), (1.0, 10, -1.0, 10, 1.2, -1), (2.0, 10, 2.0, 10, 2.4, -1),
                                 (0.5, 20, -9.0, 8, 0.8, -1), (1.0, 20, -2.0, 20, 1.2, -1), (2.0, 20, 5.0, 20, 2.4, 17)]
    for seed in (0, 1)
]


def test_grids_average_seeds_and_find_where_gamma_w_norm_crosses_one():
    rows = [r if not (r[3] == 1 and r[1] == 0.5 and r[2] == 10) else r[:4] + (-5.0,) + r[5:] for r in ROWS]
    g = phase_grids(table(rows), ["rnn"], y="seq_len", colour="log10_grad_first")["cells"]["rnn"]
    assert g["x"] == [0.5, 1.0, 2.0] and g["y"] == [10, 20] and g["seeds"] == 2
    assert g["z"] == [[-4.0, -1.0, 2.0], [-9.0, -2.0, 5.0]]  # (-3 + -5) / 2 at (0.5, 10)
    assert g["overflow"] == [[False, False, False], [False, False, True]]
    # gamma ||W_hh|| goes 0.8 -> 1.2 between x = 0.5 and 1.0: it is 1 halfway, at 0.75
    assert g["line"] == [[pytest.approx(0.75), 0], [pytest.approx(0.75), 1]]


def test_no_line_when_gamma_w_norm_stays_below_one_and_horizon_colour():
    rows = [r[:6] + (r[6] / 4,) + r[7:] for r in ROWS]  # a sigmoid RNN: gamma = 1/4
    grids = phase_grids(table(rows), ["rnn"], y="seq_len", colour="horizon")
    assert grids["cells"]["rnn"]["line"] == []
    assert grids["cells"]["rnn"]["z"] == [[8.0, 10.0, 10.0], [8.0, 20.0, 20.0]]
    fig = phase_figure(grids)
    assert [t.name for t in fig.data if getattr(t, "mode", None) == "lines"] == []


def test_figure_one_heatmap_per_cell_clicks_carry_the_configuration_and_underflow_is_the_floor():
    lstm = [("lstm",) + r[1:4] + (-float("inf") if r[1] == 0.5 and r[2] == 20 else r[4] - 40,) + r[5:6] + (math.nan, -1)
            for r in ROWS]
    grids = phase_grids(table(ROWS + lstm), ["rnn", "lstm"], y="seq_len", colour="log10_grad_first")
    fig = phase_figure(grids)
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert [t.name for t in heatmaps] == ["RNN", "LSTM"]
    rnn_z, lstm_z = (np.array(t.z, dtype=float) for t in heatmaps)
    assert np.isnan(rnn_z[1, 2])  # overflowed: grey, marked x
    assert any(t.name == "overflow (inf/NaN)" for t in fig.data)
    lo = fig.layout.coloraxis.cmin
    assert lo == -COLOUR_DECADES and lstm_z[1, 0] == lo  # -inf (exactly 0) at the clipped floor
    assert lstm_z[0, 0] == -43.0  # below the floor too, but kept: the colour axis clips it
    clicks = [t for t in fig.data if t.type == "scatter" and t.meta in ("rnn", "lstm")]
    assert [list(c) for c in clicks[1].customdata[:3]] == [["lstm", 0.5, 10.0], ["lstm", 1.0, 10.0], ["lstm", 2.0, 10.0]]
    assert "value is 0" in clicks[1].text[3]  # row T = 20, x = 0.5
    line = [t for t in fig.data if getattr(t, "mode", None) == "lines"]
    assert len(line) == 1 and line[0].xaxis == "x"  # the RNN's subplot only
    assert line[0].x[1] == pytest.approx(0.5)  # x = 0.75 halfway between columns 0 (0.5) and 1 (1.0)
    assert fig.layout.coloraxis.colorbar.ticktext[0].startswith("≤")


def test_chinese_words_inside_the_figure():
    fig = phase_figure(phase_grids(table(ROWS), ["rnn"], y="seq_len", colour="horizon"), lang="zh")
    assert fig.layout.yaxis.title.text == "序列长度 T"
    assert "视界" in fig.layout.coloraxis.colorbar.title.text
    assert "循环权重尺度" in fig.layout.xaxis.title.text


def test_unknown_axis_or_colour_is_refused():
    with pytest.raises(ValueError, match="y must be one of"):
        phase_grids(table(ROWS), ["rnn"], y="hidden_size")


def test_x_labels_are_round_scales_that_do_not_overlap():
    from viz.phase import _x_ticks
    explorer = [0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.3, 1.5, 1.75, 2.0, 2.5, 3.0]
    ticks = _x_ticks(explorer)
    assert [explorer[j] for j in ticks] == [0.15, 0.5, 1.0, 1.5, 3.0]
    assert min(b - a for a, b in zip(ticks, ticks[1:])) >= 3
    even = [round(0.5 + k * 0.05, 4) for k in range(21)]
    assert [even[j] for j in _x_ticks(even)] == [0.5, 1.0, 1.5]
