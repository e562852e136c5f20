"""The element-wise part of each cell, for all timesteps at once, given its pre-activations.

Notation (PyTorch's docs for nn.RNN / nn.LSTM / nn.GRU), all tensors time-major (T, B, ...):
    a_x = W_ih x_t + b_ih,  a_h = W_hh h_{t-1} + b_hh   (T, B, G*H), G gate blocks.

Each cell answers three questions, used by `models.probe`:
  forward(a_x, a_h, h_prev)        -> gates, cell state, and what backward needs;
  backward(fwd, e, grad_aug, w_hh, w_hr, e_c) -> grad_h = dL/dh_t, delta_h = dL/d(a_h), grad_c = dL/dc_t;
  jacobian_factors(fwd)            -> d0, d with dh_t/dh_{t-1} = diag(d0) + sum_k diag(d[k]) W_hh[k].

`grad_aug` is what autograd returns for the extra zero input the probe feeds the fused module
(see `models.probe`): with `aug="recurrent"` that input enters through W_hh, exactly like h_{t-1},
so grad_aug_t = W_hh^T delta_t, the recurrent part of dL/dh_{t-1}; with `aug="identity"` it enters
through an identity, so grad_aug_t = dL/d(a_x)_t. `e_t` is the gradient reaching h_t from outside
the layer (the loss, or the layer above); `e_c` (B, H), LSTM only, is dL/dc_T from outside (a loss
reading the final cell state c_n). An LSTM with proj_size P has h_t = W_hr m_t, m_t = o_t tanh(c_t):
h_t, e_t and grad_aug are then P-wide, gates and c_t H-wide, and `w_hr` is W_hr (P, H).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .cells import ACTIVATION_FNS
from .scan import linear_scan, reverse_linear_scan, shift_down, shift_up


@dataclass
class Backward:
    grad_h: torch.Tensor  # (T, B, H) dL/dh_t, total derivative
    delta_h: torch.Tensor  # (T, B, G*H) dL/d(W_hh h_{t-1} + b_hh): step t's factor of dL/dW_hh
    grad_c: torch.Tensor | None = None  # (T, B, H) dL/dc_t (LSTM)


def _sigmoid_prime(s: torch.Tensor) -> torch.Tensor:
    return s * (1 - s)


class VanillaRNN:
    """h_t = phi(a_x + a_h)."""

    aug = "recurrent"

    def __init__(self, activation: str):
        self.activation = activation

    def phi_prime(self, a: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """phi'(a) from a = pre-activation, h = phi(a)."""
        if self.activation == "tanh":
            return 1 - h * h
        if self.activation == "relu":
            return (a > 0).to(a.dtype)
        if self.activation == "sigmoid":
            return _sigmoid_prime(h)
        return torch.ones_like(a)

    def forward(self, a_x, a_h, h_prev):
        a = a_x + a_h
        h = ACTIVATION_FNS[self.activation](a)
        return {"gates": {}, "cell_state": None, "phi_prime": self.phi_prime(a, h)}

    def backward(self, fwd, e, grad_aug, w_hh, w_hr=None, e_c=None) -> Backward:
        grad_h = e + shift_up(grad_aug)  # dL/dh_t = e_t + W_hh^T delta_{t+1}
        return Backward(grad_h=grad_h, delta_h=fwd["phi_prime"] * grad_h)

    def jacobian_factors(self, fwd):
        return None, fwd["phi_prime"].unsqueeze(-2)  # (T, B, 1, H): J = diag(phi'(a_t)) W_hh


class LSTM:
    """i, f, g, o = sigma, sigma, tanh, sigma of (a_x + a_h); c_t = f c_{t-1} + i g; h_t = o tanh(c_t)."""

    aug = "recurrent"

    def forward(self, a_x, a_h, h_prev):
        a_i, a_f, a_g, a_o = (a_x + a_h).chunk(4, dim=-1)
        input_gate, forget_gate = torch.sigmoid(a_i), torch.sigmoid(a_f)
        cell_gate, output_gate = torch.tanh(a_g), torch.sigmoid(a_o)
        cell_state = linear_scan(forget_gate, input_gate * cell_gate)  # c_t = f_t c_{t-1} + i_t g_t
        c_prev = shift_down(cell_state)
        tanh_c = torch.tanh(cell_state)
        dh_dc = output_gate * (1 - tanh_c * tanh_c)  # dh_t/dc_t
        dc_da = torch.cat([cell_gate * _sigmoid_prime(input_gate),  # dc_t/da_i
                           c_prev * _sigmoid_prime(forget_gate),  # dc_t/da_f
                           input_gate * (1 - cell_gate * cell_gate)], dim=-1)  # dc_t/da_g
        dh_dao = tanh_c * _sigmoid_prime(output_gate)  # dh_t/da_o
        gates = {"input": input_gate, "forget": forget_gate, "cell": cell_gate, "output": output_gate}
        return {"gates": gates, "cell_state": cell_state, "dh_dc": dh_dc, "dc_da": dc_da, "dh_dao": dh_dao}

    def backward(self, fwd, e, grad_aug, w_hh, w_hr=None, e_c=None) -> Backward:
        grad_h = e + shift_up(grad_aug)  # dL/dh_t = e_t + W_hh^T delta_{t+1}
        grad_m = grad_h if w_hr is None else grad_h @ w_hr  # dL/dm_t, m_t = o_t tanh(c_t), h_t = W_hr m_t
        drive = grad_m * fwd["dh_dc"]  # (T, B, H)
        if e_c is not None:
            drive = torch.cat([drive[:-1], drive[-1:] + e_c])  # a loss reading c_T directly
        # the cell-state highway: dL/dc_t = dL/dm_t dm_t/dc_t + f_{t+1} dL/dc_{t+1}
        grad_c = reverse_linear_scan(fwd["gates"]["forget"], drive)
        delta_h = torch.cat([fwd["dc_da"] * grad_c.repeat(1, 1, 3), grad_m * fwd["dh_dao"]], dim=-1)
        return Backward(grad_h=grad_h, delta_h=delta_h, grad_c=grad_c)

    def jacobian_factors(self, fwd):
        T, B, H = fwd["dh_dc"].shape
        d = torch.cat([fwd["dc_da"] * fwd["dh_dc"].repeat(1, 1, 3), fwd["dh_dao"]], dim=-1)
        return None, d.view(T, B, 4, H)  # (T, B, 4, H), c_{t-1} held fixed


class GRU:
    """r = sigma(a_x,r + a_h,r); z = sigma(a_x,z + a_h,z); n = tanh(a_x,n + r * a_h,n); h_t = (1 - z) n + z h_{t-1}."""

    aug = "identity"

    def forward(self, a_x, a_h, h_prev):
        x_r, x_z, x_n = a_x.chunk(3, dim=-1)
        h_r, h_z, h_n = a_h.chunk(3, dim=-1)
        reset_gate, update_gate = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        new_gate = torch.tanh(x_n + reset_gate * h_n)
        gates = {"reset": reset_gate, "update": update_gate, "new": new_gate}
        return {"gates": gates, "cell_state": None, "h_n": h_n, "h_prev": h_prev}

    def backward(self, fwd, e, grad_aug, w_hh, w_hr=None, e_c=None) -> Backward:
        # identity augmentation: grad_aug = dL/d(a_x) = (delta_r, delta_z, delta_n)
        delta_r, delta_z, delta_n = grad_aug.chunk(3, dim=-1)
        delta_h = torch.cat([delta_r, delta_z, fwd["gates"]["reset"] * delta_n], dim=-1)
        # dL/dh_t = e_t + W_hh^T delta_h,{t+1} + z_{t+1} dL/dh_{t+1}
        drive = e + shift_up(delta_h @ w_hh)
        grad_h = reverse_linear_scan(fwd["gates"]["update"], drive)
        return Backward(grad_h=grad_h, delta_h=delta_h)

    def jacobian_factors(self, fwd):
        g = fwd["gates"]
        r, z, n = g["reset"], g["update"], g["new"]
        dh_dn = (1 - z) * (1 - n * n)
        d = torch.stack([dh_dn * fwd["h_n"] * _sigmoid_prime(r),  # through r
                         (fwd["h_prev"] - n) * _sigmoid_prime(z),  # through z
                         dh_dn * r], dim=-2)  # through n
        return z, d  # J = diag(z) + sum_k diag(d_k) W_hh[k]


def cell_math(cell: str, activation: str = "tanh"):
    """The element-wise maths object for a cell name."""
    if cell == "lstm":
        return LSTM()
    if cell == "gru":
        return GRU()
    return VanillaRNN(activation)
