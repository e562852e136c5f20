"""Train RNN, LSTM and GRU (or any cell of models.config.CELLS, or the RNN with W_hh kept orthogonal) side by
side on one task, recording how the gradient flow changes.

`Trainer(cfg).run(on_step, stop)` trains `build_model` + a head (`models.nets.Net`) per cell with Adam, on the
*same* batches (one seeded stream), optionally clipping the gradient norm. Per step it records the
loss, the task metric and the raw (pre-clipping) gradient norm; every `snapshot_every` steps the
gradient-flow snapshot ||dL_b/dh_t|| on a fixed set of samples. It reports through
`on_step(step, loss, snapshot)`, never through a UI, and holds no state outside the Trainer (the
per-server cap on concurrent trainings lives with the app, in `ui.train_job`).
"""
from __future__ import annotations

import dataclasses
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from .cells import build_model
from .indrnn import IndRNN
from .config import ACTIVATIONS, CLASSIC_CELLS, INITS, ProbeConfig
from .nets import AUTO_ACTIVATION, DEFAULT_ACTIVATION, HEADS, TRAIN_CELLS, Net, base_cell, keep_orthogonal
from .probe import probe
from .tasks import ADDING_TOLERANCE, Task, make_task

TEST_SEED_OFFSET = 1_000_003  # the test samples come from their own stream, never seen in training
SNAPSHOT_SEED_OFFSET = 2  # the fixed samples the gradient-flow snapshots are taken on
HEAD_SEED_OFFSET = 3
MAX_STEP_ELEMENTS = 20_000_000  # T * B * H * layers * cells of one training step (memory and time cap)
LIMITS = {"seq_len": (2, 1000), "hidden_size": (1, 256), "num_layers": (1, 4), "batch_size": (1, 256),
          "steps": (1, 100_000), "lr": (1e-5, 1.0), "clip_value": (1e-3, 1e3), "forget_bias": (-10.0, 10.0),
          "num_classes": (2, 64), "noise": (0.0, 10.0), "snapshot_every": (1, 10_000),
          "snapshot_samples": (1, 64), "max_seconds": (0.1, 3600.0), "eval_samples": (1, 10_000),
          "seed": (0, 2**31 - 1)}


@dataclass(frozen=True)
class TrainConfig:
    """One training run of several cells. Frozen and hashable; ValueError names the value to change."""

    task: str = "adding"  # adding | recall | sine | series
    cells: tuple[str, ...] = CLASSIC_CELLS  # trained side by side on identical batches (models.nets.TRAIN_CELLS)
    seq_len: int = 50  # T, the dependency length
    hidden_size: int = 64  # H
    num_layers: int = 1
    batch_size: int = 64
    steps: int = 2000  # upper bound; max_seconds and Stop may end the run earlier
    lr: float = 3e-3  # Adam
    clip: bool = True  # clip the total gradient norm to clip_value
    clip_value: float = 1.0
    init: str = "pytorch"  # nn.LSTM's own U(-1/sqrt(H), 1/sqrt(H)), see models.cells.init_weights
    forget_bias: float = 1.0  # LSTM: total forget-gate bias at initialisation; minGRU, minLSTM: their gate bias
    activation: str = AUTO_ACTIVATION  # RNN and IndRNN phi, LRU between layers; "auto": tanh, IndRNN relu
    head: str = "linear"  # linear | mlp (models.nets.Net)
    num_classes: int = 8  # recall: K symbols, chance 1/K
    noise: float = 1.0  # sine: std of the N(0, 1) noise of “LSTM-循环神经网络(下)”'s series
    snapshot_every: int = 25  # gradient-flow snapshot every k steps (and at step 0 and the end)
    snapshot_samples: int = 8  # fixed samples the snapshot averages over
    max_seconds: float = 60.0
    eval_samples: int = 1000  # fresh test samples for the final metric
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.cells or any(c not in TRAIN_CELLS for c in self.cells) or len(set(self.cells)) != len(self.cells):
            raise ValueError(f"cells={self.cells!r} must be distinct names from {', '.join(TRAIN_CELLS)}")
        for name, allowed in (("init", INITS), ("activation", (AUTO_ACTIVATION,) + ACTIVATIONS), ("head", HEADS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}={getattr(self, name)!r} is not one of {', '.join(allowed)}")
        if "lru" in self.cells and self.hidden_size % 2:
            raise ValueError(f"hidden_size={self.hidden_size}: the LRU needs an even hidden size (H/2 complex units)")
        for name, (lo, hi) in LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{name}={value!r} must be a number in [{lo}, {hi}]")
            if isinstance(lo, int) and not float(value).is_integer():
                raise ValueError(f"{name}={value!r} must be a whole number in [{lo}, {hi}]")
            if not lo <= value <= hi:
                raise ValueError(f"{name}={value!r} is out of range: allowed [{lo}, {hi}]")
            object.__setattr__(self, name, type(lo)(value))
        object.__setattr__(self, "cells", tuple(self.cells))
        size = self.seq_len * self.batch_size * self.hidden_size * self.num_layers * len(self.cells)
        if size > MAX_STEP_ELEMENTS:
            raise ValueError(f"seq_len x batch_size x hidden_size x num_layers x cells = {size:,} is over the "
                             f"cap {MAX_STEP_ELEMENTS:,}; lower batch_size, seq_len or hidden_size")

    def probe_config(self, cell: str, input_size: int) -> ProbeConfig:
        """The engine's config for one cell's recurrent module (batch = the snapshot samples)."""
        cell = base_cell(cell)
        activation = DEFAULT_ACTIVATION.get(cell, "tanh") if self.activation == AUTO_ACTIVATION else self.activation
        return ProbeConfig(cell=cell, seq_len=self.seq_len, hidden_size=self.hidden_size, input_size=input_size,
                           num_layers=self.num_layers, init=self.init, forget_bias=self.forget_bias,
                           activation=activation, batch_size=self.snapshot_samples, seed=self.seed)

    def replace(self, **changes) -> "TrainConfig":
        return dataclasses.replace(self, **changes)


# One-click runs, each measured with `python -m bench.train --preset NAME` (numbers in the README).
PRESETS = {
    # The lesson: RNN stays at the baseline 1/6, GRU then LSTM (forget bias 1) solve it.
    "adding": TrainConfig(task="adding", seq_len=50, hidden_size=64, batch_size=64, steps=1500, lr=3e-3,
                          clip=True, clip_value=1.0, max_seconds=60.0),
    # The contrast: a short-range task (“LSTM-循环神经网络(下)”'s series) that every cell learns, down to the noise floor.
    "sine": TrainConfig(task="sine", seq_len=10, hidden_size=32, batch_size=64, steps=500, lr=3e-3, max_seconds=60.0),
    # Not the textbook picture: only the LSTM leaves chance, and how far depends on the seed (README).
    "recall": TrainConfig(task="recall", seq_len=20, hidden_size=64, batch_size=64, steps=1500, lr=1e-3,
                          max_seconds=60.0),
    # After the LSTM, on the lesson's adding problem: which of the newer cells learn it, and the one-layer LRU that cannot.
    "after_lstm": TrainConfig(task="adding", cells=("lstm", "mingru", "minlstm", "indrnn", "lru"), seq_len=50,
                              hidden_size=64, batch_size=64, steps=1500, lr=3e-3, clip=True, clip_value=1.0,
                              max_seconds=120.0),
    # W_hh kept orthogonal while it learns (Arjovsky et al. 2016's line) beside the plain tanh RNN.
    "orthogonal": TrainConfig(task="adding", cells=("rnn", "rnn_orthogonal"), seq_len=50, hidden_size=64,
                              batch_size=64, steps=1500, lr=3e-3, clip=True, clip_value=1.0, max_seconds=60.0),
}


def task_loss(task: Task, pred: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """MSE for regression, cross-entropy for classification."""
    if task.kind == "classification":
        return nn.functional.cross_entropy(pred, y, reduction=reduction)
    return nn.functional.mse_loss(pred, y, reduction=reduction)


def task_metric(task: Task, pred: torch.Tensor, y: torch.Tensor) -> float:
    """accuracy: argmax = y, or |pred - y| < 0.04 (adding); r2: 1 - mean (pred - y)^2 / Var y."""
    if task.kind == "classification":
        return (pred.argmax(-1) == y).float().mean().item()
    if task.metric == "accuracy":
        return ((pred - y).abs() < ADDING_TOLERANCE).float().mean().item()
    return 1 - ((pred - y) ** 2).mean().item() / max(y.var(unbiased=False).item(), 1e-12)


@dataclass
class History:
    """One cell's record. Lists grow while training; read them through `Trainer.progress()`."""

    loss: list = dataclasses.field(default_factory=list)  # training-batch loss per step
    metric: list = dataclasses.field(default_factory=list)  # training-batch metric per step
    grad_norm: list = dataclasses.field(default_factory=list)  # ||grad||_2 of all parameters, before clipping
    snapshot_steps: list = dataclasses.field(default_factory=list)  # steps completed when each snapshot was taken
    snapshots: list = dataclasses.field(default_factory=list)  # (T,) mean over samples of ||dL_b/dh_t||
    seconds: float = 0.0  # wall time spent in this cell's training steps
    diverged_at: int | None = None  # first step whose loss or gradient was not finite (cell stopped there)
    test: dict | None = None  # {"loss", "metric"} on eval_samples fresh samples, after training


class Trainer:
    """The models, optimisers and histories of one run. `run()` may be called from a worker thread."""

    def __init__(self, cfg: TrainConfig, series: np.ndarray | None = None):
        self.cfg = cfg
        self.task = make_task(cfg.task, cfg.seq_len, cfg.num_classes, cfg.noise, series)
        self.nets = {c: self.initial_net(c) for c in cfg.cells}
        self.optims = {c: torch.optim.Adam(n.parameters(), lr=cfg.lr) for c, n in self.nets.items()}
        self.history = {c: History() for c in cfg.cells}
        self.step, self.seconds, self.stopped_by = 0, 0.0, None
        self._batches = torch.Generator().manual_seed(cfg.seed)
        self.snapshot_x, self.snapshot_y = self.task.batch(cfg.snapshot_samples,
                                                           torch.Generator().manual_seed(cfg.seed + SNAPSHOT_SEED_OFFSET))
        self._lock = threading.Lock()

    def initial_net(self, cell: str) -> Net:
        """The cell's network exactly as training starts it (rebuilt from the seed)."""
        rnn = build_model(self.cfg.probe_config(cell, self.task.input_size))
        if cell == "rnn_orthogonal":
            keep_orthogonal(rnn)
        return Net(rnn, self.task.output_size, torch.Generator().manual_seed(self.cfg.seed + HEAD_SEED_OFFSET),
                   self.cfg.head)

    def snapshot(self, cell: str) -> np.ndarray:
        """(T,): mean over the fixed samples of ||dL_b/dh_t||, L_b the task loss of sample b."""
        net, y = self.nets[cell], self.snapshot_y

        x = self.snapshot_x
        with torch.enable_grad():
            out, _ = net.rnn(x)
            h_top = out[-1].detach().requires_grad_(True)  # (B, H) h_T
            pred = net.head(h_top)
            loss = task_loss(self.task, pred.squeeze(-1) if pred.shape[-1] == 1 else pred, y, reduction="none")
            grad_h_T = torch.autograd.grad(loss.sum(), h_top)[0]  # dL_b/dh_T, (B, H)
        # the probe carries dL_b/dh_T back through time (backpropagation is linear in it)
        cfg = self.cfg.probe_config(cell, self.task.input_size).replace(seq_len=x.shape[0], batch_size=x.shape[1])
        return probe(cfg, model=net.rnn, inputs=x, readout=grad_h_T, paths=False).grad_h.mean(0)

    def _train_step(self, cell: str, x: torch.Tensor, y: torch.Tensor) -> float:
        net, opt, hist = self.nets[cell], self.optims[cell], self.history[cell]
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        pred = net(x)
        loss = task_loss(self.task, pred, y)
        loss.backward()
        params = [p for p in net.parameters() if p.grad is not None]
        norm = torch.nn.utils.get_total_norm([p.grad for p in params])  # raw, before clipping
        if not (torch.isfinite(loss) and torch.isfinite(norm)):
            hist.diverged_at = self.step  # keep the last finite weights; this cell stops here
        else:
            if self.cfg.clip:
                torch.nn.utils.clip_grads_with_norm_(params, self.cfg.clip_value, norm)
            opt.step()
            if isinstance(net.rnn, IndRNN):
                net.rnn.constrain_(self.cfg.seq_len)  # Li et al. 2018: |u_j| <= 2^(1/T)
        with torch.no_grad():
            metric = task_metric(self.task, pred.detach(), y)
        with self._lock:
            hist.loss.append(loss.item())
            hist.metric.append(metric)
            hist.grad_norm.append(norm.item())
            hist.seconds += time.perf_counter() - start
        return loss.item()

    def _take_snapshots(self) -> dict[str, np.ndarray]:
        snaps = {c: self.snapshot(c) for c in self.cfg.cells if self.history[c].diverged_at is None}
        with self._lock:
            for c, s in snaps.items():
                self.history[c].snapshot_steps.append(self.step)
                self.history[c].snapshots.append(s)
        return snaps

    def run(self, on_step: Callable | None = None, stop: threading.Event | None = None) -> "Trainer":
        """Train until cfg.steps, cfg.max_seconds or `stop`; then test every cell. Weights are kept.

        on_step(step, loss, snapshot): loss {cell: float}, snapshot {cell: (T,)} or None.
        """
        cfg, start = self.cfg, time.perf_counter()
        if self.step == 0:
            self._take_snapshots()
        while self.stopped_by is None:
            x, y = self.task.batch(cfg.batch_size, self._batches)
            losses = {c: self._train_step(c, x, y) for c in cfg.cells if self.history[c].diverged_at is None}
            self.step += 1
            snaps = None
            if self.step % cfg.snapshot_every == 0 or self.step == cfg.steps:
                snaps = self._take_snapshots()
            self.seconds = time.perf_counter() - start
            if on_step is not None:
                on_step(self.step, losses, snaps)
            if self.step >= cfg.steps:
                self.stopped_by = "steps"
            elif all(h.diverged_at is not None for h in self.history.values()):
                self.stopped_by = "diverged"
            elif self.seconds >= cfg.max_seconds:
                self.stopped_by = "time"
            elif stop is not None and stop.is_set():
                self.stopped_by = "stop"
        if self.step % cfg.snapshot_every and self.step != cfg.steps:  # the last step has no snapshot yet
            self._take_snapshots()
        for c in cfg.cells:
            self.history[c].test = self.evaluate(c)
        return self

    @torch.no_grad()
    def evaluate(self, cell: str, chunk: int = 250) -> dict:
        """Loss and metric on cfg.eval_samples fresh samples (their own seeded stream), in chunks."""
        gen = torch.Generator().manual_seed(self.cfg.seed + TEST_SEED_OFFSET)
        preds, ys = [], []
        for start in range(0, self.cfg.eval_samples, chunk):
            x, y = self.task.batch(min(chunk, self.cfg.eval_samples - start), gen, split="test")
            preds.append(self.nets[cell](x))
            ys.append(y)
        pred, y = torch.cat(preds), torch.cat(ys)
        return {"loss": task_loss(self.task, pred, y).item(), "metric": task_metric(self.task, pred, y)}

    def progress(self) -> dict[str, dict]:
        """A consistent copy of every history, safe to read while `run()` goes on in another thread."""
        with self._lock:
            return {c: {"loss": np.array(h.loss), "metric": np.array(h.metric), "grad_norm": np.array(h.grad_norm),
                        "snapshot_steps": np.array(h.snapshot_steps, dtype=int),
                        "snapshots": np.array(h.snapshots).reshape(len(h.snapshots), self.cfg.seq_len),
                        "diverged_at": h.diverged_at, "test": h.test}
                    for c, h in self.history.items()}
