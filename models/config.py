"""The one settings object of the engine: `ProbeConfig`, validated on construction.

Every range lives in `LIMITS` / `CHOICES` below, so the app's sliders, the CLI and the
validation read the same numbers. Nothing here touches torch modules or Streamlit.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

CLASSIC_CELLS = ("rnn", "lstm", "gru")  # 1997-2014: nn.RNN, nn.LSTM, nn.GRU
# 2018-2024: recurrences whose step Jacobian is diagonal (models/diagonal.py, lru.py, indrnn.py)
MODERN_CELLS = ("mingru", "minlstm", "indrnn", "lru")
DIAGONAL_CELLS = ("mingru", "minlstm", "lru")  # linear in h_{t-1}: one scan (models/diagonal_probe.py)
CELLS = CLASSIC_CELLS + MODERN_CELLS
CELL_GROUPS = {"1997–2014": CLASSIC_CELLS, "2018–2024": MODERN_CELLS}  # the app's cell pickers
INITS = ("orthogonal", "identity", "gaussian", "pytorch")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
DTYPES = ("float32", "float64")

# Gate blocks stacked in weight_hh, in PyTorch's order (docs of nn.RNN / nn.LSTM / nn.GRU); for the newer
# cells, the gates `ProbeResult.gates` reports (none for IndRNN and the LRU).
GATE_NAMES = {
    "rnn": ("hidden",),
    "lstm": ("input", "forget", "cell", "output"),  # i, f, g, o
    "gru": ("reset", "update", "new"),  # r, z, n
    "mingru": ("update",),  # z_t
    "minlstm": ("forget", "input"),  # f'_t, i'_t (normalised)
    "indrnn": (),
    "lru": (),
}
# The weights whose per-step gradient pieces ProbeResult.grad_w_steps reports (layer 0): those that set the
# recurrent factor. The newer cells' LaTeX-free names, for labels.
RECURRENT_WEIGHTS = {"rnn": "W_hh", "lstm": "W_hh", "gru": "W_hh", "mingru": "W_z", "minlstm": "W_f, W_i",
                     "indrnn": "u", "lru": "ν, θ"}
# (T, B, H)-sized blocks a probe holds per layer beyond its 6 working arrays (memory cap, probe_elements)
BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3, "mingru": 2, "minlstm": 3, "indrnn": 1, "lru": 3}

# What each control drives in each cell: the sidebar's labels, the sweep's ignored fields and the docs read
# this one table. (English, Chinese); None: the cell ignores the control.
CELL_CONTROLS = {
    "rnn": {"weight_scale": ("||W_hh||", "||W_hh||"), "init": ("W_hh", "W_hh"),
            "activation": ("φ of h_t = φ(W_ih x_t + W_hh h_{t-1})", "φ:h_t = φ(W_ih x_t + W_hh h_{t-1})"),
            "forget_bias": None},
    "lstm": {"weight_scale": ("||W_hh|| of each gate block", "各门块的 ||W_hh||"), "init": ("W_hh", "W_hh"),
             "activation": None, "forget_bias": ("bias of f_t", "f_t 的偏置")},
    "gru": {"weight_scale": ("||W_hh|| of each gate block", "各门块的 ||W_hh||"), "init": ("W_hh", "W_hh"),
            "activation": None, "forget_bias": None},
    "mingru": {"weight_scale": None, "init": ("W_z, W_h (pytorch: U(±1/√H), else N(0, 1/I))",
                                              "W_z、W_h(pytorch:U(±1/√H),其余:N(0, 1/I))"),
               "activation": None, "forget_bias": ("b: the copy factor 1 − z_t = σ(b − W_z x_t)",
                                                   "b:保留因子 1 − z_t = σ(b − W_z x_t)")},
    "minlstm": {"weight_scale": None, "init": ("W_f, W_i, W_h (pytorch: U(±1/√H), else N(0, 1/I))",
                                               "W_f、W_i、W_h(pytorch:U(±1/√H),其余:N(0, 1/I))"),
                "activation": None, "forget_bias": ("b_f = b, b_i = −b: f′_t = σ(b) at x = 0",
                                                    "b_f = b,b_i = −b:x = 0 时 f′_t = σ(b)")},
    "indrnn": {"weight_scale": ("max |u_j|", "max |u_j|"),
               "init": ("u: orthogonal ±s, identity s, gaussian s·N(0,1), pytorch s·U(0,1)",
                        "u:orthogonal ±s,identity s,gaussian s·N(0,1),pytorch s·U(0,1)"),
               "activation": ("φ of h_t = φ(W x_t + u ⊙ h_{t-1} + b)", "φ:h_t = φ(W x_t + u ⊙ h_{t-1} + b)"),
               "forget_bias": None},
    "lru": {"weight_scale": ("top of the |λ| ring [s − 0.1, s], s ≤ 0.999", "|λ| 环的上沿 [s − 0.1, s],s ≤ 0.999"),
            "init": None, "activation": ("φ between stacked layers", "堆叠层之间的 φ"), "forget_bias": None},
}

# Inclusive ranges; the app's sliders may show a narrower window of these.
LIMITS = {
    "seq_len": (1, 5000),
    "hidden_size": (1, 1024),
    "input_size": (1, 256),
    "num_layers": (1, 4),
    "batch_size": (1, 512),
    "weight_scale": (0.0, 10.0),
    "input_scale": (0.0, 100.0),
    "forget_bias": (-20.0, 20.0),
    "seed": (0, 2**31 - 1),
}
CHOICES = {"cell": CELLS, "init": INITS, "activation": ACTIVATIONS, "dtype": DTYPES}

# Memory cap for one probe: about this many floats held at once (8e7 float32 = 320 MB).
MAX_ELEMENTS = 80_000_000

# Sweeps (models/sweep.py): the ProbeConfig fields a phase diagram may vary, and its caps.
SWEEP_AXES = ("cell", "weight_scale", "seq_len", "forget_bias", "init", "activation", "hidden_size",
              "batch_size", "num_layers", "input_scale")
SWEEP_MAX_SEEDS = 100  # seeds per configuration
SWEEP_MAX_POINTS = 200_000  # rows of one table: configurations x seeds
# Cost in probe-units, T x B x H^2 x layers summed over the probes actually run (a cell that ignores
# an axis, e.g. the RNN and forget_bias, is probed once). One core does about 4e7 (GRU) to 2e8 (LSTM)
# units a second at H = 32, so the cap is one to a few hours on 2 cores.
SWEEP_MAX_COST = 1e12


def probe_elements(cell: str, seq_len: int, hidden_size: int, batch_size: int, num_layers: int,
                   input_size: int = 1) -> int:
    """Floats a probe holds at its peak: per layer, B*T*(gate blocks*H*3 + H*6) plus the input."""
    blocks = BLOCKS[cell]
    per_layer = batch_size * seq_len * hidden_size * (3 * blocks + 6)
    return num_layers * per_layer + batch_size * seq_len * input_size


@dataclass(frozen=True)
class ProbeConfig:
    """What to probe. Frozen and hashable, so it can key `st.cache_data` directly."""

    cell: str = "lstm"  # rnn | lstm | gru | mingru | minlstm | indrnn | lru (CELL_CONTROLS: what each reads)
    seq_len: int = 100  # T, timesteps the gradient travels back through
    hidden_size: int = 32  # H
    input_size: int = 1  # I
    num_layers: int = 1  # stacked layers, as nn.LSTM(num_layers=...)
    weight_scale: float = 1.0  # spectral norm of every recurrent gate block (orthogonal/identity); IndRNN max|u|, LRU |λ| ring
    init: str = "orthogonal"  # orthogonal | identity | gaussian | pytorch
    activation: str = "tanh"  # tanh | relu | sigmoid | linear: vanilla RNN and IndRNN phi, LRU between layers
    forget_bias: float = 1.0  # LSTM: total bias of the forget gate; minGRU, minLSTM: their gate bias
    input_scale: float = 1.0  # inputs x_t ~ input_scale * N(0, 1)
    batch_size: int = 8  # B independent sequences, each with its own loss L_b
    seed: int = 0  # weights, inputs and readout are all drawn from it
    dtype: str = "float32"  # float64 delays overflow in exploding runs

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(f"{name}={value!r} is not one of {', '.join(allowed)}")
        for name, (lo, hi) in LIMITS.items():
            value = getattr(self, name)
            field_type = type(lo)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name}={value!r} must be a number in [{lo}, {hi}]")
            if field_type is int and not float(value).is_integer():
                raise ValueError(f"{name}={value!r} must be a whole number in [{lo}, {hi}]")
            if not math.isfinite(value) or not lo <= value <= hi:
                raise ValueError(f"{name}={value!r} is out of range: allowed [{lo}, {hi}]")
            object.__setattr__(self, name, field_type(value))
        if self.cell == "lru" and self.hidden_size % 2:
            raise ValueError(f"hidden_size={self.hidden_size}: the LRU keeps H/2 complex units as h_t = [Re ; Im], "
                             f"so hidden_size must be even (e.g. {max(2, self.hidden_size - 1)} or {self.hidden_size + 1})")
        n = probe_elements(self.cell, self.seq_len, self.hidden_size, self.batch_size,
                           self.num_layers, self.input_size)
        if n > MAX_ELEMENTS:
            raise ValueError(
                f"seq_len x hidden_size x batch_size x num_layers is too large: this probe would hold "
                f"{n:,} values (cap {MAX_ELEMENTS:,}); lower batch_size, seq_len, hidden_size or num_layers")

    @property
    def gate_names(self) -> tuple[str, ...]:
        return GATE_NAMES[self.cell]

    def replace(self, **changes) -> "ProbeConfig":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
