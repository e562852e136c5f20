"""One session's training run in a worker thread, and the per-server cap on concurrent trainings.

`TrainJob` owns a `models.training.Trainer`, its thread and its stop flag; the page keeps the job in
`st.session_state`, so a run, its models and its history belong to one session only. The worker
never calls Streamlit: the page reads `job.trainer.progress()` when it redraws.

`TrainingLimiter` is the one object shared by all sessions of a server (made once by the page through
`st.cache_resource`): at most `slots` trainings run at once, each on `threads` torch threads, so
trainings cannot starve the probes of other users; further Starts wait in line, or are refused
politely after `queue_seconds`. A job whose page stopped asking for redraws (a closed tab) for
`idle_seconds` stops itself, so an abandoned session frees its slot and, with the session, its memory.

Torch's thread count: `torch.set_num_threads` caps the calling thread's OpenMP pool *and* sets the
count every thread started later begins with. So while a training runs, new threads get `threads`
too, and so do the app's long-lived probe workers (`ui.worker.set_threads`): one core each on a
2-core server. When the last training ends the limiter gives both the server's own count back.
"""
from __future__ import annotations

import threading
import time

import numpy as np
import torch

from models.training import TrainConfig, Trainer

from . import worker


class TrainingLimiter:
    """A counting semaphore with a polite wait: `acquire` gives up on timeout or when `stop` is set."""

    def __init__(self, slots: int = 2, threads: int = 1):
        self.slots, self.threads = slots, threads
        self.idle_threads = torch.get_num_threads()  # what new threads get when no training runs
        self._sem, self._lock, self._running = threading.BoundedSemaphore(slots), threading.Lock(), 0

    def acquire(self, stop: threading.Event, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not stop.is_set() and time.monotonic() < deadline:
            if self._sem.acquire(timeout=0.1):
                with self._lock:
                    self._running += 1
                    worker.set_threads(self.threads)  # probes share the cores with the training
                return True
        return False

    def release(self) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0:  # undo the training's cap for threads started from now on
                torch.set_num_threads(self.idle_threads)
                worker.set_threads(None)
        self._sem.release()

    @property
    def running(self) -> int:
        return self._running


class TrainJob:
    """status: queued -> running -> done (or stopped while queued, refused after the wait, error)."""

    def __init__(self, cfg: TrainConfig, limiter: TrainingLimiter, series: np.ndarray | None = None,
                 queue_seconds: float = 300.0, idle_seconds: float = 60.0):
        self.trainer = Trainer(cfg, series)  # ValueError here, in the page, before any thread starts
        self.cfg, self.limiter = cfg, limiter
        self.queue_seconds, self.idle_seconds = queue_seconds, idle_seconds
        self.stop_event = threading.Event()
        self.status, self.error = "queued", None
        self.last_seen = time.monotonic()
        self._thread = threading.Thread(target=self._work, name="train-job", daemon=True)

    def start(self) -> "TrainJob":
        self._thread.start()
        return self

    def _work(self) -> None:
        if not self.limiter.acquire(self.stop_event, self.queue_seconds):
            self.status = "stopped" if self.stop_event.is_set() else "refused"
            return
        try:
            torch.set_num_threads(self.limiter.threads)  # this thread, and threads started while it runs
            self.status = "running"
            self.trainer.run(on_step=self._on_step, stop=self.stop_event)
            self.status = "done"
        except Exception as exc:  # reported on the page instead of dying silently in a thread
            self.status, self.error = "error", f"{type(exc).__name__}: {exc}"
        finally:
            self.limiter.release()

    def _on_step(self, step: int, loss: dict, snapshot: dict | None) -> None:
        if time.monotonic() - self.last_seen > self.idle_seconds:
            self.stop_event.set()  # nobody is watching: the tab was closed

    def heartbeat(self) -> None:
        """Called on every redraw of the page: someone is still watching."""
        self.last_seen = time.monotonic()

    def stop(self) -> None:
        self.stop_event.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "stopped", "refused", "error") and not self._thread.is_alive()

    def fraction(self) -> float:
        """Progress in [0, 1]: steps done or time used, whichever is further."""
        t = self.trainer
        return min(1.0, max(t.step / self.cfg.steps, t.seconds / self.cfg.max_seconds))
