"""IndRNN (Li et al. 2018, "Independently Recurrent Neural Network (IndRNN): Building A Longer and Deeper RNN").

    h_t = phi(W x_t + u ⊙ h_{t-1} + b)

Each unit j has one recurrent weight u_j: the recurrent matrix is diag(u), so the step Jacobian is
diag(u ⊙ phi'(a_t)) and the gradient through unit j over k steps is u_j^k times a product of phi'.
Li et al. bound it by constraining |u_j| (Sec. 3: |u_j| <= gamma^(1/T) keeps it from exploding; their
code initialises u ~ U(0, 2^(1/T)) for ReLU and clips |u_j| to 2^(1/T) while training: `constrain_`, which
models.training applies after every step). Here weight_scale s sets max |u_j| at initialisation (`init_from`).

The forward is nonlinear in h_{t-1}, so no scan can compute h_t: it runs as PyTorch's fused RNN kernel
(torch.rnn_relu / rnn_tanh, one C++ loop) with W_hh = diag(u), a scan when phi is linear, and a Python
loop for the sigmoid (as `models.cells.ElementwiseRNN` does). The probe treats it as the vanilla RNN
with that diagonal W_hh (`models.probe`); `rnn_weights(k)` gives that view.
"""
from __future__ import annotations

import math

import torch

from .config import ProbeConfig
from .diagonal import StackedRNN
from .init import input_weight, uniform
from .scan import diagonal_recurrence

_FUSED = {"tanh": torch.rnn_tanh, "relu": torch.rnn_relu}


class IndRNN(StackedRNN):
    """Stacked IndRNN layers (layer k + 1 reads layer k's h_t, as nn.RNN stacks), called as nn.RNN is:
    forward(input (T, B, I), hx (L, B, H) = zeros) -> (output (T, B, H), h_n (L, B, H)).
    Parameters per layer: weight_ih_l{k} = W (H, I_k), u_l{k} = u (H,), bias_l{k} = b (H,)."""

    cell = "indrnn"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "relu",
                 device=None, dtype=None):
        super().__init__(input_size, hidden_size, num_layers, nonlinearity, device, dtype)

    def _layer(self, k, fan_in, factory):
        self._param(f"weight_ih_l{k}", self.hidden_size, fan_in, factory=factory)
        self._param(f"u_l{k}", self.hidden_size, factory=factory)
        self._param(f"bias_l{k}", self.hidden_size, factory=factory)

    @torch.no_grad()
    def constrain_(self, seq_len: int, magnitude: float = 2.0) -> "IndRNN":
        """Li et al.'s constraint, applied after each training step: |u_j| <= magnitude^(1/T), so that no unit's
        gradient grows by more than `magnitude` over T steps (their code: MAG = 2 for ReLU). In place."""
        bound = magnitude ** (1.0 / seq_len)
        for k in range(self.num_layers):
            getattr(self, f"u_l{k}").clamp_(-bound, bound)
        return self

    def rnn_weights(self, k: int) -> dict[str, torch.Tensor]:
        """Layer k as a vanilla RNN's weights: weight_ih = W, weight_hh = diag(u), bias_ih = b, bias_hh = 0."""
        u = getattr(self, f"u_l{k}")
        return {"weight_ih": getattr(self, f"weight_ih_l{k}"), "weight_hh": torch.diag(u),
                "bias_ih": getattr(self, f"bias_l{k}"), "bias_hh": torch.zeros_like(u)}

    def forward(self, input: torch.Tensor, hx: torch.Tensor | None = None):
        T, B, _ = input.shape
        if hx is None:
            hx = input.new_zeros(self.num_layers, B, self.hidden_size)
        layer_input, last = input, []
        for k in range(self.num_layers):
            w = self.rnn_weights(k)
            if self.nonlinearity in _FUSED:
                params = [w["weight_ih"], w["weight_hh"], w["bias_ih"], w["bias_hh"]]
                out, h_last = _FUSED[self.nonlinearity](layer_input, hx[k:k + 1], params, True, 1, 0.0,
                                                        self.training, False, False)
                h_last = h_last[0]
            else:
                a_x = torch.addmm(w["bias_ih"], layer_input.flatten(0, 1), w["weight_ih"].T).view(T, B, -1)
                u = getattr(self, f"u_l{k}")
                if self.nonlinearity == "linear":
                    out = diagonal_recurrence(u, a_x, hx[k])  # h_t = u ⊙ h_{t-1} + a_x,t
                else:
                    h, steps = hx[k], []
                    for t in range(T):
                        h = torch.sigmoid(a_x[t] + u * h)
                        steps.append(h)
                    out = torch.stack(steps)
                h_last, out = out[-1], out.view_as(out)  # separate branches, as the fused kernel returns them
            layer_input = out
            last.append(h_last)
        return layer_input, torch.stack(last)

    def init_from(self, cfg: ProbeConfig, gen: torch.Generator) -> "IndRNN":
        """u from weight_scale s and init: orthogonal u_j = ±s (a diagonal orthogonal matrix, random signs,
        times s: spectral norm exactly s, as for the other cells), identity u_j = s, gaussian u_j ~ s N(0, 1),
        pytorch u_j ~ s U(0, 1) (Li et al.'s code: U(0, bound)). W ~ N(0, 1/I_k), b = 0 (under "pytorch" both
        U(±1/sqrt(H)), as nn.RNN)."""
        H, s = self.hidden_size, cfg.weight_scale
        with torch.no_grad():
            for k in range(self.num_layers):
                if cfg.init == "orthogonal":
                    u = s * torch.where(torch.rand(H, generator=gen, dtype=torch.float64) < 0.5, -1.0, 1.0)
                elif cfg.init == "identity":
                    u = torch.full((H,), s, dtype=torch.float64)
                elif cfg.init == "gaussian":
                    u = s * torch.randn(H, generator=gen, dtype=torch.float64)
                else:
                    u = s * torch.rand(H, generator=gen, dtype=torch.float64)
                getattr(self, f"u_l{k}").copy_(u)
                w = getattr(self, f"weight_ih_l{k}")
                w.copy_(input_weight(H, w.shape[1], H, cfg.init, gen))
                b = uniform(H, 1 / math.sqrt(H), gen) if cfg.init == "pytorch" else torch.zeros(H, dtype=torch.float64)
                getattr(self, f"bias_l{k}").copy_(b)
        return self
