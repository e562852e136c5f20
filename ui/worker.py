"""The app's torch work runs on two long-lived threads, not on the thread of each Streamlit rerun.

Streamlit runs every rerun on a new thread, and torch's OpenMP pool starts cold on a new thread:
probing RNN, LSTM and GRU at T = 1000, H = 256, B = 8 took 1.45-1.75 s on a fresh thread per
rerun against 0.95 s on a thread that had probed before (same process, same machine, 2 cores).
So `run(fn, *args)` hands the call to a small pool of threads that live as long as the server and
waits for it. The pool is the only thing here shared across sessions; it holds no results.

Torch threads per task: the server's own count, or 1 while a training runs (`TrainingLimiter`
calls `set_threads`) or while the other worker is busy, so concurrent probes and trainings share the
cores instead of oversubscribing them (30 WebSocket sessions, think time 5 s, `scripts.ws_load`:
p95 change -> script finished 4.1 s with the server's count on both workers, 3.1 s with this rule,
2.9 s with OMP_NUM_THREADS=1 for every thread). `run_small` always uses 1: for work whose ops are too
small to share (a probe with H < 128), where a second thread gains nothing on a quiet machine and, on a
busy one, makes every op wait at OpenMP's barrier for a thread the scheduler has parked (2 cores at load
average 3-10: a trio of probes at T <= 300, H <= 64 took 23-318 ms with 2 threads, 24-67 ms with 1; at
T = 1000, H = 256 two threads took 0.30 s against 0.49 s).
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import torch

WORKERS = 2  # two sessions can probe at once; more would only split the same cores
_POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="torch-worker")
_IDLE_THREADS = torch.get_num_threads()
_threads = _IDLE_THREADS
_busy, _busy_lock = 0, threading.Lock()


def set_threads(n: int | None) -> None:
    """Torch threads for tasks started from now on; None restores the server's own count."""
    global _threads
    _threads = _IDLE_THREADS if n is None else max(1, int(n))


def _call(fn, args, kwargs, small=False):
    global _busy
    with _busy_lock:
        _busy += 1
        threads = 1 if _busy > 1 or small else _threads
    try:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)  # an OpenMP setting of this thread only
        return fn(*args, **kwargs)
    finally:
        with _busy_lock:
            _busy -= 1


def run(fn, *args, **kwargs):
    """fn(*args, **kwargs) on a worker thread; returns its value or raises its exception."""
    return _POOL.submit(_call, fn, args, kwargs).result()


def run_small(fn, *args, **kwargs):
    """`run`, on one torch thread (see the module docstring)."""
    return _POOL.submit(_call, fn, args, kwargs, True).result()
