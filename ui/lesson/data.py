"""Where the lesson's chapters get their numbers: the shared cached probes, or uncached while exporting.

`lesson_probe(cfg)` is `ui.cache.cached_probe` in the app. The offline export sweeps a knob through
all its options (21 weight scales, ...); inside `uncached()` it probes without the shared cache, so an
export does not push every other session's results out of the 12-entry cache. `uncached` is a
ContextVar: it holds for the exporting script thread only.
"""
from __future__ import annotations

import contextlib
from contextvars import ContextVar

import streamlit as st

from models import ProbeConfig, probe
from models.examples import toy_rnn_example
from models.lesson import clipping, vanishing_config

from .. import worker
from ..cache import cached_probe, freeze, jacobian_norms

_UNCACHED: ContextVar[bool] = ContextVar("lesson_uncached", default=False)


@contextlib.contextmanager
def uncached():
    token = _UNCACHED.set(True)
    try:
        yield
    finally:
        _UNCACHED.reset(token)


def lesson_probe(cfg: ProbeConfig):
    if _UNCACHED.get():
        return freeze(worker.run(probe, cfg))
    return cached_probe(cfg)


def jacobian_of(r):
    """r.jacobian_norm: in the app under the explorer's progress bar, block by block."""
    if _UNCACHED.get():
        return r.jacobian_norm
    return jacobian_norms({"r": r})["r"]


@st.cache_data(show_spinner=False, max_entries=64)
def cached_clipping(weight_scale: float, threshold: float) -> dict:
    """models.lesson.clipping for the linear RNN of chapter 3: arrays and floats only."""
    return worker.run(clipping, vanishing_config(weight_scale, "linear"), threshold)


@st.cache_data(show_spinner=False)
def worked_toy() -> dict:
    """Seed 002's toy RNN, computed by the engine: plain lists."""
    return toy_rnn_example()
