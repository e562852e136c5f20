"""grad_paths / grad_highway (models/paths.py) against the independent reference in tests/reference_paths.py."""
import json

import numpy as np
import pytest

from models import ProbeConfig, probe
from models.paths import PATH_NAMES
from tests.reference_paths import reference_paths

RTOL, ATOL = 1e-9, 1e-13  # float64 probe vs float64 reference


def check(cfg):
    r = probe(cfg, keep_path_vectors=True)
    ref = reference_paths(r.model, cfg.cell, cfg.activation, r.inputs, r.readout)
    assert len(r.path_vectors) == len(ref) == cfg.num_layers
    for k, (mine, theirs) in enumerate(zip(r.path_vectors, ref)):
        top = k == cfg.num_layers - 1
        assert list(mine) == list(PATH_NAMES[cfg.cell]) + ([] if top else ["from_above"])
        assert list(theirs["paths"]) == list(mine)
        for name, vec in mine.items():  # each path's vectors, not only norms
            np.testing.assert_allclose(vec, theirs["paths"][name].numpy(), rtol=RTOL, atol=ATOL, err_msg=f"{k} {name}")
            np.testing.assert_allclose(r.grad_paths_layers[k][name], theirs["paths"][name].norm(dim=-1).numpy(),
                                       rtol=RTOL, atol=ATOL, err_msg=f"norm {k} {name}")
        # the parts of step t add up to autograd's dL/dc_{t-1} (LSTM) or dL/dh_{t-1}
        np.testing.assert_allclose(sum(mine.values()), theirs["total"].numpy(), rtol=RTOL, atol=ATOL)
        assert not np.any(theirs["total"][:, 1:].numpy() == 0)  # the check is not vacuous
    assert r.grad_paths.keys() == r.grad_paths_layers[-1].keys()
    if cfg.cell == "rnn":
        assert r.grad_highway is None
    else:
        np.testing.assert_allclose(r.grad_highway, ref[-1]["highway"].numpy(), rtol=RTOL, atol=ATOL)
    return r


@pytest.mark.parametrize("cell,activation", [("lstm", "tanh"), ("gru", "tanh"), ("rnn", "tanh"), ("rnn", "relu"),
                                             ("rnn", "sigmoid")])
def test_paths_match_reference(cell, activation):
    check(ProbeConfig(cell=cell, activation=activation, seq_len=9, hidden_size=5, input_size=3, batch_size=3,
                      weight_scale=1.1, init="gaussian", seed=4, dtype="float64"))


@pytest.mark.parametrize("forget_bias", [-2.0, 0.0, 3.0])
def test_lstm_paths_for_forget_biases(forget_bias):
    check(ProbeConfig(cell="lstm", forget_bias=forget_bias, seq_len=12, hidden_size=4, batch_size=2, seed=2,
                      dtype="float64"))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_two_layers_have_from_above(cell):
    r = check(ProbeConfig(cell=cell, num_layers=2, seq_len=8, hidden_size=4, input_size=2, batch_size=2, seed=1,
                          dtype="float64"))
    assert np.all(r.grad_paths_layers[0]["from_above"][:, 1:] > 0)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("T,H", [(1, 3), (6, 1)])
def test_tiny_shapes(cell, T, H):
    r = check(ProbeConfig(cell=cell, seq_len=T, hidden_size=H, batch_size=2, dtype="float64"))
    assert all(np.all(a[:, 0] == 0) for a in r.grad_paths.values())  # no step before t = 1


def test_lstm_forget_bias_moves_the_gradient_onto_the_direct_path():
    """Measured, not assumed: the share of B_t = f_t g^c_t at t = 1 (its norm over the sum of the paths'
    norms) grows with the forget bias; at bias -2 the candidate path D_t carries more than B_t, and the
    gradient reaching t = 1 is 40 decades smaller."""
    shares, sizes = {}, {}
    for bias in (-2.0, 1.0, 3.0):
        p = probe(ProbeConfig(cell="lstm", forget_bias=bias, seq_len=100, dtype="float64")).grad_paths
        total = sum(a[:, 1] for a in p.values())
        shares[bias] = {name: float(np.mean(a[:, 1] / total)) for name, a in p.items()}
        sizes[bias] = float(np.mean(total))
    direct = {bias: s["forget_direct"] for bias, s in shares.items()}
    assert direct[-2.0] < direct[1.0] < direct[3.0]
    assert shares[-2.0]["candidate"] > shares[-2.0]["forget_direct"]
    assert sizes[3.0] > 1e40 * sizes[-2.0]


def test_float32_paths_match_float64():
    cfg = ProbeConfig(cell="lstm", seq_len=60, hidden_size=16, seed=5)
    r32, r64 = probe(cfg), probe(cfg.replace(dtype="float64"))
    for name in r64.grad_paths:
        np.testing.assert_allclose(r32.grad_paths[name], r64.grad_paths[name], rtol=2e-4, atol=1e-30)
    np.testing.assert_allclose(r32.grad_highway, r64.grad_highway, rtol=2e-4)


def test_overflowing_run_reports_and_does_not_crash():
    r = probe(ProbeConfig(cell="gru", seq_len=300, weight_scale=10.0, input_scale=100.0, init="gaussian"))
    r2 = probe(ProbeConfig(cell="rnn", activation="linear", weight_scale=3.0, seq_len=1000))
    assert r2.nonfinite is not None
    assert all(a.shape == (8, 1000) for a in r2.grad_paths.values())
    assert not np.all(np.isfinite(r2.grad_paths["recurrent"]))
    json.dumps(r2.to_dict(), allow_nan=False)  # non-finite values become null
    assert r.grad_paths["copy"].shape == (8, 300)


def test_highway_is_the_explicit_product():
    """grad_highway[:, t] = || f_{t+1} * ... * f_T * dL/dc_T ||, with dL/dc_T = v * o_T * (1 - tanh^2 c_T), in a plain loop."""
    r = probe(ProbeConfig(cell="lstm", seq_len=30, hidden_size=6, forget_bias=2.0, dtype="float64"))
    f, o, c = r.gates["forget"], r.gates["output"], r.cell_state  # (B, T, H)
    chain = r.readout.numpy() * o[:, -1] * (1 - np.tanh(c[:, -1]) ** 2)  # dL/dc_T, (B, H)
    for t in range(29, -1, -1):
        np.testing.assert_allclose(r.grad_highway[:, t], np.linalg.norm(chain, axis=-1), rtol=1e-12)
        chain = f[:, t] * chain
    assert r.grad_highway[:, 0].max() < 0.5 * r.grad_highway[:, -1].min()  # the product really decays


def test_gru_highway_is_the_explicit_product_of_update_gates():
    r = probe(ProbeConfig(cell="gru", seq_len=25, hidden_size=5, dtype="float64"))
    z = r.gates["update"]
    chain = np.broadcast_to(r.readout.numpy(), z[:, 0].shape)  # dL/dh_T = v
    for t in range(24, -1, -1):
        np.testing.assert_allclose(r.grad_highway[:, t], np.linalg.norm(chain, axis=-1), rtol=1e-12)
        chain = z[:, t] * chain


def test_to_dict_carries_paths_and_highway():
    d = probe(ProbeConfig(cell="lstm", seq_len=5, hidden_size=3, batch_size=2)).to_dict()
    assert set(d["grad_paths"]) == set(PATH_NAMES["lstm"])
    assert np.shape(d["grad_paths"]["forget_direct"]) == (2, 5) and np.shape(d["grad_highway"]) == (2, 5)
