"""Probe results cached by their frozen `ProbeConfig`: a rerun with the same settings is free.

`st.cache_resource`, not `st.cache_data`, on purpose: the engine computes the Jacobian norms
lazily (`ProbeResult.jacobian_norm`, by far the slowest part) and memoises them on the result.
Sharing the one object keeps that memo across reruns and lets views 1-3 draw before view 4 asks
for it; a pickled copy per hit (cache_data) would recompute it on every rerun. The shared result
is read-only: its arrays are frozen here and nothing in the app assigns to it. Figures are never
cached, only arrays.

Under `make class` (several server processes) a layer on disk sits below it (`ui.disk_cache`, on when
$GRADIENT_FLOW_PROBE_CACHE names a directory): a probe one process computed, and its Jacobian norms once
computed, are read by the others instead of computed again. `make run`, one process, goes without it.
"""
from __future__ import annotations

import dataclasses
import threading

import numpy as np
import streamlit as st

from models import ProbeConfig, ProbeResult, probe
from viz.style import CELL_NAMES

from . import disk_cache, worker
from .i18n import tr
from .settings import AppSettings


def freeze(r: ProbeResult) -> ProbeResult:
    """A copy of r fit to share with every session: public arrays read-only, no torch module or
    tensors a page could change (the app reads none of them). The lazy jacobian_norm is read-only
    too once computed (models/result.py), which then drops its inputs. The per-step factors of
    dL/dW_hh (`w_hh_contributions`, not used by the app) are dropped here: with them a cached
    T = 1000, H = 256, B = 8 trio of cells held 280 MB, without them 190 MB, and 115 MB once view 4
    has its Jacobian norms."""
    arrays = [v for k, v in vars(r).items() if not k.startswith("_") and isinstance(v, np.ndarray)]
    for a in arrays + list(r.gates.values()):
        a.flags.writeable = False
    readout = r.readout.detach().numpy().copy()
    readout.flags.writeable = False
    return dataclasses.replace(r, model=None, inputs=None, readout=readout, _delta_h0=None, _h_prev0=None)


SMALL_HIDDEN = 128  # below this hidden size a probe's ops are too small to share between torch threads


def on_worker(cfg: ProbeConfig, fn, *args):
    """fn(*args) on a long-lived worker (ui/worker.py), on one torch thread for a small probe's work."""
    return (worker.run_small if cfg.hidden_size < SMALL_HIDDEN else worker.run)(fn, *args)


@st.cache_resource(max_entries=12, show_spinner=False)
def cached_probe(cfg: ProbeConfig) -> ProbeResult:
    """probe(cfg), shared read-only by every session; computed on a long-lived worker (ui/worker.py), or read
    from the machine's disk cache when another process computed it."""
    disk = disk_cache.shared()
    if disk is None:
        return freeze(on_worker(cfg, probe, cfg))
    return disk.get_or_compute(cfg, lambda: freeze(on_worker(cfg, probe, cfg)))


def _shared_jacobian(r: ProbeResult, store: bool) -> None:
    """With the disk cache: read r's Jacobian norms from it if another process stored them (store=False), or
    store the ones computed here (store=True). Only for results that came from it (`owns`): an uploaded
    model's result may have a cached probe's config."""
    disk = disk_cache.shared()
    if disk is not None and disk.owns(r):
        disk.store_jacobian_norm(r) if store else disk.attach_jacobian_norm(r)


def jacobian_norms(results: dict[str, ProbeResult]) -> dict[str, np.ndarray]:
    """label -> r.jacobian_norm, computed block by block on a worker under a progress bar.

    Between blocks the script writes to the page, which is where Streamlit stops a rerun that a newer
    slider change has made stale: a half-computed Jacobian never holds up the next redraw for more
    than one block. The memo is set only when a result's last block is done.
    """
    text, bar = tr("Computing Jacobian norms…", "正在计算雅可比范数…"), None
    for i, r in enumerate(results.values()):
        _shared_jacobian(r, store=False)
        blocks = r.jacobian_norm_progress()  # yields nothing when already known
        while (done := on_worker(r.config, next, blocks, None)) is not None:
            bar = bar or st.progress(0.0, text=text)
            bar.progress((i + done) / len(results), text=text)
        _shared_jacobian(r, store=True)
    if bar is not None:
        bar.empty()
    return {label: r.jacobian_norm for label, r in results.items()}


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


_WARM_LOCK = threading.Lock()
_warm_thread: list[threading.Thread] = []  # the warm-up once started in this process (no session data)


def warm_up(wait: bool = False) -> None:
    """Once per process: probe the explorer's default settings into the shared cache, with their Jacobian
    norms, on a background thread, so the first visitor's page finds them ready.

    A fresh server's first page spent ~2.5 s of its ~4-7 s in the first probes alone (torch's kernels and
    thread pools start cold; the same three probes take ~0.25 s warm); importing torch took another ~2.5 s.
    Called by `python -m scripts.serve` (what `make run` and `make class` start) before the server takes
    any session, so the cold start happens before anyone waits. Not called on import: under AppTest (which
    has a runtime too) a warm-up thread would outlive the test's worker pool.
    `wait=True` returns when it is done, whoever started it (for tests and `scripts.serve`'s second freeze).
    """
    with _WARM_LOCK:
        if not _warm_thread:
            _warm_thread.append(threading.Thread(target=_warm, name="warm-up", daemon=True))
            _warm_thread[0].start()
    if wait:
        _warm_thread[0].join()


def _warm() -> None:
    for cell in AppSettings().cells:
        r = cached_probe(AppSettings().probe_config(cell))
        disk = disk_cache.shared()
        if disk is None:
            on_worker(r.config, lambda: r.jacobian_norm)  # the memo lives on the shared result: view 6 finds it
        else:  # N processes start at once: one computes, the others read its file
            disk.jacobian_once(r, lambda: on_worker(r.config, lambda: r.jacobian_norm))

