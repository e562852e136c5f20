"""Which path carries the gradient back one step: the seeds' split of dL/dc_{t-1} and dL/dh_{t-1}.

Seed 003's central equation: the LSTM's cell-state gradient is additive,
dc_t/dc_{t-1} = A_t + B_t + C_t + D_t with B_t = f_t, where a vanilla RNN has one factor per step.
With g^c_t = dL/dc_t and g^h_t = dL/dh_t (total derivatives, models.recurrence.Backward) and
m_{t-1} = o_{t-1} * (1 - tanh^2(c_{t-1})) (= dh_{t-1}/dc_{t-1}), step t sends back into c_{t-1}:

    forget_direct (B_t)  f_t * g^c_t
    forget_gate   (A_t)  m_{t-1} * W_hf^T df_t,  df_t = g^c_t * c_{t-1} * f_t (1 - f_t)
    input_gate    (C_t)  m_{t-1} * W_hi^T di_t,  di_t = g^c_t * g_t * i_t (1 - i_t)
    candidate     (D_t)  m_{t-1} * W_hg^T dg_t,  dg_t = g^c_t * i_t * (1 - g_t^2)
    output_gate          m_{t-1} * W_ho^T do_t,  do_t = g^h_t * tanh(c_t) * o_t (1 - o_t)

(the seed's derivation holds o fixed, so it has no output-gate term). The GRU (PyTorch's form,
h_t = (1 - z_t) n_t + z_t h_{t-1}, seed 004) sends back into h_{t-1}:

    copy = z_t * g^h_t,  update_gate = W_hz^T dz_t,  reset_gate = W_hr^T dr_t,
    candidate = W_hn^T (r_t * dn_t)

and the vanilla RNN only `recurrent` = W_hh^T delta_t. Below the top layer, `from_above` is what the
layer above sends back into h_{t-1} (m_{t-1} times it for the LSTM), so the parts of step t sum
exactly to dL/dc_{t-1} (LSTM) or dL/dh_{t-1}. Entry t = 0 is 0: no step comes before it.

The delta's are the probe's own dL/d(W_hh h_{t-1} + b_hh) blocks (`Backward.delta_h`), so every path
costs one (T*B, H) x (H, H) matmul per gate block and nothing else: no loop over t, no autograd.
"""
from __future__ import annotations

import torch

from .scan import shift_down

# Gate blocks of weight_hh in PyTorch's order, named as the paths they open into h_{t-1}.
GATE_PATHS = {"rnn": ("recurrent",), "lstm": ("input_gate", "forget_gate", "candidate", "output_gate"),
              "gru": ("reset_gate", "update_gate", "candidate")}
# The element-wise path that skips W_hh: the LSTM's cell-state highway, the GRU's copy of h_{t-1}.
DIRECT_PATH = {"lstm": "forget_direct", "gru": "copy"}
PATH_NAMES = {"lstm": ("forget_direct", "forget_gate", "input_gate", "candidate", "output_gate"),  # B, A, C, D, o
              "gru": ("copy", "update_gate", "reset_gate", "candidate"), "rnn": ("recurrent",)}
FROM_ABOVE = "from_above"


def path_vectors(cell: str, fwd: dict, back, w_hh: torch.Tensor, from_above: torch.Tensor | None = None) -> dict:
    """name -> (T, B, H): step t's contribution to dL/dc_{t-1} (LSTM) or dL/dh_{t-1} (GRU, RNN).

    fwd, back: the layer's `models.recurrence` forward dict and `Backward`; w_hh (G*H, H);
    from_above: (T, B, H) gradient reaching h_t from the layer above (None for the top layer).
    Sums to dL/dc_{t-1} (dL/dh_{t-1}) for t >= 1; every entry is 0 at t = 0.
    """
    T, B, H = back.grad_h.shape
    blocks = back.delta_h.view(T, B, -1, H)  # (T, B, G, H): delta of each gate block
    into_h = {name: blocks[:, :, k] @ w_hh[k * H:(k + 1) * H] for k, name in enumerate(GATE_PATHS[cell])}
    for v in into_h.values():  # W_hh^T delta_t of each block, (T, B, H); step 0 has no h_{-1} to reach
        v[0] = 0
    if from_above is not None:
        into_h[FROM_ABOVE] = shift_down(from_above)  # e_{t-1}
    if cell == "lstm":
        m_prev = shift_down(fwd["dh_dc"])  # m_{t-1} = dh_{t-1}/dc_{t-1}, 0 at t = 0
        paths = {DIRECT_PATH[cell]: fwd["gates"]["forget"] * back.grad_c}  # B_t = f_t g^c_t
        paths.update({name: m_prev * v for name, v in into_h.items()})
    elif cell == "gru":
        paths = {DIRECT_PATH[cell]: fwd["gates"]["update"] * back.grad_h, **into_h}  # z_t g^h_t
    else:
        paths = into_h
    if cell in DIRECT_PATH:
        paths[DIRECT_PATH[cell]][0] = 0
    order = PATH_NAMES[cell] + ((FROM_ABOVE,) if from_above is not None else ())
    return {name: paths[name] for name in order}


def highway(decay: torch.Tensor, g_last: torch.Tensor) -> torch.Tensor:
    """(prod_{s=t+1}^{T} decay_s) * g_T: the gradient the direct path alone carries back from T.

    decay (T, B, H): f_t for the LSTM (g_last = dL/dc_T), z_t for the GRU (g_last = dL/dh_T).
    Float64, so a product of many gates reaches far below float32's range. -> (T, B, H)
    """
    d = decay[1:].double()  # (T-1, B, H): the factors of steps 2..T
    tail = torch.flip(torch.cumprod(torch.flip(d, [0]), 0), [0])  # tail[t] = prod_{s=t+1}^{T-1} d_s
    return torch.cat([tail, torch.ones_like(decay[:1], dtype=torch.float64)]) * g_last.double()
