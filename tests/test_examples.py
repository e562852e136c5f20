"""The tutorials' worked examples, computed by the engine."""
import pytest

from models.examples import decay_example, parameter_counts, toy_rnn_example


def test_toy_rnn_outputs_are_the_seeds():
    """“史上最详细循环神经网络讲解”: weights all 1, linear, inputs [1,1],[1,1],[2,2] -> outputs [4,4],[12,12],[32,32]."""
    ex = toy_rnn_example()
    assert ex["hidden"] == [[2, 2], [6, 6], [16, 16]]
    assert ex["outputs"] == [[4, 4], [12, 12], [32, 32]]


def test_decay_is_point_eight_to_the_fiftieth():
    """“从 RNN 到 LSTM”: 0.8^50 = 0.00001427247; here as a gradient that travelled 50 steps."""
    ex = decay_example(0.8, 50)
    assert ex["final"] == pytest.approx(0.00001427247, rel=1e-6)
    assert ex["curve"][0] == pytest.approx(1.0)
    assert ex["curve"][10] == pytest.approx(0.8**10, rel=1e-12)


def test_parameter_counts_differ_by_one_bias_per_gate():
    c = parameter_counts("lstm", 10, 20)
    assert c == {"seed": 4 * (20 * 30 + 20), "pytorch": 4 * (20 * 30 + 40), "difference": 80}
