"""Each cell's pre-activations and element-wise part, for all timesteps at once.

Notation (PyTorch's docs for nn.RNN / nn.LSTM / nn.GRU), all tensors time-major (T, B, ...):
    a_x = W_ih x_t + b_ih,  a_h = W_hh h_{t-1} + b_hh   (T, B, G*H), G gate blocks.

Each cell answers three questions, used by `models.probe`:
  forward(x, h_prev, h, w)         -> gates, cell state, and what backward needs, from the layer's
                                      inputs, its hidden states h_t and h_{t-1} (T, B, P) and weights;
  backward(fwd, e, grad_aug, w_hh, w_hr, e_c) -> grad_h = dL/dh_t, delta_h = dL/d(a_h), grad_c = dL/dc_t;
  jacobian_factors(fwd)            -> d0, d with dh_t/dh_{t-1} = diag(d0) + sum_k diag(d[k]) W_hh[k].

`grad_aug` is what autograd returns for the extra zero input the probe feeds the fused module
(see `models.probe`): with `aug="recurrent"` that input enters through W_hh, exactly like h_{t-1},
so grad_aug_t = W_hh^T delta_t, the recurrent part of dL/dh_{t-1}; with `aug="identity"` it enters
through an identity, so grad_aug_t = dL/d(a_x)_t. `e_t` is the gradient reaching h_t from outside
the layer (the loss, or the layer above); `e_c` (B, H), LSTM only, is dL/dc_T from outside (a loss
reading the final cell state c_n). An LSTM with proj_size P has h_t = W_hr m_t, m_t = o_t tanh(c_t):
h_t, e_t and grad_aug are then P-wide, gates and c_t H-wide, and `w_hr` is W_hr (P, H).
At the probe's sizes every element-wise op costs about as much as its dispatch, so each pass is
written to touch every element once: biases folded into the matmuls, gates activated in place,
products written into their final tensors.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .scan import linear_scan, reverse_linear_scan


@dataclass
class Backward:
    grad_h: torch.Tensor  # (T, B, H) dL/dh_t, total derivative
    delta_h: torch.Tensor  # (T, B, G*H) dL/d(W_hh h_{t-1} + b_hh): step t's factor of dL/dW_hh
    grad_c: torch.Tensor | None = None  # (T, B, H) dL/dc_t (LSTM)


def _sigmoid_prime(s: torch.Tensor) -> torch.Tensor:
    """sigma'(a) = s (1 - s) from s = sigma(a), as one op: s - s * s."""
    return torch.addcmul(s, s, s, value=-1)


def _preactivation(inputs: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """inputs W^T + b over all steps in one matmul: (T, B, K), (N, K), (N,) -> (T, B, N)."""
    T, B, K = inputs.shape
    return torch.addmm(bias, inputs.reshape(T * B, K), weight.T).view(T, B, -1)


class VanillaRNN:
    """h_t = phi(a_x + a_h)."""

    aug = "recurrent"

    def __init__(self, activation: str):
        self.activation = activation

    def phi_prime(self, h: torch.Tensor) -> torch.Tensor:
        """phi'(a_t) from h_t = phi(a_t) alone (relu: a > 0 exactly where h > 0): no pre-activations needed."""
        if self.activation == "tanh":
            return torch.addcmul(torch.ones_like(h), h, h, value=-1)  # 1 - h^2
        if self.activation == "relu":
            return (h > 0).to(h.dtype)
        if self.activation == "sigmoid":
            return _sigmoid_prime(h)
        return torch.ones_like(h)

    def forward(self, x, h_prev, h, w):
        return {"gates": {}, "cell_state": None, "phi_prime": self.phi_prime(h)}

    def backward(self, fwd, e, grad_aug, w_hh, w_hr=None, e_c=None) -> Backward:
        grad_h = _plus_next(e, grad_aug)  # dL/dh_t = e_t + W_hh^T delta_{t+1}
        return Backward(grad_h=grad_h, delta_h=fwd["phi_prime"] * grad_h)

    def jacobian_factors(self, fwd):
        return None, fwd["phi_prime"].unsqueeze(-2)  # (T, B, 1, H): J = diag(phi'(a_t)) W_hh


def _plus_next(e: torch.Tensor, back: torch.Tensor) -> torch.Tensor:
    """out_t = e_t + back_{t+1}, out_{T-1} = e_{T-1}: what reaches h_t from outside and from step t+1."""
    out = torch.empty_like(e)
    torch.add(e[:-1], back[1:], out=out[:-1])
    out[-1] = e[-1]
    return out


class LSTM:
    """i, f, g, o = sigma, sigma, tanh, sigma of (a_x + a_h); c_t = f c_{t-1} + i g; h_t = o tanh(c_t)."""

    aug = "recurrent"

    def forward(self, x, h_prev, h, w):
        a = _preactivation(x, w["weight_ih"], w["bias_ih"] + w["bias_hh"])  # (T, B, 4H)
        a.view(-1, a.shape[-1]).addmm_(h_prev.reshape(-1, h_prev.shape[-1]), w["weight_hh"].T)  # + W_hh h_{t-1}
        gates = a  # activated in place, block by block
        H = gates.shape[-1] // 4
        input_gate, forget_gate, cell_gate, output_gate = gates.split(H, dim=-1)
        cell_gate.tanh_()
        gates[..., :2 * H].sigmoid_()
        output_gate.sigmoid_()
        cell_state = linear_scan(forget_gate, input_gate * cell_gate)  # c_t = f_t c_{t-1} + i_t g_t
        tanh_c = torch.tanh(cell_state)
        dh_dc = torch.addcmul(output_gate, output_gate * tanh_c, tanh_c, value=-1)  # dh_t/dc_t = o_t (1 - tanh^2 c_t)
        # d_da = [dc_t/da_i, dc_t/da_f, dc_t/da_g, dh_t/da_o] = sigma'(a) times [g_t, c_{t-1}, i_t, tanh c_t]
        d_da = _sigmoid_prime(gates)  # (T, B, 4H); its cell-gate block is overwritten below
        dc_dai, dc_daf, dc_dag, dh_dao = d_da.split(H, dim=-1)
        dc_dai.mul_(cell_gate)
        dc_daf[1:].mul_(cell_state[:-1])
        dc_daf[0] = 0  # c_0 = 0
        torch.addcmul(input_gate, input_gate * cell_gate, cell_gate, value=-1, out=dc_dag)  # i_t (1 - g_t^2)
        dh_dao.mul_(tanh_c)
        gate_views = {"input": input_gate, "forget": forget_gate, "cell": cell_gate, "output": output_gate}
        return {"gates": gate_views, "cell_state": cell_state, "dh_dc": dh_dc, "d_da": d_da}

    def backward(self, fwd, e, grad_aug, w_hh, w_hr=None, e_c=None) -> Backward:
        grad_h = _plus_next(e, grad_aug)  # dL/dh_t = e_t + W_hh^T delta_{t+1}
        grad_m = grad_h if w_hr is None else grad_h @ w_hr  # dL/dm_t, m_t = o_t tanh(c_t), h_t = W_hr m_t
        drive = grad_m * fwd["dh_dc"]  # (T, B, H)
        if e_c is not None:
            drive[-1] += e_c  # a loss reading c_T directly
        # the cell-state highway: dL/dc_t = dL/dm_t dm_t/dc_t + f_{t+1} dL/dc_{t+1}
        grad_c = reverse_linear_scan(fwd["gates"]["forget"], drive)
        T, B, H = grad_c.shape
        d_da = fwd["d_da"].view(T, B, 4, H)
        delta_h = torch.empty_like(d_da)  # (T, B, 4, H): [dL/dc_t dc_t/da_{i,f,g}, dL/dm_t dm_t/da_o]
        torch.mul(d_da[:, :, :3], grad_c.unsqueeze(2), out=delta_h[:, :, :3])
        torch.mul(d_da[:, :, 3], grad_m, out=delta_h[:, :, 3])
        return Backward(grad_h=grad_h, delta_h=delta_h.view(T, B, 4 * H), grad_c=grad_c)

    def jacobian_factors(self, fwd):
        T, B, H = fwd["dh_dc"].shape
        d = fwd["d_da"].view(T, B, 4, H).clone()
        d[:, :, :3] *= fwd["dh_dc"].unsqueeze(2)  # dh_t/dc_t dc_t/da_{i,f,g}
        return None, d  # (T, B, 4, H), c_{t-1} held fixed


class GRU:
    """r = sigma(a_x,r + a_h,r); z = sigma(a_x,z + a_h,z); n = tanh(a_x,n + r * a_h,n); h_t = (1 - z) n + z h_{t-1}."""

    aug = "identity"

    def forward(self, x, h_prev, h, w):
        a_x = _preactivation(x, w["weight_ih"], w["bias_ih"])  # (T, B, 3H)
        a_h = _preactivation(h_prev, w["weight_hh"], w["bias_hh"])  # (T, B, 3H)
        x_r, x_z, x_n = a_x.chunk(3, dim=-1)
        h_r, h_z, h_n = a_h.chunk(3, dim=-1)
        reset_gate, update_gate = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        new_gate = torch.tanh(torch.addcmul(x_n, reset_gate, h_n))
        gates = {"reset": reset_gate, "update": update_gate, "new": new_gate}
        return {"gates": gates, "cell_state": None, "h_n": h_n, "h_prev": h_prev}

    def backward(self, fwd, e, grad_aug, w_hh, w_hr=None, e_c=None) -> Backward:
        # identity augmentation: grad_aug = dL/d(a_x) = (delta_r, delta_z, delta_n)
        delta_h = grad_aug.clone()  # (T, B, 3H) -> (delta_r, delta_z, r * delta_n)
        delta_h.chunk(3, dim=-1)[2].mul_(fwd["gates"]["reset"])
        # dL/dh_t = e_t + W_hh^T delta_h,{t+1} + z_{t+1} dL/dh_{t+1}
        T, B, H = e.shape
        drive = torch.empty_like(e)
        torch.addmm(e[:-1].reshape(-1, H), delta_h[1:].reshape(-1, 3 * H), w_hh, out=drive[:-1].view(-1, H))
        drive[-1] = e[-1]
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
