"""The app's one settings definition: `AppSettings`, each control's range, and URL parsing.

Every control's name is at once the dataclass field, the URL parameter and (prefixed) the widget
key. Ranges are the sliders' windows inside `models.config.LIMITS`. Pure Python: the Streamlit
side (reading the URL once, writing it back) is in `ui.sidebar`.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from models.config import ACTIVATIONS, CELLS, CLASSIC_CELLS, INITS, LIMITS, ProbeConfig

# The explorer's views below the fold (ui/probe_views.py): shut by default, computed and sent only when opened;
# `probe_show_<view>=true` in the URL opens one.
FOLDED_VIEWS = ("units", "gates", "contributions")
FOLDED_PARAMS = frozenset(f"probe_show_{view}" for view in FOLDED_VIEWS)

# Recurrent weight scale: denser steps near 1, where vanishing turns into exploding.
WEIGHT_SCALES = (0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0,
                 1.05, 1.1, 1.2, 1.3, 1.5, 1.75, 2.0, 2.5, 3.0)


@dataclass(frozen=True)
class Control:
    """One control: kind int/float (slider lo..hi by step), grid (one of `options`), choice, multi."""

    kind: str
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    options: tuple = ()

    def allowed(self) -> str:
        if self.kind in ("int", "float"):
            return f"{self.lo:g} to {self.hi:g}" + (f" in steps of {self.step:g}" if self.step != 1 else "")
        if self.kind == "grid":
            return f"{self.options[0]:g} to {self.options[-1]:g}"
        return ", ".join(map(str, self.options))


def _window(name: str, lo, hi):
    """A slider window clipped to the engine's limits for `name`."""
    return max(lo, LIMITS[name][0]), min(hi, LIMITS[name][1])


CONTROLS = {
    "cells": Control("multi", options=CELLS),
    "seq_len": Control("int", *_window("seq_len", 1, 1000), step=1),
    "hidden_size": Control("int", *_window("hidden_size", 1, 256), step=1),
    "num_layers": Control("int", *LIMITS["num_layers"], step=1),
    "batch_size": Control("int", *_window("batch_size", 1, 64), step=1),
    "weight_scale": Control("grid", options=WEIGHT_SCALES),
    "init": Control("choice", options=INITS),
    "activation": Control("choice", options=ACTIVATIONS),
    "forget_bias": Control("float", *_window("forget_bias", -5.0, 5.0), step=0.5),
    "input_scale": Control("float", *_window("input_scale", 0.0, 5.0), step=0.1),
    "seed": Control("int", *_window("seed", 0, 10**6), step=1),
    "language": Control("choice", options=("en", "zh")),
}


@dataclass(frozen=True)
class AppSettings:
    """Everything the sidebar sets. Frozen: one value per rerun, safe to pass around and hash."""

    cells: tuple[str, ...] = CLASSIC_CELLS  # shown side by side on the same inputs and seed
    seq_len: int = 100  # T
    hidden_size: int = 32  # H
    num_layers: int = 1  # stacked layers
    batch_size: int = 8  # B sequences: the band in view 1 is their min-max
    weight_scale: float = 1.0  # spectral norm of each recurrent gate block
    init: str = "orthogonal"  # how W_hh is drawn
    activation: str = "tanh"  # vanilla RNN's phi
    forget_bias: float = 1.0  # LSTM forget-gate bias
    input_scale: float = 1.0  # x_t ~ input_scale * N(0, 1)
    seed: int = 0  # weights, inputs and readout
    language: str = "en"  # en | zh

    def probe_config(self, cell: str) -> ProbeConfig:
        """The engine's settings for one cell (raises ValueError past the engine's memory cap)."""
        fields = {f.name for f in dataclasses.fields(ProbeConfig)}
        values = {k: v for k, v in dataclasses.asdict(self).items() if k in fields}
        return ProbeConfig(cell=cell, **values)

    def replace(self, **changes) -> "AppSettings":
        return dataclasses.replace(self, **changes)


DEFAULTS = AppSettings()


@dataclass(frozen=True)
class BadParam:
    """A URL parameter that could not be used as given, and what was used instead."""

    name: str
    value: str
    allowed: str
    used: object

    def message(self, zh: bool = False) -> str:
        used = ",".join(self.used) if isinstance(self.used, tuple) else self.used
        if zh:
            return f"URL 参数 {self.name}={self.value!r} 无效(允许:{self.allowed}),已使用 {used}。"
        return f"URL parameter {self.name}={self.value!r} is not valid (allowed: {self.allowed}); using {used}."


def parse_value(name: str, raw: str):
    """The value of URL parameter `name`, or raise ValueError when it is outside the control's range."""
    c, raw = CONTROLS[name], str(raw).strip()
    if c.kind == "multi":
        items = tuple(x.strip().lower() for x in raw.split(",") if x.strip())
        if not items or any(x not in c.options for x in items):
            raise ValueError(raw)
        return tuple(x for x in c.options if x in items)  # canonical order, no repeats
    if c.kind == "choice":
        if raw not in c.options:
            raise ValueError(raw)
        return raw
    number = float(raw)  # ValueError on garbage
    if not math.isfinite(number):
        raise ValueError(raw)
    if c.kind == "grid":
        if not c.options[0] <= number <= c.options[-1]:
            raise ValueError(raw)
        return min(c.options, key=lambda o: abs(o - number))
    if not c.lo <= number <= c.hi:
        raise ValueError(raw)
    if c.kind == "int":
        if not number.is_integer():
            raise ValueError(raw)
        return int(number)
    return round(c.lo + round((number - c.lo) / c.step) * c.step, 10)


def parse_query(params: dict) -> tuple[AppSettings, list[BadParam]]:
    """URL parameters -> settings; every bad or off-grid value falls back and is reported."""
    values, bad = {}, []
    for name in CONTROLS:
        if name not in params:
            continue
        raw = params[name]
        default = getattr(DEFAULTS, name)
        try:
            value = parse_value(name, raw)
        except ValueError:
            bad.append(BadParam(name, str(raw), CONTROLS[name].allowed(), default))
            continue
        if CONTROLS[name].kind in ("grid", "float") and not math.isclose(value, float(raw)):
            bad.append(BadParam(name, str(raw), CONTROLS[name].allowed(), value))  # snapped to the grid
        values[name] = value
    return DEFAULTS.replace(**values), bad


def parse_hide(raw: str | None) -> tuple[frozenset[str], list[str]]:
    """`?hide=weight_scale,init` -> (names to hide, unknown names)."""
    names = [x.strip() for x in (raw or "").split(",") if x.strip()]
    return frozenset(n for n in names if n in CONTROLS), [n for n in names if n not in CONTROLS]


def format_value(value) -> str:
    """URL text for a setting: cells comma-joined, floats without trailing zeros."""
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_query(settings: AppSettings) -> dict[str, str]:
    """settings -> URL parameters; `parse_query(to_query(s))` gives back s."""
    return {name: format_value(getattr(settings, name)) for name in CONTROLS}
