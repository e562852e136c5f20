"""Recurrent cells with PyTorch's own parameter layout, and their initialisation.

`build_model(cfg)` returns `torch.nn.RNN` / `nn.LSTM` / `nn.GRU` (time-major, input (T, B, I)), or
`ElementwiseRNN` for the vanilla-RNN activations nn.RNN lacks (sigmoid, linear). ElementwiseRNN has
the same call signature and the same parameter names and shapes, so state_dicts move both ways.
The newer cells are `models.diagonal.MinGRU`, `MinLSTM`, `LRU` and `models.indrnn.IndRNN`, called the same way.

The per-step maths of the three classic cells lives in `models/recurrence.py`; this file only builds modules.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .activations import ACTIVATION_FNS, ACTIVATION_GAMMA  # noqa: F401 (ACTIVATION_GAMMA: imported from here)
from .config import GATE_NAMES, ProbeConfig
from .diagonal import MinGRU, MinLSTM, StackedRNN, rnn_attributes
from .indrnn import IndRNN
from .lru import LRU
from .init import input_weight, orthogonal, uniform


NEWER_MODULES = {"mingru": MinGRU, "minlstm": MinLSTM, "indrnn": IndRNN, "lru": LRU}


class ElementwiseRNN(nn.Module):
    """Vanilla RNN h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) for any phi in ACTIVATION_FNS.

    Same parameters as nn.RNN (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}),
    same call: forward(input (T, B, I), hx (layers, B, H) = zeros) -> (output (T, B, H), h_n).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "sigmoid", bias: bool = True, device=None, dtype=None):
        super().__init__()
        rnn_attributes(self, input_size, hidden_size, num_layers, nonlinearity, bias)
        for k in range(num_layers):
            in_k = input_size if k == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{k}", nn.Parameter(torch.empty(hidden_size, in_k, device=device, dtype=dtype)))
            self.register_parameter(f"weight_hh_l{k}", nn.Parameter(torch.empty(hidden_size, hidden_size, device=device, dtype=dtype)))
            if bias:
                self.register_parameter(f"bias_ih_l{k}", nn.Parameter(torch.empty(hidden_size, device=device, dtype=dtype)))
                self.register_parameter(f"bias_hh_l{k}", nn.Parameter(torch.empty(hidden_size, device=device, dtype=dtype)))
        if device is None or torch.device(device).type != "meta":
            self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)  # nn.RNN's default
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound)

    def forward(self, input: torch.Tensor, hx: torch.Tensor | None = None):
        phi = ACTIVATION_FNS[self.nonlinearity]
        T, B, _ = input.shape
        if hx is None:
            hx = input.new_zeros(self.num_layers, B, self.hidden_size)
        layer_input, last = input, []
        for k in range(self.num_layers):
            w_ih, w_hh = getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")
            a_x = layer_input @ w_ih.T  # (T, B, H), all steps in one matmul
            if self.bias:
                a_x = a_x + getattr(self, f"bias_ih_l{k}") + getattr(self, f"bias_hh_l{k}")
            h, outputs = hx[k], []
            for t in range(T):
                h = phi(a_x[t] + h @ w_hh.T)
                outputs.append(h)
            layer_input = torch.stack(outputs)  # (T, B, H)
            last.append(h)
        return layer_input, torch.stack(last)


def model_spec(model: nn.Module) -> dict:
    """cell, activation, input_size, hidden_size, num_layers, bias of a supported recurrent module."""
    if isinstance(model, nn.LSTM):
        cell, activation = "lstm", "tanh"
    elif isinstance(model, nn.GRU):
        cell, activation = "gru", "tanh"
    elif isinstance(model, nn.RNN):
        cell, activation = "rnn", model.nonlinearity
    elif isinstance(model, ElementwiseRNN):
        cell, activation = "rnn", model.nonlinearity
    elif isinstance(model, StackedRNN):
        cell, activation = model.cell, model.nonlinearity
    else:
        raise ValueError(f"unsupported model {type(model).__name__}: expected nn.RNN, nn.LSTM, nn.GRU, "
                         "models.ElementwiseRNN, or a MinGRU, MinLSTM, IndRNN or LRU of this package")
    return {"cell": cell, "activation": activation, "input_size": model.input_size,
            "hidden_size": model.hidden_size, "num_layers": model.num_layers, "bias": model.bias,
            "proj_size": getattr(model, "proj_size", 0), "bidirectional": bool(getattr(model, "bidirectional", False))}


def layer_weights(model: nn.Module, layer: int, suffix: str = "") -> dict[str, torch.Tensor]:
    """weight_ih, weight_hh, bias_ih, bias_hh of one layer (zero biases when the module has none), and
    weight_hr for an LSTM with proj_size (h_t = W_hr (o_t * tanh(c_t))). suffix "_reverse": the reverse direction.
    An IndRNN's layer as the vanilla RNN it is, with weight_hh = diag(u)."""
    if isinstance(model, IndRNN):
        return model.rnn_weights(layer)
    w_ih, w_hh = getattr(model, f"weight_ih_l{layer}{suffix}"), getattr(model, f"weight_hh_l{layer}{suffix}")
    zeros = w_hh.new_zeros(w_hh.shape[0])
    weights = {
        "weight_ih": w_ih, "weight_hh": w_hh,
        "bias_ih": getattr(model, f"bias_ih_l{layer}{suffix}", None) if model.bias else zeros,
        "bias_hh": getattr(model, f"bias_hh_l{layer}{suffix}", None) if model.bias else zeros,
    }
    if getattr(model, "proj_size", 0):
        weights["weight_hr"] = getattr(model, f"weight_hr_l{layer}{suffix}")
    return weights


def _recurrent_block(cfg: ProbeConfig, gen: torch.Generator) -> torch.Tensor:
    """One H x H gate block of weight_hh. orthogonal/identity: spectral norm exactly weight_scale."""
    H, s = cfg.hidden_size, cfg.weight_scale
    if cfg.init == "orthogonal":
        return s * orthogonal(H, gen)
    if cfg.init == "identity":
        return s * torch.eye(H, dtype=torch.float64)
    if cfg.init == "gaussian":
        return torch.randn(H, H, generator=gen, dtype=torch.float64) * (s / math.sqrt(H))
    return uniform((H, H), 1.0 / math.sqrt(H), gen) * s  # "pytorch": nn.RNN/LSTM/GRU default U(-1/sqrt(H), 1/sqrt(H))


def init_weights(model: nn.Module, cfg: ProbeConfig) -> nn.Module:
    """Fill every parameter from cfg.seed (in float64, then cast), in place; returns the model.

    weight_hh: one `_recurrent_block` per gate. weight_ih: N(0, 1/fan_in) (U(+-1/sqrt(H)) under
    "pytorch"). Biases 0 (U(+-1/sqrt(H)) under "pytorch"), except the LSTM's forget gate:
    bias_ih[f] = forget_bias, bias_hh[f] = 0.
    """
    gen = torch.Generator().manual_seed(cfg.seed)
    if isinstance(model, StackedRNN):
        return model.init_from(cfg, gen)  # each newer cell's own rule, cited in its docstring
    H, blocks = cfg.hidden_size, len(GATE_NAMES[cfg.cell])
    bound = 1.0 / math.sqrt(H)
    with torch.no_grad():
        for k in range(cfg.num_layers):
            w = layer_weights(model, k)
            fan_in = w["weight_ih"].shape[1]
            w["weight_hh"].copy_(torch.cat([_recurrent_block(cfg, gen) for _ in range(blocks)]))
            w_ih = input_weight(blocks * H, fan_in, H, cfg.init, gen)
            if cfg.init == "pytorch":
                b = uniform((2, blocks * H), bound, gen)
            else:
                b = torch.zeros(2, blocks * H, dtype=torch.float64)
            if cfg.cell == "lstm":
                b[0, H:2 * H], b[1, H:2 * H] = cfg.forget_bias, 0.0  # block order i, f, g, o
            w["weight_ih"].copy_(w_ih)
            w["bias_ih"].copy_(b[0])
            w["bias_hh"].copy_(b[1])
    return model


def empty_model(cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                activation: str = "tanh", dtype: torch.dtype = torch.float32, proj_size: int = 0,
                bidirectional: bool = False) -> nn.Module:
    """An uninitialised module of the right class (weights are set by the caller).
    proj_size: LSTM only; bidirectional: nn.RNN/LSTM/GRU only."""
    extra = {"bidirectional": True} if bidirectional else {}
    if cell in NEWER_MODULES:
        if bidirectional or proj_size:
            raise ValueError(f"a {cell} is never bidirectional nor projected")
        cls, kwargs = NEWER_MODULES[cell], {"nonlinearity": activation}
    elif cell == "lstm":
        cls, kwargs = nn.LSTM, {"proj_size": proj_size, **extra}
    elif cell == "gru":
        cls, kwargs = nn.GRU, extra
    elif activation in ("tanh", "relu"):
        cls, kwargs = nn.RNN, {"nonlinearity": activation, **extra}
    elif bidirectional:
        raise ValueError(f"a bidirectional vanilla RNN with activation {activation!r} is not supported: "
                         "nn.RNN has only tanh and relu")
    else:
        cls, kwargs = ElementwiseRNN, {"nonlinearity": activation}
    # Built on the meta device, then given real (uninitialised) storage: no random fill, so
    # building a module never consumes the global RNG.
    model = cls(input_size, hidden_size, num_layers=num_layers, device="meta", dtype=dtype, **kwargs)
    return model.to_empty(device="cpu")


def build_model(cfg: ProbeConfig) -> nn.Module:
    """The module cfg describes, initialised from cfg.seed: nn.RNN / nn.LSTM / nn.GRU / ElementwiseRNN, or
    MinGRU / MinLSTM / IndRNN / LRU (each initialised by the rule its docstring cites)."""
    dtype = getattr(torch, cfg.dtype)
    model = empty_model(cfg.cell, cfg.input_size, cfg.hidden_size, cfg.num_layers, cfg.activation, dtype)
    return init_weights(model, cfg)


def parameter_count(model: nn.Module) -> int:
    """PyTorch's count: for one LSTM layer 4(n(m+n) + 2n), two bias vectors per gate."""
    return sum(p.numel() for p in model.parameters())


def seed_parameter_count(cell: str, input_size: int, hidden_size: int, num_layers: int = 1) -> int:
    """The tutorial “从 RNN 到 LSTM”'s count, one bias per gate: blocks * (n(m+n) + n) per layer; 4(n(m+n)+n) for an LSTM."""
    blocks, n = len(GATE_NAMES[cell]), hidden_size
    total = 0
    for k in range(num_layers):
        m = input_size if k == 0 else hidden_size
        total += blocks * (n * (m + n) + n)
    return total
