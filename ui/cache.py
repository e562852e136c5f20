"""Probe results cached by their frozen `ProbeConfig`, so a rerun with the same settings is free.

What is cached is the `ProbeResult` with every lazily computed array filled in (the Jacobian
norms) and every private torch tensor dropped (the per-step factors of dL/dW_hh and the
Jacobian's inputs, needed only by the engine's own checks). That keeps the pickled copy Streamlit
hands back on every hit small. Figures are never cached, only arrays.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from models import ProbeResult, probe
from viz.style import CELL_NAMES

from .i18n import tr
from .settings import AppSettings


def arrays_only(r: ProbeResult) -> ProbeResult:
    """A copy of r without private tensors; lazy arrays are computed first so they survive."""
    _ = r.jacobian_norm  # computed on first access from private tensors
    private = {f.name: None for f in dataclasses.fields(r)
               if f.name.startswith("_") and not isinstance(getattr(r, f.name), np.ndarray)}
    return dataclasses.replace(r, **private)


@st.cache_data(max_entries=16, show_spinner=False)
def cached_probe(cfg) -> ProbeResult:
    """probe(cfg), arrays only."""
    return arrays_only(probe(cfg))


def run_probes(settings: AppSettings) -> tuple[dict[str, ProbeResult], dict[str, str]]:
    """(label -> result, label -> error message) for every selected cell, same inputs and seed."""
    results, errors = {}, {}
    with st.spinner(tr("Probing gradients…", "正在计算梯度…")):
        for cell in settings.cells:
            label = CELL_NAMES[cell]
            try:
                results[label] = cached_probe(settings.probe_config(cell))
            except ValueError as exc:  # outside the engine's ranges or memory cap
                errors[label] = str(exc)
    return results, errors
