"""LSTM with proj_size (h_t = W_hr (o_t tanh c_t)) and sequence-to-sequence readouts e (T, B, P), against the
float64 step-by-step reference of PyTorch's documented equations (tests/reference.py)."""
import numpy as np
import pytest
import torch

from models import ProbeConfig, probe
from models.probe import backprop_layers
from tests.reference import reference_module, step_proj

GEN = torch.Generator().manual_seed(11)


def lstm_proj(layers=2, I=3, H=6, P=4):
    torch.manual_seed(4)
    return torch.nn.LSTM(I, H, num_layers=layers, proj_size=P).double()


def close(a, b, name, rtol=1e-8):
    np.testing.assert_allclose(np.asarray(a), b.numpy(), rtol=rtol, atol=1e-13, err_msg=name)


@pytest.mark.parametrize("readout_shape", ["vector", "per_sample", "sequence"])
def test_projected_lstm_matches_reference(readout_shape):
    model, T, B, P = lstm_proj(), 9, 3, 4
    x = torch.randn(T, B, 3, generator=GEN, dtype=torch.float64)
    v = {"vector": torch.randn(P, generator=GEN, dtype=torch.float64),
         "per_sample": torch.randn(B, P, generator=GEN, dtype=torch.float64),
         "sequence": torch.randn(T, B, P, generator=GEN, dtype=torch.float64)}[readout_shape]
    r = probe(ProbeConfig(), model=model, inputs=x, readout=v)
    e = v if v.dim() == 3 else torch.zeros(T, B, P, dtype=torch.float64).index_put_((torch.tensor([T - 1]),), v.expand(B, P))
    ref = reference_module(model, x, lambda out, h_n, c_n: (out * e).sum())
    with torch.no_grad():
        out, _ = model(x)
    close(r.hidden, out.transpose(0, 1), "hidden")
    close(r.grad_h_layers, torch.stack([ref["grad_h"][k, 0] for k in range(2)]), "grad_h_layers")
    close(r.grad_c, ref["grad_c"][1, 0], "grad_c")
    close(r.grad_x, ref["grad_x"], "grad_x")
    assert r.grad_h_units.shape == (B, T, P) and r.gates["forget"].shape == (B, T, 6)
    # sum_t C_t = dL/dW_hh_l0 as autograd computes it on the plain module
    model.zero_grad()
    out, _ = model(x)
    (out * e).sum().backward()
    torch.testing.assert_close(r.w_hh_contributions().sum(0), model.weight_hh_l0.grad, rtol=1e-9, atol=1e-12)


def test_projected_jacobian_norm_matches_autograd():
    model, T, B = lstm_proj(layers=1), 5, 2
    x = torch.randn(T, B, 3, generator=GEN, dtype=torch.float64)
    r = probe(ProbeConfig(), model=model, inputs=x)
    w = {n: t.detach() for n, t in model.named_parameters()}
    with torch.no_grad():
        out, _ = model(x)
    expected, c = [], torch.zeros(B, 6, dtype=torch.float64)
    for t in range(T):
        h_prev = torch.zeros(B, 4, dtype=torch.float64) if t == 0 else out[t - 1]
        norms = []
        for b in range(B):
            f = lambda hp: step_proj("lstm", "tanh", x[t, b:b + 1], hp, c[b:b + 1], w, "_l0")[0][0]
            norms.append(torch.linalg.matrix_norm(torch.autograd.functional.jacobian(f, h_prev[b:b + 1])[:, 0], 2))
        expected.append(torch.stack(norms).mean())
        c = step_proj("lstm", "tanh", x[t], h_prev, c, w, "_l0")[1]
    close(r.jacobian_norm, torch.stack(expected), "jacobian_norm", rtol=1e-9)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "lstm_proj"])
def test_backprop_layers_with_every_layer_and_the_final_cell_state_read(cell):
    """e_h on both layers plus (LSTM) dL/dc_T: what a loss reading out, h_n and c_n sends in."""
    torch.manual_seed(2)
    model = {"rnn": lambda: torch.nn.RNN(3, 5, 2), "lstm": lambda: torch.nn.LSTM(3, 5, 2),
             "gru": lambda: torch.nn.GRU(3, 5, 2), "lstm_proj": lambda: torch.nn.LSTM(3, 5, 2, proj_size=2)}[cell]().double()
    P = 2 if cell == "lstm_proj" else 5
    T, B = 7, 2
    x = torch.randn(T, B, 3, generator=GEN, dtype=torch.float64)
    e_out = torch.randn(T, B, P, generator=GEN, dtype=torch.float64)
    w_hn = torch.randn(2, B, P, generator=GEN, dtype=torch.float64)
    w_cn = torch.randn(2, B, 5, generator=GEN, dtype=torch.float64)
    lstm = cell.startswith("lstm")

    def loss_fn(out, h_n, c_n):
        return (out * e_out).sum() + (h_n * w_hn).sum() + ((c_n * w_cn).sum() if lstm else 0)
    ref = reference_module(model, x, loss_fn)
    e_h = []
    for k in range(2):
        e = torch.zeros(T, B, P, dtype=torch.float64)
        e[-1] += w_hn[k]
        e_h.append(e + e_out if k == 1 else e)
    grads = backprop_layers(model, x, e_h, [w_cn[0], w_cn[1]] if lstm else None)
    for k in range(2):
        close(grads[k].norm(dim=-1).T, ref["grad_h"][k, 0], f"layer {k}")
