"""Bidirectional modules (models/directions.py) against the float64 step-by-step reference: every layer and
direction's ||dL/dh_t||, dL/dc_t, dL/dx_t and the per-step pieces of dL/dW_hh, on the original time axis."""
import numpy as np
import pytest
import torch

from models import ProbeConfig
from models.directions import default_final_state_readout, probe_directions
from tests.reference import reference_module

CLASSES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def close(a, b, name, rtol=1e-8):
    np.testing.assert_allclose(np.asarray(a), b.numpy(), rtol=rtol, atol=1e-13, err_msg=name)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "lstm_proj"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("loss", ["final_states", "sequence"])
def test_both_directions_match_reference(cell, layers, loss):
    gen = torch.Generator().manual_seed(layers)
    torch.manual_seed(3)
    kwargs = {"proj_size": 3} if cell == "lstm_proj" else {}
    model = CLASSES[cell.removesuffix("_proj")](2, 5, num_layers=layers, bidirectional=True, **kwargs).double()
    P, T, B = 3 if kwargs else 5, 8, 2
    x = torch.randn(T, B, 2, generator=gen, dtype=torch.float64)
    cfg = ProbeConfig(seed=4)
    if loss == "sequence":
        e_out, e_hn = torch.randn(T, B, 2 * P, generator=gen, dtype=torch.float64), None
    else:
        e_out, e_hn = None, default_final_state_readout(cfg, P, layers, B, torch.float64)
    results = probe_directions(cfg, model, x, e_out=e_out, e_hn=e_hn)
    ref = reference_module(model, x, lambda out, h_n, c_n: (0 if e_out is None else (out * e_out).sum())
                           + (0 if e_hn is None else (h_n * e_hn).sum()))
    with torch.no_grad():
        out, _ = model(x)
    for d, name in enumerate(("forward", "reverse")):
        r = results[name]
        close(r.grad_h_layers, torch.stack([ref["grad_h"][k, d] for k in range(layers)]), f"{name} grad_h_layers")
        close(r.grad_h, ref["grad_h"][layers - 1, d], f"{name} grad_h")
        close(r.grad_x, ref["grad_x"], f"{name} grad_x")
        close(r.hidden, out[..., d * P:(d + 1) * P].transpose(0, 1), f"{name} hidden")
        if cell.startswith("lstm"):
            close(r.grad_c, ref["grad_c"][layers - 1, d], f"{name} grad_c")
        assert r.jacobian_norm.shape == (T,) and np.isfinite(r.jacobian_norm).all()
    # the reverse direction's gradient enters at t = 1 when the loss reads only h_n: it flows forward in time
    if loss == "final_states":
        assert results["reverse"].grad_h[:, 0].min() > 0 and results["forward"].grad_h[:, -1].min() > 0
    # per-step pieces of dL/dW_hh (layer 0) sum to autograd's gradient, for each direction
    model.zero_grad()
    out, h_n = model(x)
    h_n = h_n[0] if isinstance(h_n, tuple) else h_n
    ((0 if e_out is None else (out * e_out).sum()) + (0 if e_hn is None else (h_n * e_hn).sum())).backward()
    torch.testing.assert_close(results["forward"].w_hh_contributions().sum(0), model.weight_hh_l0.grad)
    torch.testing.assert_close(results["reverse"].w_hh_contributions().sum(0), model.weight_hh_l0_reverse.grad)


def test_unidirectional_modules_are_refused_with_the_way_out():
    with pytest.raises(ValueError, match="needs a bidirectional module"):
        probe_directions(ProbeConfig(), torch.nn.LSTM(2, 3))
    from models import probe
    with pytest.raises(ValueError, match="probe_directions"):
        probe(ProbeConfig(), model=torch.nn.GRU(2, 3, bidirectional=True))
