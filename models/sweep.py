"""sweep(base, axes, seeds): probe every point of a grid and keep one row of summaries per (config, seed).

    table = sweep(ProbeConfig(seq_len=200, hidden_size=32),
                  {"cell": ["rnn", "lstm", "gru"], "weight_scale": [0.5, 1.0, 1.5]}, seeds=3)

A row holds every ProbeConfig field (the swept ones vary) and, from the batch mean g_t of
||dL_b/dh_t|| (t = 1..T, g_T = 1 because L_b = v . h_T):
- log10_grad_first = log10 g_1;
- horizon = min{k : g_{T-k} < 1e-3}, the steps back from T before the gradient first falls below 1e-3
  (T if it never does);
- decay_per_step = least-squares slope of log10 g_t against t over the finite, non-zero g_t: for
  g_t = s^(T-t) it is -log10 s (positive: the gradient shrinks going back);
- growth_per_step_max = max over samples b and t < T of log10(||dL_b/dh_t||) / (T - t), the steepest
  average growth per step seen from T: Pascanu et al. 2013's bound says <= log10(gamma ||W_hh||);
- the same three for the LSTM's ||dL_b/dc_t|| (`*_c`, NaN for other cells);
- gamma_w_norm = gamma ||W_hh||_2 of the top layer (vanilla RNN, and IndRNN: gamma max|u|; NaN otherwise);
- nonfinite = the probe's first non-finite timestep (0-based), -1 if none.
No per-config arrays are kept: a sweep's memory does not grow with T x B.

Where it runs: `workers=1` in this process; `workers=N` on a local process pool (one torch thread per
worker, no server; default N = the cores; processes start from a fork server, so a script calling
sweep() needs the usual `if __name__ == "__main__":` guard); `scheduler="tcp://host:8786"` (or a
`distributed.Client`) on an existing Dask cluster. Every path runs the same `run_chunk` with one torch thread, so the
tables are identical. `out=DIR` keeps each finished chunk in DIR/chunks/ (Parquet): a rerun skips
them, and Ctrl-C loses only the chunks in flight. What this file does not do: draw or cache anything.
"""
from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import math
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .cells import ACTIVATION_GAMMA, layer_weights
from .config import (CELL_CONTROLS, LIMITS, SWEEP_AXES, SWEEP_MAX_COST, SWEEP_MAX_POINTS, SWEEP_MAX_SEEDS,
                     ProbeConfig)
from .probe import probe
from .result import ProbeResult

HORIZON_LEVEL = 1e-3  # the gradient "has vanished" below this (g_T = 1)
CHUNK_SIZE = 16  # at most this many probes per chunk (a file under --out, a task on a worker)
MIN_CHUNKS = 32  # ... and at least this many chunks when there are enough probes: the workers stay balanced
CONFIG_COLUMNS = tuple(f.name for f in dataclasses.fields(ProbeConfig))
SUMMARY_COLUMNS = ("log10_grad_first", "horizon", "decay_per_step", "growth_per_step_max",
                   "log10_grad_c_first", "horizon_c", "decay_per_step_c", "gamma_w_norm", "nonfinite")
INT_SUMMARIES = ("horizon", "horizon_c", "nonfinite")  # horizon_c is -1 for cells without a cell state
# Fields a cell never reads (None in models.config.CELL_CONTROLS): points that differ only there share one probe.
IGNORED = {cell: tuple(f for f, meaning in controls.items() if meaning is None) for cell, controls in CELL_CONTROLS.items()}
_DEFAULTS = ProbeConfig()


# ---------------------------------------------------------------- summaries of one probe

def curve_summary(g: np.ndarray) -> tuple[float, int, float]:
    """g (T,) = ||dL/dh_t|| for t = 1..T -> (log10 g_1, horizon, decay_per_step); see the module docstring."""
    g = np.asarray(g, dtype=np.float64)
    T = len(g)
    with np.errstate(divide="ignore", invalid="ignore"):
        first = float(np.log10(g[0]))
        below = g[::-1] < HORIZON_LEVEL  # index k = steps back from T; NaN is never below
        horizon = int(np.argmax(below)) if below.any() else T
        ok = np.isfinite(g) & (g > 0)
        if ok.sum() < 2:
            return first, horizon, math.nan
        t = np.arange(1, T + 1, dtype=np.float64)[ok]
        y = np.log10(g[ok])
        tc = t - t.mean()
        slope = float((tc * (y - y.mean())).sum() / (tc * tc).sum())
    return first, horizon, slope


def growth_per_step_max(grad: np.ndarray) -> float:
    """grad (B, T) -> max over b and t < T of log10(grad[b, t]) / (T - t); NaN if T = 1 or nothing is finite."""
    B, T = grad.shape
    if T < 2:
        return math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.log10(np.asarray(grad[:, :-1], dtype=np.float64)) / np.arange(T - 1, 0, -1)  # (B, T-1)
    rate = rate[~np.isnan(rate)]
    return float(rate.max()) if rate.size else math.nan


def summarise(r: ProbeResult) -> dict:
    """One row of SUMMARY_COLUMNS from a probe result."""
    first, horizon, decay = curve_summary(r.grad_h.mean(0))
    row = {"log10_grad_first": first, "horizon": horizon, "decay_per_step": decay,
           "growth_per_step_max": growth_per_step_max(r.grad_h),
           "log10_grad_c_first": math.nan, "horizon_c": -1, "decay_per_step_c": math.nan,
           "gamma_w_norm": math.nan, "nonfinite": -1 if r.nonfinite is None else int(r.nonfinite)}
    if r.grad_c is not None:
        row["log10_grad_c_first"], row["horizon_c"], row["decay_per_step_c"] = curve_summary(r.grad_c.mean(0))
    if r.config.cell in ("rnn", "indrnn"):  # IndRNN: W_hh = diag(u), so gamma max|u|
        w_hh = layer_weights(r.model, r.config.num_layers - 1)["weight_hh"].detach().double()
        row["gamma_w_norm"] = ACTIVATION_GAMMA[r.config.activation] * torch.linalg.matrix_norm(w_hh, 2).item()
    return row


def run_chunk(configs: list[dict]) -> list[dict]:
    """Probe each config (as ProbeConfig.to_dict()) with one torch thread; the summaries, in order.

    One thread everywhere (here, in a pool worker, on a Dask worker) keeps every path's numbers
    bit for bit the same, and N workers on N cores from oversubscribing them."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return [summarise(probe(ProbeConfig(**c))) for c in configs]
    finally:
        torch.set_num_threads(threads)


# ---------------------------------------------------------------- the grid

@dataclass(frozen=True)
class Plan:
    """A validated grid: the rows (points), the distinct probes they need, and the cost."""

    base: ProbeConfig
    axes: dict  # name -> tuple of values, in the caller's order
    seeds: int
    points: list  # one ProbeConfig per row: axes' product (first axis outermost), seeds innermost
    probes: list  # distinct ProbeConfigs to run (ignored fields set to their defaults)
    probe_of: list  # row -> index into probes
    cost: float  # T x B x H^2 x layers summed over probes

    def describe(self) -> str:
        sizes = " x ".join(f"{len(v)} {k}" for k, v in self.axes.items())
        return (f"{len(self.points):,} points ({sizes}{f' x {self.seeds} seeds' if self.seeds > 1 else ''}), "
                f"{len(self.probes):,} probes, cost {self.cost:.3g} probe-units "
                f"(T x B x H^2 x layers, summed; cap {SWEEP_MAX_COST:.3g})")


def default_chunk_size(probes: int) -> int:
    """Up to CHUNK_SIZE probes a chunk, fewer for small grids so there are about MIN_CHUNKS tasks."""
    return min(CHUNK_SIZE, max(1, math.ceil(probes / MIN_CHUNKS)))


def probe_cost(cfg: ProbeConfig) -> float:
    return float(cfg.seq_len) * cfg.batch_size * cfg.hidden_size ** 2 * cfg.num_layers


def _canonical(cfg: ProbeConfig) -> ProbeConfig:
    """cfg with the fields its cell never reads set to the defaults: equal probes compare equal."""
    return cfg.replace(**{f: getattr(_DEFAULTS, f) for f in IGNORED[cfg.cell]})


def _axis_values(base: ProbeConfig, name: str, values) -> tuple:
    if name not in SWEEP_AXES:
        raise ValueError(f"unknown axis {name!r}: the axes are {', '.join(SWEEP_AXES)}")
    values = tuple(dict.fromkeys(values))  # in order, no repeats
    if not values:
        raise ValueError(f"axis {name} is empty: give it at least one value")
    for v in values:
        try:
            base.replace(**{name: v})
        except ValueError as err:
            raise ValueError(f"axis {name}: {err}") from None
    return values


def plan(base: ProbeConfig, axes: dict[str, list], seeds: int = 1) -> Plan:
    """Validate a grid (ValueError naming the axis or value to change) and count its cost."""
    axes = {name: _axis_values(base, name, values) for name, values in axes.items()}
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= SWEEP_MAX_SEEDS:
        raise ValueError(f"seeds={seeds!r}: give a whole number from 1 to {SWEEP_MAX_SEEDS}")
    if base.seed + seeds - 1 > LIMITS["seed"][1]:
        raise ValueError(f"seeds={seeds} from seed {base.seed} runs past the largest seed {LIMITS['seed'][1]}")
    n_points = math.prod(len(v) for v in axes.values()) * seeds
    if n_points > SWEEP_MAX_POINTS:
        biggest = max(axes, key=lambda k: len(axes[k]), default="seeds")
        raise ValueError(f"{n_points:,} points is past the cap of {SWEEP_MAX_POINTS:,}: "
                         f"give fewer values to {biggest} ({len(axes.get(biggest, ()))}) or fewer seeds ({seeds})")
    points, probes, probe_of, index = [], [], [], {}
    for combo in itertools.product(*axes.values()):
        try:
            cfg = base.replace(**dict(zip(axes, combo)))
        except ValueError as err:
            raise ValueError(f"at {dict(zip(axes, combo))}: {err}") from None
        for k in range(seeds):
            point = cfg.replace(seed=base.seed + k)
            key = _canonical(point)
            if key not in index:
                index[key] = len(probes)
                probes.append(key)
            points.append(point)
            probe_of.append(index[key])
    cost = sum(probe_cost(p) for p in probes)
    result = Plan(base, axes, seeds, points, probes, probe_of, cost)
    if cost > SWEEP_MAX_COST:
        big = [k for k in ("seq_len", "batch_size", "hidden_size") if k in axes] or ["seq_len", "batch_size", "hidden_size"]
        raise ValueError(f"{result.describe()} is past the cap: lower the largest {', '.join(big)}, "
                         f"or give fewer values to {', '.join(axes) or 'the axes'} or fewer seeds ({seeds})")
    return result


# ---------------------------------------------------------------- where chunks run

def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _one_thread() -> None:
    torch.set_num_threads(1)


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A pool for `sweep(workers=pool)`: processes forked from a clean server process that has imported
    torch once (fast starts, and never a fork of a caller whose threads hold locks, such as a Streamlit
    server), one torch thread each. A new process pays torch's first-call costs (about 1 s) on its first
    chunk, so callers that sweep often keep one pool."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["models.sweep"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_one_thread)


def _run_local(chunks: dict[int, list], workers: int | Executor) -> Iterator[tuple[int, list]]:
    if not isinstance(workers, Executor) and workers <= 1:
        for i, c in chunks.items():
            yield i, run_chunk(c)
        return
    own = not isinstance(workers, Executor)
    pool = local_pool(min(workers, len(chunks))) if own else workers
    pending = {}
    try:
        pending = {pool.submit(run_chunk, c): i for i, c in chunks.items()}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                yield pending.pop(f), f.result()
    finally:  # also on Ctrl-C or an error: drop what has not started, keep what finished
        for f in pending:
            f.cancel()
        if own:
            pool.shutdown(wait=True, cancel_futures=True)


def _check_cluster(client) -> None:
    """ValueError unless the scheduler and every worker can import this package (the scheduler
    unpickles the tasks, the workers run them): Dask would only say "Error during deserialization"."""
    def importable() -> bool:  # a local function: shipped by value, so it runs where `models` is missing
        import importlib.util
        try:
            return importlib.util.find_spec("models.sweep") is not None
        except ImportError:  # no package `models` at all
            return False

    missing = ([] if client.run_on_scheduler(importable) else ["the scheduler"]) + [
        f"worker {w}" for w, ok in client.run(importable).items() if not ok]
    if missing:
        root = Path(__file__).resolve().parent.parent
        raise ValueError(f"{', '.join(missing)} cannot import models.sweep: start the Dask scheduler and workers "
                         f"with this repository on their path (PYTHONPATH={root}) and requirements.txt installed")


def _run_dask(chunks: dict[int, list], scheduler, timeout: float | None) -> Iterator[tuple[int, list]]:
    from distributed import Client, as_completed  # only a cluster run needs Dask

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler, set_as_default=False)
    try:
        _check_cluster(client)
        n = len(chunks)  # submitted in order, first = highest priority
        futures = [client.submit(run_chunk, c, pure=False, priority=n - k) for k, c in enumerate(chunks.values())]
        index = {f.key: i for f, i in zip(futures, chunks)}
        try:
            for f, rows in as_completed(futures, loop=client.loop, with_results=True, timeout=timeout):
                yield index[f.key], rows
        finally:
            client.cancel(futures)
    finally:
        if client is not scheduler:
            client.close()


# ---------------------------------------------------------------- results on disk

def _frame(probe_ids: list[int], rows: list[dict]) -> pd.DataFrame:
    """Summaries of some probes, with fixed dtypes (the same whether fresh or read back)."""
    df = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    df.insert(0, "probe", np.asarray(probe_ids, dtype=np.int64))
    return df.astype({c: "int64" for c in INT_SUMMARIES} | {c: "float64" for c in SUMMARY_COLUMNS
                                                             if c not in INT_SUMMARIES})


def _settings(p: Plan, chunk_size: int) -> dict:
    return {"base": p.base.to_dict(), "axes": {k: list(v) for k, v in p.axes.items()}, "seeds": p.seeds,
            "chunk_size": chunk_size, "points": len(p.points), "probes": len(p.probes), "cost": p.cost,
            "horizon_level": HORIZON_LEVEL}


def _open_out(out: Path, p: Plan, chunk_size: int | None) -> int:
    """Create DIR (or check that it holds this very sweep); returns the chunk size to use."""
    out.mkdir(parents=True, exist_ok=True)
    meta = out / "sweep.json"
    if meta.exists():
        old = json.loads(meta.read_text())
        new = _settings(p, old["chunk_size"])
        if any(old.get(k) != new[k] for k in ("base", "axes", "seeds")):
            raise ValueError(f"{out} holds a different sweep (see {meta}): choose another output directory "
                             "or delete that one")
        if chunk_size not in (None, old["chunk_size"]):
            raise ValueError(f"{out} was started with chunk size {old['chunk_size']}: resume with that one")
        return int(old["chunk_size"])
    chunk_size = chunk_size or default_chunk_size(len(p.probes))
    tmp = meta.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(_settings(p, chunk_size), indent=1))
    os.replace(tmp, meta)
    return chunk_size


def _chunk_path(out: Path, i: int) -> Path:
    return out / "chunks" / f"chunk-{i:05d}.parquet"


def _save_chunk(out: Path, i: int, df: pd.DataFrame) -> None:
    path = _chunk_path(out, i)
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)  # whole files only: an interrupted write leaves no half chunk


def read_table(path: str | Path) -> pd.DataFrame:
    """A sweep table from DIR (its sweep.parquet or sweep.csv) or from one of those files."""
    path = Path(path)
    if path.is_dir():
        path = next((path / n for n in ("sweep.parquet", "sweep.csv") if (path / n).exists()), path / "sweep.parquet")
    if not path.exists():
        raise ValueError(f"no sweep table at {path}: give a directory written by `python -m models sweep --out`, "
                         "or its sweep.parquet / sweep.csv")
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


# ---------------------------------------------------------------- the sweep

def sweep(base: ProbeConfig, axes: dict[str, list], seeds: int = 1, *, workers: int | Executor | None = None,
          scheduler=None, out: str | Path | None = None, chunk_size: int | None = None,
          on_progress: Callable[[int, int], None] | None = None, timeout: float | None = None) -> pd.DataFrame:
    """One row per (point of the axes' product, seed), columns CONFIG_COLUMNS + SUMMARY_COLUMNS.

    seeds: n runs per point, seeds base.seed .. base.seed + n - 1. workers: processes of the local
    pool (default: the cores; 1 = this process), or a running pool (`local_pool(n)`). scheduler: a Dask scheduler address or Client (then
    `workers` is unused). out: a directory for resumable results, DIR/sweep.parquet and DIR/sweep.json.
    on_progress(done, total): probes finished so far (those found in `out` count), after each chunk.
    timeout: seconds a Dask run may take in all (then TimeoutError; finished chunks are kept in `out`).
    """
    p = plan(base, axes, seeds)
    out = Path(out) if out is not None else None
    chunk_size = _open_out(out, p, chunk_size) if out is not None else (chunk_size or default_chunk_size(len(p.probes)))
    ids = list(range(len(p.probes)))
    chunks = {i // chunk_size: ids[i:i + chunk_size] for i in range(0, len(ids), chunk_size)}
    frames = {}
    if out is not None:
        frames = {i: pd.read_parquet(_chunk_path(out, i)) for i in chunks if _chunk_path(out, i).exists()}
    # Costliest chunks first (longest-processing-time order): the last ones to finish are short,
    # so no worker waits long for another at the end.
    costs = {i: sum(probe_cost(p.probes[j]) for j in chunk) for i, chunk in chunks.items()}
    todo = {i: [p.probes[j].to_dict() for j in chunks[i]]
            for i in sorted(chunks, key=lambda i: -costs[i]) if i not in frames}
    done = sum(len(chunks[i]) for i in frames)
    if on_progress:
        on_progress(done, len(ids))
    if todo:
        runs = (_run_dask(todo, scheduler, timeout) if scheduler is not None
                else _run_local(todo, workers or cores()))
        with contextlib.closing(runs):  # on Ctrl-C, stop the pool now, not when the traceback is freed
            for i, rows in runs:
                frames[i] = _frame(chunks[i], rows)
                if out is not None:
                    _save_chunk(out, i, frames[i])
                done += len(rows)
                if on_progress:
                    on_progress(done, len(ids))
    summaries = pd.concat([frames[i] for i in sorted(frames)], ignore_index=True).set_index("probe")
    table = pd.DataFrame([pt.to_dict() for pt in p.points], columns=list(CONFIG_COLUMNS))
    table = pd.concat([table, summaries.loc[p.probe_of].reset_index(drop=True)], axis=1)
    if out is not None:
        table.to_parquet(out / "sweep.parquet", index=False)
    return table
