"""Which path carries the gradient back one step: the tutorials' split of dL/dc_{t-1} and dL/dh_{t-1}.

The central equation of Nir Arbel's “How LSTM networks solve the problem of vanishing gradients”: the LSTM's
cell-state gradient is additive,
dc_t/dc_{t-1} = A_t + B_t + C_t + D_t with B_t = f_t, where a vanilla RNN has one factor per step.
With g^c_t = dL/dc_t and g^h_t = dL/dh_t (total derivatives, models.recurrence.Backward) and
m_{t-1} = o_{t-1} * (1 - tanh^2(c_{t-1})) (= dh_{t-1}/dc_{t-1}), step t sends back into c_{t-1}:

    forget_direct (B_t)  f_t * g^c_t
    forget_gate   (A_t)  m_{t-1} * W_hf^T df_t,  df_t = g^c_t * c_{t-1} * f_t (1 - f_t)
    input_gate    (C_t)  m_{t-1} * W_hi^T di_t,  di_t = g^c_t * g_t * i_t (1 - i_t)
    candidate     (D_t)  m_{t-1} * W_hg^T dg_t,  dg_t = g^c_t * i_t * (1 - g_t^2)
    output_gate          m_{t-1} * W_ho^T do_t,  do_t = g^h_t * tanh(c_t) * o_t (1 - o_t)

(the article's derivation holds o fixed, so it has no output-gate term). The GRU (PyTorch's form,
h_t = (1 - z_t) n_t + z_t h_{t-1}, as in Amy_mm's “LSTM 与 GRU 原理讲解”) sends back into h_{t-1}:

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

from .scan import reverse_linear_scan

# Gate blocks of weight_hh in PyTorch's order, named as the paths they open into h_{t-1}.
GATE_PATHS = {"rnn": ("recurrent",), "lstm": ("input_gate", "forget_gate", "candidate", "output_gate"),
              "gru": ("reset_gate", "update_gate", "candidate")}
# The element-wise path that skips W_hh: the LSTM's cell-state highway, the GRU's copy of h_{t-1}.
DIRECT_PATH = {"lstm": "forget_direct", "gru": "copy"}
PATH_NAMES = {"lstm": ("forget_direct", "forget_gate", "input_gate", "candidate", "output_gate"),  # B, A, C, D, o
              "gru": ("copy", "update_gate", "reset_gate", "candidate"), "rnn": ("recurrent",),
              # the diagonal recurrences have one path, conj(a_t) ⊙ g^h_t (models.diagonal_probe): the minGRU's
              # copy (1 - z_t), the minLSTM's f'_t, the LRU's lambda; IndRNN's u ⊙ phi'(a_t) is the RNN's W_hh^T delta_t
              "mingru": ("copy",), "minlstm": ("forget_direct",), "indrnn": ("recurrent",), "lru": ("recurrent",)}
FROM_ABOVE = "from_above"


def path_vectors(cell: str, fwd: dict, back, w_hh: torch.Tensor,
                 from_above: torch.Tensor | None = None) -> tuple[tuple[str, ...], torch.Tensor]:
    """names, paths (K, T, B, H): paths[k, t] is step t's contribution `names[k]` to dL/dc_{t-1} (LSTM)
    or dL/dh_{t-1} (GRU, RNN), one tensor so that all K norms take one op.

    fwd, back: the layer's `models.recurrence` forward dict and `Backward`; w_hh (G*H, H);
    from_above: (T, B, H) gradient reaching h_t from the layer above (None for the top layer).
    Sums over k to dL/dc_{t-1} (dL/dh_{t-1}) for t >= 1; every entry is 0 at t = 0.
    """
    T, B, H = back.grad_h.shape
    names = PATH_NAMES[cell] + ((FROM_ABOVE,) if from_above is not None else ())
    paths = back.grad_h.new_empty(len(names), T, B, H)
    by_name = dict(zip(names, paths.unbind(0)))
    blocks = back.delta_h.view(T * B, -1, H)  # (T B, G, H): delta of each gate block
    for k, name in enumerate(GATE_PATHS[cell]):  # W_hh^T delta_t of each block, (T, B, H)
        torch.mm(blocks[:, k], w_hh[k * H:(k + 1) * H], out=by_name[name].view(T * B, H))
    if from_above is not None:
        by_name[FROM_ABOVE][1:] = from_above[:-1]  # e_{t-1}
    if cell == "lstm":
        paths[1:, 1:] *= fwd["dh_dc"][:-1]  # every path but B_t reaches c_{t-1} through m_{t-1} = dh_{t-1}/dc_{t-1}
        torch.mul(fwd["gates"]["forget"], back.grad_c, out=by_name[DIRECT_PATH[cell]])  # B_t = f_t g^c_t
    elif cell == "gru":
        torch.mul(fwd["gates"]["update"], back.grad_h, out=by_name[DIRECT_PATH[cell]])  # z_t g^h_t
    paths[:, 0] = 0  # step 0 has no h_{-1} to reach
    return names, paths


def highway(decay: torch.Tensor, g_last: torch.Tensor) -> torch.Tensor:
    """(prod_{s=t+1}^{T} decay_s) * g_T: the gradient the direct path alone carries back from T.

    decay (T, B, H): f_t for the LSTM (g_last = dL/dc_T), z_t for the GRU (g_last = dL/dh_T).
    Float64, so a product of many gates reaches far below float32's range: y_t = decay_{t+1} y_{t+1},
    y_T = g_T, by `reverse_linear_scan` in float64. -> (T, B, H)
    """
    drive = torch.zeros(decay.shape, dtype=torch.float64)
    drive[-1] = g_last
    return reverse_linear_scan(decay, drive)
