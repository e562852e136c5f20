"""Training tasks whose difficulty is the distance the gradient must travel: seeded batch generators.

Every generator returns time-major inputs x (T, B, I) and targets y (B,) (float for regression,
long class ids for classification), drawn only from the `torch.Generator` it is given, so the three
cells can be fed identical batches. `make_task` bundles a generator with what training needs to
know (sizes, loss kind, the trivial predictor's loss). CSV parsing for "your own series" is here too.
This file does not train anything and does not know about Streamlit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

TASKS = ("adding", "recall", "sine", "series")
MAX_CSV_BYTES = 1_000_000  # an uploaded series larger than this is refused
MAX_SERIES_VALUES = 100_000
ADDING_TOLERANCE = 0.04  # Hochreiter & Schmidhuber 1997: a sequence counts as solved if |error| < 0.04
TEST_SPLIT = 0.2  # an uploaded series: the last 20% is held out for the test windows


def adding_batch(n: int, seq_len: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Adding problem: x_t = (u_t, m_t), u_t ~ U(0, 1), m_t = 1 at one t in [0, T/2) and one in [T/2, T).

    y = sum_t m_t u_t  -> x (T, n, 2), y (n,). Always predicting 1 gives MSE = Var(u1 + u2) = 1/6.
    """
    half = seq_len // 2
    values = torch.rand(seq_len, n, generator=gen)  # (T, n)
    first = torch.randint(0, half, (n,), generator=gen)
    second = torch.randint(half, seq_len, (n,), generator=gen)
    markers = torch.zeros(seq_len, n)
    cols = torch.arange(n)
    markers[first, cols] = 1.0
    markers[second, cols] = 1.0
    y = (values * markers).sum(0)
    return torch.stack([values, markers], dim=-1), y  # (T, n, 2), (n,)


def recall_batch(n: int, seq_len: int, num_classes: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Long-range recall ("I grew up in France ... I speak fluent ___", from “从 RNN 到 LSTM”).

    Tokens s_0 ~ U{0..K-1} (the symbol to remember), s_1..s_{T-2} ~ U{0..K-1} (distractors from the
    same alphabet), s_{T-1} = K (the query). x_t = one_hot(s_t, K + 1), y = s_0  -> x (T, n, K+1), y (n,).
    Chance accuracy is 1/K.
    """
    tokens = torch.randint(0, num_classes, (seq_len, n), generator=gen)  # (T, n)
    tokens[-1] = num_classes
    x = torch.nn.functional.one_hot(tokens, num_classes + 1).float()  # (T, n, K+1)
    return x, tokens[0].clone()


def sine_series(positions: torch.Tensor, noise: float, gen: torch.Generator) -> torch.Tensor:
    """The curve of “LSTM-循环神经网络(下)”: y = 3 sin x + cos 5x + noise * N(0, 1) + 6, at the given positions."""
    eps = torch.randn(positions.shape, generator=gen, dtype=torch.float64)
    return 3 * torch.sin(positions) + torch.cos(5 * positions) + noise * eps + 6


def sine_batch(n: int, seq_len: int, gen: torch.Generator, noise: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Windowed forecasting of “LSTM-循环神经网络(下)”'s series: positions x_0 + k, k = 0..T, x_0 ~ U(0, 2 pi).

    The window y_0..y_{T-1} predicts y_T. Values are standardised, z = (y - 6) / sqrt(5 + noise^2)
    (the series' mean and std: Var 3 sin = 4.5, Var cos 5x = 0.5), as the tutorial's BatchNorm does
    -> x (T, n, 1), y (n,). Predicting 0 gives MSE 1; the noise alone leaves noise^2 / (5 + noise^2).
    """
    start = torch.rand(n, generator=gen, dtype=torch.float64) * 2 * math.pi
    positions = start[None, :] + torch.arange(seq_len + 1, dtype=torch.float64)[:, None]  # (T+1, n)
    z = (sine_series(positions, noise, gen) - 6) / math.sqrt(5 + noise ** 2)
    return z[:-1, :, None].float(), z[-1].float()


def series_batch(series: np.ndarray, n: int, seq_len: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows of a standardised 1-D series: x = s[i : i+T], y = s[i+T]  -> x (T, n, 1), y (n,)."""
    s = torch.as_tensor(series, dtype=torch.float32)
    starts = torch.randint(0, len(s) - seq_len, (n,), generator=gen)
    idx = starts[None, :] + torch.arange(seq_len + 1)[:, None]  # (T+1, n)
    windows = s[idx]
    return windows[:-1, :, None], windows[-1]


def parse_series_csv(data: bytes) -> np.ndarray:
    """One numeric column (an optional non-numeric header line, blank lines ignored) -> float64 array."""
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(f"the file is {len(data):,} bytes; the limit is {MAX_CSV_BYTES:,} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the file is not UTF-8 text (byte {exc.start}); save it as a plain CSV") from None
    lines = [(i + 1, line.strip()) for i, line in enumerate(text.splitlines()) if line.strip()]
    if not lines:
        raise ValueError("the file is empty: expected one numeric column, one value per line")
    values = []
    for k, (number, line) in enumerate(lines):
        fields = line.replace(";", ",").replace("\t", ",").split(",")
        if len(fields) != 1:
            raise ValueError(f"line {number} has {len(fields)} columns; expected one numeric column")
        try:
            value = float(fields[0])
        except ValueError:
            if k == 0:
                continue  # a header such as "value"
            raise ValueError(f"line {number}: {fields[0][:40]!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"line {number}: {fields[0]!r} is not a finite number")
        values.append(value)
        if len(values) > MAX_SERIES_VALUES:
            raise ValueError(f"the series has more than {MAX_SERIES_VALUES:,} values; shorten it")
    if not values:
        raise ValueError("the file has a header but no numeric values")
    return np.asarray(values, dtype=np.float64)


@dataclass(frozen=True)
class Task:
    """A task as training sees it. `batch(n, gen)` -> (x (T, n, I), y (n,)); `split` picks train/test."""

    name: str
    seq_len: int  # T, the dependency length
    input_size: int  # I
    output_size: int  # 1 for regression, K for classification
    kind: str  # "regression" (MSE) | "classification" (cross-entropy)
    metric: str  # "accuracy" (|error| < 0.04 for adding) | "r2" (1 - MSE / Var y)
    baseline_loss: float  # loss of the best constant predictor: 1/6, ln K, 1
    sampler: Callable[[int, torch.Generator, str], tuple[torch.Tensor, torch.Tensor]]

    def batch(self, n: int, gen: torch.Generator, split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
        return self.sampler(n, gen, split)


def _series_task(series: np.ndarray, seq_len: int) -> Task:
    """Your own series: standardised by the training part's mean and std; the last 20% is the test part."""
    series = np.asarray(series, dtype=np.float64)
    split = int(round(len(series) * (1 - TEST_SPLIT)))
    need = int(math.ceil((seq_len + 1) / TEST_SPLIT))
    if split < seq_len + 1 or len(series) - split < seq_len + 1:
        raise ValueError(f"the series has {len(series)} values; a window of {seq_len} needs at least "
                         f"{need} (the last 20% are kept for testing). Lower the sequence length or add values")
    mean, std = series[:split].mean(), series[:split].std()
    if not std > 0:
        raise ValueError("all values in the training part of the series are equal: nothing to forecast")
    z = (series - mean) / std
    parts = {"train": z[:split], "test": z[split:]}
    return Task("series", seq_len, 1, 1, "regression", "r2", 1.0,
                lambda n, gen, part: series_batch(parts[part], n, seq_len, gen))


def make_task(name: str, seq_len: int, num_classes: int = 8, noise: float = 1.0,
              series: np.ndarray | None = None) -> Task:
    """The task `name` at dependency length seq_len (ValueError with the value to change)."""
    if name not in TASKS:
        raise ValueError(f"task={name!r} is not one of {', '.join(TASKS)}")
    if not 2 <= seq_len <= 1000:
        raise ValueError(f"seq_len={seq_len} is out of range: allowed [2, 1000]")
    if name == "adding":
        return Task(name, seq_len, 2, 1, "regression", "accuracy", 1 / 6,
                    lambda n, gen, _: adding_batch(n, seq_len, gen))
    if name == "recall":
        if not 2 <= num_classes <= 64:
            raise ValueError(f"num_classes={num_classes} is out of range: allowed [2, 64]")
        return Task(name, seq_len, num_classes + 1, num_classes, "classification", "accuracy",
                    math.log(num_classes), lambda n, gen, _: recall_batch(n, seq_len, num_classes, gen))
    if name == "sine":
        if not 0 <= noise <= 10:
            raise ValueError(f"noise={noise} is out of range: allowed [0, 10]")
        return Task(name, seq_len, 1, 1, "regression", "r2", 1.0,
                    lambda n, gen, _: sine_batch(n, seq_len, gen, noise))
    if series is None:
        raise ValueError("the series task needs an uploaded series (one numeric column)")
    return _series_task(series, seq_len)
