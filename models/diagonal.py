"""Recurrences whose gates read only x_t: minGRU, minLSTM (Feng et al. 2024); their base, shared with the LRU.

Each layer k is h_t = a_t ⊙ h_{t-1} + b_t, with a_t and b_t computed from the layer's input u_t alone
(u = x for the bottom layer), never from h_{t-1}. So the step Jacobian dh_t/dh_{t-1} is diag(a_t), the
product of Jacobians is a product of numbers the model sets, and the whole sequence is one scan
(`models.scan.diagonal_recurrence`): no loop over t. Modules are called as nn.RNN is:

    out, h_n = module(x (T, B, I), hx (L, B, H) or None)   # out (T, B, H) real, the top layer's h_t

`run()` returns every layer's a_t, b_t, gates and outputs, and lets the probe add a zero drive to b_t
(`models.diagonal_probe`): dL/d(drive) is then the total dL/dh_t of every layer, from one backward.
The LRU (Orvieto et al. 2023) is in `models.lru`; IndRNN, whose h_t = phi(W x_t + u ⊙ h_{t-1} + b) is nonlinear
in h_{t-1}, in `models.indrnn`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

import torch
from torch import nn

from .activations import ACTIVATION_FNS
from .config import ProbeConfig
from .init import input_weight, uniform
from .scan import diagonal_recurrence

DEFAULT_INIT = SimpleNamespace(init="pytorch", weight_scale=1.0, forget_bias=1.0)  # a module built directly


@dataclass
class Run:
    """One pass of a DiagonalRNN: per layer (bottom first) its input u (T, B, I_k), its terms (a, b, gates,
    `rec`: the pre-activations or factors whose gradient gives dL/d(the parameters that set a_t)), its state
    h (T, B, N), real or complex, and its output `out` (T, B, H), the real view of h."""

    inputs: list
    terms: list
    states: list
    outs: list


def rnn_attributes(module: nn.Module, input_size: int, hidden_size: int, num_layers: int, nonlinearity: str,
                   bias: bool) -> None:
    """Give `module` nn.RNN's attributes (time-major, one direction, no projection, no dropout), so code written
    for nn.RNN reads it as one; ValueError for a nonlinearity not in ACTIVATION_FNS."""
    if nonlinearity not in ACTIVATION_FNS:
        raise ValueError(f"nonlinearity={nonlinearity!r} is not one of {', '.join(ACTIVATION_FNS)}")
    module.input_size, module.hidden_size, module.num_layers = input_size, hidden_size, num_layers
    module.nonlinearity, module.bias = nonlinearity, bias
    module.batch_first, module.bidirectional, module.proj_size, module.dropout = False, False, 0, 0.0


class StackedRNN(nn.Module):
    """What every newer cell shares with nn.RNN: its attributes (input_size, hidden_size, num_layers, nonlinearity,
    batch_first False, ...), per-layer parameters made by `_layer(k, fan_in, factory)`, and initialisation: from a
    config by `init_from(cfg, gen)` (build_model), or, for a module built directly, `reset_parameters()`."""

    cell = ""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 device=None, dtype=None):
        super().__init__()
        rnn_attributes(self, input_size, hidden_size, num_layers, nonlinearity, True)
        factory = {"device": device, "dtype": dtype}
        for k in range(num_layers):
            self._layer(k, input_size if k == 0 else hidden_size, factory)
        if device is None or torch.device(device).type != "meta":
            self.reset_parameters()

    def reset_parameters(self) -> None:
        """A module built directly (not by `build_model`): `init_from` with init "pytorch", weight scale 1 and
        forget bias 1, drawn from the global RNG as nn.RNN's own reset is."""
        self.init_from(DEFAULT_INIT, torch.default_generator)

    def _param(self, name: str, *shape, factory) -> None:
        self.register_parameter(name, nn.Parameter(torch.empty(*shape, **factory)))

    def _layer(self, k: int, fan_in: int, factory) -> None:
        raise NotImplementedError

    def init_from(self, cfg: ProbeConfig, gen: torch.Generator) -> "StackedRNN":
        """Every parameter from cfg's init, weight_scale and forget_bias, drawn from gen (float64, then cast)."""
        raise NotImplementedError


class DiagonalRNN(StackedRNN):
    """Stacked layers h_t = a_t ⊙ h_{t-1} + b_t, (a_t, b_t) from the layer's input only (see the module docstring).

    Subclasses set `cell`, make their parameters in `_layer(k, fan_in, factory)` and compute `terms(k, u, w)`."""

    complex_state = False
    rec_blocks = 1  # how many H-wide blocks at the front of `rec` set a_t (minGRU z: 1, minLSTM f, i: 2)

    def terms(self, k: int, u: torch.Tensor, w: dict) -> dict:
        """{"a": (T, B, N) or (N,), "b": (T, B, N), "gates": {name: (T, B, H)}, "rec": tensor or None} of layer k,
        with parameters w (name -> tensor: the module's own, or detached copies, `run`)."""
        raise NotImplementedError

    def to_real(self, h: torch.Tensor) -> torch.Tensor:
        """The state as the module reports it, (..., H) real."""
        return h

    def from_real(self, h: torch.Tensor) -> torch.Tensor:
        """The inverse of `to_real`: an initial state hx[k] (B, H) -> (B, N)."""
        return h

    def next_input(self, k: int, out: torch.Tensor, u: torch.Tensor, w: dict) -> torch.Tensor:
        """What layer k + 1 reads: layer k's h_t, as nn.GRU stacks (the LRU puts a readout and phi between)."""
        return out

    def weight_factors(self, k: int, terms: dict, grad_rec, u, g, h_prev) -> tuple:
        """Step t's part of dL/d(the parameters that set a_t) of layer k, per sample, as (delta, other):
        C_t = sum_b delta_t^(b) other_t^(b)T, or sum_b delta_t^(b) when other is None (models.result).
        grad_rec = dL/d terms["rec"]; g = dL/dh_t, h_prev = h_{t-1} (T, B, N), in the state's dtype."""
        raise NotImplementedError

    def run(self, x: torch.Tensor, hx: torch.Tensor | None = None, drives: list | None = None,
            detached: bool = False) -> Run:
        """Every layer's quantities; drives[k] (T, B, N), optional, is added to layer k's b_t. detached: the
        parameters as constants (no weight gradients computed: the probe differentiates w.r.t. states only)."""
        w = {name: p.detach() if detached else p for name, p in self.named_parameters()}
        run, u = Run([], [], [], []), x
        for k in range(self.num_layers):
            terms = self.terms(k, u, w)
            b = terms["b"] if drives is None else terms["b"] + drives[k]
            h = diagonal_recurrence(terms["a"], b, None if hx is None else self.from_real(hx[k]))
            out = self.to_real(h)
            run.inputs.append(u), run.terms.append(terms), run.states.append(h), run.outs.append(out)
            if k + 1 < self.num_layers:
                u = self.next_input(k, out, u, w)
        return run

    def forward(self, input: torch.Tensor, hx: torch.Tensor | None = None):
        """input (T, B, I), hx (L, B, H) or None (zeros) -> (output (T, B, H) of the top layer, h_n (L, B, H))."""
        r = self.run(input, hx)
        # output and h_n as separate graph branches of the states, as nn.RNN's fused kernel returns them: a hook on
        # the output then sees only what flows through the output (models.monitor relies on it)
        return r.outs[-1].view_as(r.outs[-1]), torch.stack([out[-1] for out in r.outs])

class _GatedDiagonal(DiagonalRNN):
    """minGRU / minLSTM: one input matmul per layer, weight_ih_l{k} (G*H, I_k) and bias_ih_l{k} (G*H,),
    blocks in the order of `blocks`, the last one the candidate h~_t = W_h x_t + b_h (no tanh)."""

    blocks: tuple = ()

    def _layer(self, k, fan_in, factory):
        self._param(f"weight_ih_l{k}", len(self.blocks) * self.hidden_size, fan_in, factory=factory)
        self._param(f"bias_ih_l{k}", len(self.blocks) * self.hidden_size, factory=factory)

    @staticmethod
    def preactivation(k: int, u: torch.Tensor, w: dict) -> torch.Tensor:
        """u W^T + b over all steps in one matmul: (T, B, I_k) -> (T, B, G*H)."""
        return torch.addmm(w[f"bias_ih_l{k}"], u.flatten(0, 1), w[f"weight_ih_l{k}"].T).view(*u.shape[:2], -1)

    def gate_biases(self, forget_bias: float) -> torch.Tensor:
        raise NotImplementedError

    def weight_factors(self, k, terms, grad_rec, u, g, h_prev):
        """The gate rows of weight_ih (W_z; or W_f, W_i), which set a_t: delta = dL/d(their pre-activations), other = u_t."""
        return grad_rec[..., :self.rec_blocks * self.hidden_size], u

    def init_from(self, cfg, gen):
        """weight_ih: N(0, 1/I_k) (PyTorch's U(±1/sqrt(H)) under init "pytorch"); biases 0 (U(±1/sqrt(H)) under
        "pytorch"), then the gate biases from cfg.forget_bias (`gate_biases`), so that at x = 0 the factor a_t
        is sigma(forget_bias), as the LSTM's f_t is. Feng et al. give no initialisation of their own."""
        H, G = self.hidden_size, len(self.blocks)
        with torch.no_grad():
            for k in range(self.num_layers):
                w = getattr(self, f"weight_ih_l{k}")
                w.copy_(input_weight(G * H, w.shape[1], H, cfg.init, gen))
                b = uniform(G * H, 1 / math.sqrt(H), gen) if cfg.init == "pytorch" else torch.zeros(G * H, dtype=torch.float64)
                gates = self.gate_biases(cfg.forget_bias)
                b[:len(gates) * H] = gates.repeat_interleave(H)
                getattr(self, f"bias_ih_l{k}").copy_(b)
        return self


class MinGRU(_GatedDiagonal):
    """minGRU (Feng et al. 2024, "Were RNNs All We Needed?", sequential form of their Algorithm):

        z_t = sigma(W_z x_t + b_z),  h~_t = W_h x_t + b_h,  h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ h~_t

    so a_t = 1 - z_t (the copy path) and b_t = z_t ⊙ h~_t. Their log-space form (g(h~) > 0) only serves a
    scan in log space; this scan is in linear space and needs none. b_z = -forget_bias: 1 - z_t = sigma(b - W_z x_t).
    Parameters weight_ih_l{k} = [W_z; W_h] (2H, I_k), bias_ih_l{k} = [b_z; b_h]."""

    cell, blocks = "mingru", ("update", "candidate")

    def terms(self, k, u, w):
        pre = self.preactivation(k, u, w)  # (T, B, 2H)
        pre_z, candidate = pre.chunk(2, dim=-1)
        update_gate = torch.sigmoid(pre_z)
        return {"a": 1 - update_gate, "b": update_gate * candidate, "gates": {"update": update_gate}, "rec": pre}

    def gate_biases(self, forget_bias):
        return torch.tensor([-forget_bias], dtype=torch.float64)


class MinLSTM(_GatedDiagonal):
    """minLSTM (Feng et al. 2024, "Were RNNs All We Needed?"):

        f_t = sigma(W_f x_t + b_f),  i_t = sigma(W_i x_t + b_i),  h~_t = W_h x_t + b_h,
        f'_t = f_t / (f_t + i_t),  i'_t = i_t / (f_t + i_t),  h_t = f'_t ⊙ h_{t-1} + i'_t ⊙ h~_t

    (a_t = f'_t, b_t = i'_t ⊙ h~_t; the normalisation makes h_t's scale independent of t). b_f = forget_bias,
    b_i = -forget_bias, so f'_t = sigma(b)/(sigma(b) + sigma(-b)) = sigma(b) at x = 0. weight_ih_l{k} = [W_f; W_i; W_h]."""

    cell, blocks, rec_blocks = "minlstm", ("forget", "input", "candidate"), 2

    def terms(self, k, u, w):
        pre = self.preactivation(k, u, w)  # (T, B, 3H)
        pre_f, pre_i, candidate = pre.chunk(3, dim=-1)
        f, i = torch.sigmoid(pre_f), torch.sigmoid(pre_i)
        forget_gate, input_gate = f / (f + i), i / (f + i)  # f'_t, i'_t
        return {"a": forget_gate, "b": input_gate * candidate, "gates": {"forget": forget_gate, "input": input_gate},
                "rec": pre}

    def gate_biases(self, forget_bias):
        return torch.tensor([forget_bias, -forget_bias], dtype=torch.float64)
