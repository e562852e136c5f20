"""Where the lesson's chapters get their numbers: the shared cached probes, or uncached while exporting.

`lesson_probe(cfg)` is `ui.cache.cached_probe` in the app. The offline export sweeps a knob through
all its options (21 weight scales, ...) and computes each frame's reveal too; inside `uncached()` it probes
without the shared cache, so an export does not push every other session's results out of the 12-entry
cache, and keeps its own results for the export's duration only (a frame's figure and its reveal read
the same probes). `uncached` is a ContextVar: it holds for the exporting thread only.
"""
from __future__ import annotations

import contextlib
import functools
from contextvars import ContextVar

import streamlit as st

from models import ProbeConfig, probe
from models.examples import toy_rnn_example
from models.lesson import clipping, vanishing_config
from models.wall import clipping_runs, surface

from .. import worker
from ..cache import cached_probe, freeze, jacobian_norms

_UNCACHED: ContextVar[dict | None] = ContextVar("lesson_uncached", default=None)  # the export's own results


@contextlib.contextmanager
def uncached():
    """Inside: every lesson number is computed afresh and kept for this export only (also off a script thread)."""
    token = _UNCACHED.set({})
    try:
        yield
    finally:
        _UNCACHED.reset(token)


def _own(key, compute):
    own = _UNCACHED.get()
    if key not in own:
        own[key] = compute()
    return own[key]


def shared(max_entries: int | None = None):
    """st.cache_data in the app; the export's own memo inside `uncached()` (no Streamlit call there)."""
    def wrap(fn):
        cached = st.cache_data(show_spinner=False, max_entries=max_entries)(fn)

        @functools.wraps(fn)
        def call(*args):
            return cached(*args) if _UNCACHED.get() is None else _own((fn.__name__, args), lambda: fn(*args))
        return call
    return wrap


def lesson_probe(cfg: ProbeConfig):
    if _UNCACHED.get() is None:
        return cached_probe(cfg)
    return _own(cfg, lambda: freeze(worker.run(probe, cfg)))


def jacobian_of(r):
    """r.jacobian_norm: in the app under the explorer's progress bar, block by block."""
    if _UNCACHED.get() is not None:
        return r.jacobian_norm
    return jacobian_norms({"r": r})["r"]


@shared(max_entries=64)
def cached_clipping(weight_scale: float, threshold: float) -> dict:
    """models.lesson.clipping for the linear RNN of chapter 3: arrays and floats only."""
    return worker.run(clipping, vanishing_config(weight_scale, "linear"), threshold)


@shared()
def worked_toy() -> dict:
    """The toy RNN with every weight 1 (the tutorial “史上最详细循环神经网络讲解”), computed by the engine."""
    return toy_rnn_example()


@shared()
def wall_surface() -> dict:
    """models.wall.surface(): Pascanu et al.'s one-unit RNN's E_50 over the (w, b) window (numpy arrays)."""
    return surface()


@shared(max_entries=32)
def wall_runs(threshold: float) -> dict:
    """models.wall.clipping_runs(threshold): gradient descent on E_50 without and with clipping at τ."""
    return clipping_runs(threshold)
