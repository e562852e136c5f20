"""The one settings object of the engine: `ProbeConfig`, validated on construction.

Every range lives in `LIMITS` / `CHOICES` below, so the app's sliders, the CLI and the
validation read the same numbers. Nothing here touches torch modules or Streamlit.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

CELLS = ("rnn", "lstm", "gru")
INITS = ("orthogonal", "identity", "gaussian", "pytorch")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
DTYPES = ("float32", "float64")

# Gate blocks stacked in weight_hh, in PyTorch's order (docs of nn.RNN / nn.LSTM / nn.GRU).
GATE_NAMES = {
    "rnn": ("hidden",),
    "lstm": ("input", "forget", "cell", "output"),  # i, f, g, o
    "gru": ("reset", "update", "new"),  # r, z, n
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
    blocks = len(GATE_NAMES[cell])
    per_layer = batch_size * seq_len * hidden_size * (3 * blocks + 6)
    return num_layers * per_layer + batch_size * seq_len * input_size


@dataclass(frozen=True)
class ProbeConfig:
    """What to probe. Frozen and hashable, so it can key `st.cache_data` directly."""

    cell: str = "lstm"  # rnn | lstm | gru
    seq_len: int = 100  # T, timesteps the gradient travels back through
    hidden_size: int = 32  # H
    input_size: int = 1  # I
    num_layers: int = 1  # stacked layers, as nn.LSTM(num_layers=...)
    weight_scale: float = 1.0  # spectral norm of every recurrent gate block (orthogonal/identity)
    init: str = "orthogonal"  # orthogonal | identity | gaussian | pytorch
    activation: str = "tanh"  # vanilla RNN only: tanh | relu | sigmoid | linear
    forget_bias: float = 1.0  # LSTM only: total bias of the forget gate
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
