"""The network training runs: a recurrent module (`build_model`) with a head on its last state.

What one training "arm" can be, beyond a cell of `models.config.CELLS`:
- `rnn_orthogonal`: the vanilla RNN with every W_hh kept orthogonal while it learns
  (`torch.nn.utils.parametrizations.orthogonal`), the unitary / orthogonal RNN line of Arjovsky, Shah & Bengio
  2016 ("Unitary evolution recurrent neural networks"): ||W_hh||_2 = 1 at every step, so the gradient cannot
  explode through W_hh, and it vanishes only as fast as tanh' < 1 makes it.
- head "mlp": y = W_2 tanh(W_1 h_T + b_1) + b_2 (hidden width 2H) instead of y = W h_T + b. The adding problem's
  target sum_t u_t m_t multiplies a value by its marker; a linear recurrence (the LRU) with a linear head is
  linear in the inputs and cannot compute it (README, "After the LSTM").
Nothing here trains; `models.training` does.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils import parametrizations, parametrize

from .config import CELLS

VARIANTS = {"rnn_orthogonal": "rnn"}  # training arm -> the cell it is built as
TRAIN_CELLS = tuple(arm for cell in CELLS for arm in (cell, *(v for v, base in VARIANTS.items() if base == cell)))
HEADS = ("linear", "mlp")
AUTO_ACTIVATION = "auto"
DEFAULT_ACTIVATION = {"indrnn": "relu"}  # "auto": Li et al.'s ReLU for IndRNN, tanh for the RNN and between LRU layers


def base_cell(arm: str) -> str:
    """The cell an arm is built as ("rnn_orthogonal" -> "rnn")."""
    return VARIANTS.get(arm, arm)


def keep_orthogonal(rnn: nn.Module) -> nn.Module:
    """Parametrise every weight_hh_l{k} of an nn.RNN as an orthogonal matrix (in place; returns it). The initial
    W_hh is replaced by the orthogonal matrix PyTorch's parametrisation derives from it."""
    for k in range(rnn.num_layers):
        parametrizations.orthogonal(rnn, f"weight_hh_l{k}")
    return rnn


def _linear(fan_in: int, fan_out: int, gen: torch.Generator) -> nn.Linear:
    """nn.Linear with its default range U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight, drawn from our seed; bias 0."""
    layer = nn.Linear(fan_in, fan_out)
    with torch.no_grad():
        bound = 1 / math.sqrt(fan_in)
        layer.weight.copy_((torch.rand(layer.weight.shape, generator=gen) * 2 - 1) * bound)
        layer.bias.zero_()
    return layer


class Net(nn.Module):
    """y = head(h_T) on top of the recurrent module: x (T, B, I) -> (B, K), or (B,) for regression.
    head "linear": W h_T + b; "mlp": W_2 tanh(W_1 h_T + b_1) + b_2."""

    def __init__(self, rnn: nn.Module, output_size: int, gen: torch.Generator, head: str = "linear"):
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"head={head!r} is not one of {', '.join(HEADS)}")
        H = rnn.hidden_size
        self.rnn = rnn
        self.head = _linear(H, output_size, gen) if head == "linear" else nn.Sequential(
            _linear(H, 2 * H, gen), nn.Tanh(), _linear(2 * H, output_size, gen))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)  # (T, B, H)
        y = self.head(out[-1])  # (B, K)
        return y.squeeze(-1) if y.shape[-1] == 1 else y


def plain_state_dict(net: nn.Module) -> dict:
    """The state_dict with every parametrised weight written as the weight it gives (weight_hh_l{k}, not
    parametrizations.weight_hh_l{k}.original): what `models.checkpoint` and torch.load read as a plain nn.RNN.
    The net is left as it is."""
    state = {k: v for k, v in net.state_dict().items() if ".parametrizations." not in f".{k}"}
    for prefix, module in net.named_modules():
        if parametrize.is_parametrized(module):
            for name in module.parametrizations:
                state[f"{prefix}.{name}" if prefix else name] = getattr(module, name).detach().clone()
    return state
