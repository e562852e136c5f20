"""Probe results cached by their frozen `ProbeConfig`: a rerun with the same settings is free.

`st.cache_resource`, not `st.cache_data`, on purpose: the engine computes the Jacobian norms
lazily (`ProbeResult.jacobian_norm`, by far the slowest part) and memoises them on the result.
Sharing the one object keeps that memo across reruns and lets views 1-3 draw before view 4 asks
for it; a pickled copy per hit (cache_data) would recompute it on every rerun. The shared result
is read-only: its arrays are frozen here and nothing in the app assigns to it. Figures are never
cached, only arrays.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from models import ProbeConfig, ProbeResult, probe
from viz.style import CELL_NAMES

from .i18n import tr
from .settings import AppSettings


def freeze(r: ProbeResult) -> ProbeResult:
    """A copy of r fit to share with every session: public arrays read-only, no torch module or
    tensors a page could change (the app reads none of them). The lazy jacobian_norm is read-only
    too once computed (models/result.py)."""
    arrays = [v for k, v in vars(r).items() if not k.startswith("_") and isinstance(v, np.ndarray)]
    for a in arrays + list(r.gates.values()):
        a.flags.writeable = False
    readout = r.readout.detach().numpy().copy()
    readout.flags.writeable = False
    return dataclasses.replace(r, model=None, inputs=None, readout=readout)


@st.cache_resource(max_entries=12, show_spinner=False)
def cached_probe(cfg: ProbeConfig) -> ProbeResult:
    """probe(cfg), shared read-only by every session."""
    return freeze(probe(cfg))


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
