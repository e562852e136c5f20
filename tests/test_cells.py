"""Cells keep PyTorch's layout; initialisation does what its docstring says; the tutorial's counts."""
import pytest
import torch

from models import ElementwiseRNN, ProbeConfig, build_model, parameter_count, seed_parameter_count
from models.config import GATE_NAMES


@pytest.mark.parametrize("cell,activation,cls", [
    ("rnn", "tanh", torch.nn.RNN), ("rnn", "relu", torch.nn.RNN), ("rnn", "sigmoid", ElementwiseRNN),
    ("rnn", "linear", ElementwiseRNN), ("lstm", "tanh", torch.nn.LSTM), ("gru", "tanh", torch.nn.GRU)])
@pytest.mark.parametrize("layers", [1, 3])
def test_build_model_class_and_layout(cell, activation, cls, layers):
    cfg = ProbeConfig(cell=cell, activation=activation, num_layers=layers, hidden_size=5, input_size=3)
    model = build_model(cfg)
    assert type(model) is cls
    G = len(GATE_NAMES[cell])
    for k in range(layers):
        assert model.get_parameter(f"weight_ih_l{k}").shape == (G * 5, 3 if k == 0 else 5)
        assert model.get_parameter(f"weight_hh_l{k}").shape == (G * 5, 5)
        assert model.get_parameter(f"bias_hh_l{k}").shape == (G * 5,)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_state_dict_round_trip_with_plain_torch(activation):
    """ElementwiseRNN <-> nn.RNN: same keys, same shapes, same outputs for tanh/relu."""
    torch.manual_seed(0)
    plain = torch.nn.RNN(3, 4, num_layers=2, nonlinearity=activation)
    ours = ElementwiseRNN(3, 4, num_layers=2, nonlinearity=activation)
    ours.load_state_dict(plain.state_dict())
    x = torch.randn(6, 2, 3)
    torch.testing.assert_close(ours(x)[0], plain(x)[0])
    plain2 = torch.nn.RNN(3, 4, num_layers=2, nonlinearity=activation)
    plain2.load_state_dict(ours.state_dict())
    torch.testing.assert_close(plain2(x)[0], plain(x)[0])


@pytest.mark.parametrize("activation", ["sigmoid", "linear"])
def test_sigmoid_linear_state_dict_loads_into_plain_rnn(activation):
    ours = build_model(ProbeConfig(cell="rnn", activation=activation, hidden_size=4, input_size=2))
    plain = torch.nn.RNN(2, 4)
    plain.load_state_dict(ours.state_dict())
    x = torch.randn(5, 3, 2)
    phi = {"sigmoid": torch.sigmoid, "linear": lambda a: a}[activation]
    h = torch.zeros(3, 4)
    for t in range(5):  # the documented recurrence, with the activation swapped
        h = phi(x[t] @ plain.weight_ih_l0.T + plain.bias_ih_l0 + h @ plain.weight_hh_l0.T + plain.bias_hh_l0)
    torch.testing.assert_close(ours(x)[0][-1], h)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("init", ["orthogonal", "identity"])
def test_every_recurrent_block_has_spectral_norm_weight_scale(cell, init):
    cfg = ProbeConfig(cell=cell, init=init, weight_scale=1.7, hidden_size=9, num_layers=2)
    model = build_model(cfg)
    for k in range(2):
        for block in model.get_parameter(f"weight_hh_l{k}").detach().double().chunk(len(GATE_NAMES[cell])):
            assert torch.linalg.matrix_norm(block, 2).item() == pytest.approx(1.7, rel=1e-6)


def test_forget_bias_and_determinism():
    cfg = ProbeConfig(cell="lstm", forget_bias=2.0, hidden_size=3)
    m = build_model(cfg)
    total = (m.bias_ih_l0 + m.bias_hh_l0).detach()
    assert torch.all(total[3:6] == 2.0) and torch.all(total[:3] == 0) and torch.all(total[6:] == 0)
    m2 = build_model(cfg)
    for a, b in zip(m.parameters(), m2.parameters()):
        assert torch.equal(a, b)
    assert not torch.equal(m.weight_hh_l0, build_model(cfg.replace(seed=1)).weight_hh_l0)


def test_building_does_not_touch_global_rng():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    build_model(ProbeConfig(cell="gru"))
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("m,n", [(1, 1), (10, 20), (128, 64)])
def test_lstm_parameter_counts_match_the_seed_and_pytorch(m, n):
    """“从 RNN 到 LSTM”: 4(n(m+n)+n). PyTorch keeps b_ih and b_hh: 4(n(m+n)+2n)."""
    assert seed_parameter_count("lstm", m, n) == 4 * (n * (m + n) + n)
    assert parameter_count(torch.nn.LSTM(m, n)) == 4 * (n * (m + n) + 2 * n)
    assert parameter_count(build_model(ProbeConfig(cell="lstm", input_size=m, hidden_size=n))) == 4 * (n * (m + n) + 2 * n)
    assert parameter_count(torch.nn.GRU(m, n)) == 3 * (n * (m + n) + 2 * n)
