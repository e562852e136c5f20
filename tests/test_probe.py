"""probe() against the step-by-step float64 reference in tests/reference.py, and against nn modules."""
import numpy as np
import pytest
import torch

from models import ProbeConfig, probe
from tests.reference import reference

RTOL = 1e-7  # float64 probe vs float64 reference


def check_against_reference(cfg, rtol=RTOL, atol=1e-12):
    r = probe(cfg)
    ref = reference(r.model, cfg.cell, cfg.activation, r.inputs, r.readout)
    close = lambda a, b, name: np.testing.assert_allclose(np.asarray(a), b.numpy(), rtol=rtol, atol=atol, err_msg=name)
    close(r.loss, ref["loss"], "loss")
    close(r.hidden, ref["hidden"], "hidden")
    close(r.grad_h, ref["grad_h"], "grad_h")
    close(r.grad_h_layers, ref["grad_h_layers"], "grad_h_layers")
    close(r.grad_h_units, ref["grad_h_units"], "grad_h_units")
    close(r.grad_x, ref["grad_x"], "grad_x")
    close(r.grad_w_steps, ref["grad_w_contrib"].flatten(1).norm(dim=1), "grad_w_steps")
    close(r.w_hh_contributions(), ref["grad_w_contrib"], "w_hh contributions")
    close(r.jacobian_norm, ref["jacobian_norm"], "jacobian_norm")
    if cfg.cell == "lstm":
        close(r.grad_c, ref["grad_c"], "grad_c")
        close(r.cell_state, ref["cell_state"], "cell_state")
    else:
        assert r.grad_c is None and r.cell_state is None
    assert r.nonfinite is None
    return r, ref


CASES = [dict(cell=c) for c in ("lstm", "gru")] + [dict(cell="rnn", activation=a) for a in ("tanh", "relu", "sigmoid", "linear")]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c.values()))
@pytest.mark.parametrize("init", ["orthogonal", "identity", "gaussian", "pytorch"])
def test_every_cell_activation_init_matches_reference(case, init):
    scale = 0.9 if case.get("activation") in ("relu", "linear") else 1.1
    cfg = ProbeConfig(**case, init=init, seq_len=13, hidden_size=6, input_size=3, batch_size=3,
                      weight_scale=scale, forget_bias=0.5, seed=3, dtype="float64")
    check_against_reference(cfg)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_two_layers(cell):
    check_against_reference(ProbeConfig(cell=cell, num_layers=2, seq_len=9, hidden_size=5, input_size=2,
                                        batch_size=2, seed=1, dtype="float64"))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("T,H", [(1, 4), (7, 1), (1, 1)])
def test_tiny_shapes(cell, T, H):
    check_against_reference(ProbeConfig(cell=cell, seq_len=T, hidden_size=H, batch_size=2, dtype="float64"))


def test_grad_w_steps_sum_to_autograd_weight_grad():
    """sum_t C_t = dL/dW_hh_l0 as autograd computes it on the plain nn.LSTM."""
    cfg = ProbeConfig(cell="lstm", seq_len=20, hidden_size=7, batch_size=4, dtype="float64")
    r = probe(cfg)
    out, _ = r.model(r.inputs)
    (out[-1] @ r.readout).sum().backward()
    torch.testing.assert_close(r.w_hh_contributions().sum(0), r.model.weight_hh_l0.grad, rtol=1e-9, atol=1e-12)


def test_float32_probe_close_to_float64_reference():
    cfg = ProbeConfig(cell="gru", seq_len=40, hidden_size=16, batch_size=4, seed=5)
    r = probe(cfg)
    ref = reference(r.model, "gru", "tanh", r.inputs, r.readout)
    np.testing.assert_allclose(r.grad_h, ref["grad_h"].numpy(), rtol=2e-4, atol=1e-10)
    np.testing.assert_allclose(r.jacobian_norm, ref["jacobian_norm"].numpy(), rtol=1e-4)


def test_user_model_and_inputs():
    """A user's nn.LSTM with its own inputs; the probe takes sizes from them."""
    torch.manual_seed(0)
    model = torch.nn.LSTM(3, 5, num_layers=2).double()
    x = torch.randn(11, 2, 3, dtype=torch.float64)
    r = probe(ProbeConfig(), model=model, inputs=x)
    assert (r.config.hidden_size, r.config.num_layers, r.config.seq_len, r.config.batch_size) == (5, 2, 11, 2)
    ref = reference(model, "lstm", "tanh", x, r.readout)
    np.testing.assert_allclose(r.grad_h_layers, ref["grad_h_layers"].numpy(), rtol=1e-8)
    np.testing.assert_allclose(r.grad_x, ref["grad_x"].numpy(), rtol=1e-8)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_per_sample_readout(cell):
    """readout (B, H): L_b = v_b . h_T^(b), e.g. a task loss's dL_b/dh_T."""
    cfg = ProbeConfig(cell=cell, num_layers=2, seq_len=8, hidden_size=4, batch_size=3, dtype="float64")
    v = torch.randn(3, 4, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    r = probe(cfg, readout=v)
    ref = reference(r.model, cell, "tanh", r.inputs, v)
    np.testing.assert_allclose(r.grad_h_layers, ref["grad_h_layers"].numpy(), rtol=1e-9)
    np.testing.assert_allclose(r.grad_h[:, -1], v.norm(dim=1).numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="readout must have shape"):
        probe(cfg, readout=torch.ones(5))


def test_grad_at_last_step_is_one_and_vanishing_rnn_decays():
    r = probe(ProbeConfig(cell="rnn", activation="tanh", weight_scale=0.9, seq_len=100, hidden_size=16))
    np.testing.assert_allclose(r.grad_h[:, -1], 1.0, rtol=1e-6)
    assert (r.grad_h[:, 0] < 1e-4).all()
    assert np.all(r.grad_h.mean(0) <= r.bound * (1 + 1e-5))  # ||dL/dh_t|| <= (gamma ||W||)^(T-t)


def test_bound_formula():
    r = probe(ProbeConfig(cell="rnn", activation="sigmoid", weight_scale=2.0, seq_len=5, hidden_size=3))
    np.testing.assert_allclose(r.bound, (0.25 * 2.0) ** np.arange(4, -1, -1), rtol=1e-6)
    assert probe(ProbeConfig(cell="gru", seq_len=5)).bound is None


def test_exploding_reports_nonfinite_without_crashing():
    r = probe(ProbeConfig(cell="rnn", activation="linear", weight_scale=1.5, seq_len=400, hidden_size=8,
                          input_scale=1.0))
    assert r.nonfinite_stage == "forward"
    first_bad = int(np.argmax(~np.isfinite(r.hidden).all(axis=(0, 2))))
    assert r.nonfinite == first_bad and 0 < first_bad < 400
    import json
    json.dumps(r.to_dict(), allow_nan=False)  # strict JSON even with overflow


def test_exploding_backward_only():
    """relu RNN: forward stays finite (bounded by relu of moderate inputs), gradient overflows going back."""
    r = probe(ProbeConfig(cell="rnn", activation="linear", init="identity", weight_scale=3.0, seq_len=120,
                          hidden_size=2, input_scale=0.0, batch_size=1))
    assert r.nonfinite_stage == "backward"
    assert not np.isfinite(r.grad_h[0, r.nonfinite]) and np.isfinite(r.grad_h[0, r.nonfinite + 1])


def test_deterministic():
    cfg = ProbeConfig(cell="lstm", seq_len=30, hidden_size=8)
    a, b = probe(cfg), probe(cfg)
    for name in ("grad_h", "grad_c", "grad_x", "grad_w_steps", "jacobian_norm"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_same_inputs_for_every_cell():
    xs = [probe(ProbeConfig(cell=c, seq_len=10)).inputs for c in ("rnn", "lstm", "gru")]
    assert torch.equal(xs[0], xs[1]) and torch.equal(xs[1], xs[2])


def test_float32_norms_do_not_underflow_where_units_are_nonzero():
    """A float32 sum of squares of 1e-23 is 0; the reported norm must still be the true norm."""
    r = probe(ProbeConfig(cell="rnn", activation="sigmoid", seq_len=100))
    units = r.grad_h_units.astype(np.float64)
    tiny = (units.max(-1) > 0) & (units.max(-1) < 1e-19)
    assert tiny.any()  # the case this test is about does occur
    np.testing.assert_allclose(r.grad_h, np.sqrt((units**2).sum(-1)), rtol=1e-6, atol=0)
