"""Each chapter's "predict" question as something a class can answer: `QUESTIONS[slug]`, beside `chapters.CHAPTERS`.

A `Question` is either a choice (`Option`s, one value each, what the class store keeps) or a number (its range, step
and the tolerance within which an answer counts as right), and `computed(values)` maps the chapter's knob values to
the answer in that form. Every `computed` reads the numbers the chapter's reveal reads, from the same calls
(`lesson_probe` of the same `models.lesson` configs, `wall_runs`, `worked_toy`, `parameter_counts`, the live
run of `ui.lesson.training`), so the answer a class is shown is the reveal's, never typed in. It returns None where
the run does not answer the question (chapter 8 before a run; every path underflowed to 0 in float32).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from models import lesson as ml
from models.after_lstm import configs as after_configs
from models.examples import parameter_counts
from viz.paths import path_label
from viz.style import CELL_NAMES

from . import training
from .data import lesson_probe, wall_runs, worked_toy


@dataclass(frozen=True)
class Option:
    value: str  # what the store keeps: short, a-z0-9_
    en: str
    zh: str


@dataclass(frozen=True)
class Question:
    """How a chapter's question is answered: kind "choice" (`options`) or "number" (`lo`..`hi` by `step`, right
    within `tolerance`, shown with `unit`); `computed(values)` -> the answer (an option's value or a number)."""

    kind: str
    computed: Callable[[dict], str | float | None]
    label: tuple[str, str]  # the control's label
    options: tuple[Option, ...] = ()
    lo: float = 0.0
    hi: float = 0.0
    step: float = 1.0
    tolerance: float = 0.0
    unit: str = ""

    def option(self, value) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    def label_of(self, value, lang: str) -> str:
        """An answer as the page shows it: the option's words, or the number with its unit."""
        if self.kind == "choice":
            o = self.option(value)
            return "?" if o is None else (o.zh if lang == "zh" else o.en)
        return f"{value:,.{decimals(self.step)}f}{self.unit}"

    def is_right(self, answer, computed) -> bool:
        if answer is None or computed is None:
            return False
        if self.kind == "choice":
            return answer == computed
        return abs(float(answer) - float(computed)) <= self.tolerance + 1e-9

    def valid(self, answer) -> bool:
        """Whether `answer` is one this question accepts (an option's value; a number in range)."""
        if self.kind == "choice":
            return self.option(answer) is not None
        return (isinstance(answer, (int, float)) and not isinstance(answer, bool) and math.isfinite(answer)
                and self.lo <= answer <= self.hi)


def decimals(step: float) -> int:
    return max(0, -int(math.floor(math.log10(step)))) if step < 1 else 0


# 1. o_3 of the all-ones toy RNN: both components are equal, so one number answers it.
def toy_output(v: dict) -> float:
    o3 = worked_toy()["outputs"][2]
    return float(o3[0]) if np.isclose(o3[0], o3[1]) else None


# 2. ||dL/dh_1|| at ||W_hh|| = 1.1 over 0.9, in decades (the reveal's g[1.1] / g[0.9]).
GROWTH = (Option("falls", "It falls", "下降"), Option("x1", "Rises, under 10×", "上升,不到 10 倍"),
          Option("x10", "Rises 10× to 100×", "上升 10–100 倍"), Option("x100", "Rises 100× to 1,000×", "上升 100–1000 倍"),
          Option("x1000", "Rises 1,000× to 10,000×", "上升 1000–10000 倍"),
          Option("x10000", "Rises over 10,000×", "上升超过 10000 倍"))


def growth(v: dict) -> str | None:
    g = {w: ml.gradient_at(lesson_probe(ml.vanishing_config(w, v["activation"])).grad_h, 1) for w in (0.9, 1.1)}
    if not g[0.9] > 0 or not math.isfinite(g[1.1]):
        return None
    ratio = g[1.1] / g[0.9]
    if ratio <= 1:
        return "falls"
    return GROWTH[1 + min(4, int(math.floor(math.log10(ratio))))].value


# 3. Where does the unclipped step at the wall land? (models.wall, as the reveal: the unclipped run's longest step)
LANDING = (Option("plateau", "Far off, on a plateau where the error stays high", "远处的平台上,误差一直很高"),
           Option("valley", "In the valley, near the minimum", "谷底,接近最小值"),
           Option("wall", "Still on the slope of the wall", "仍在墙的斜坡上"))
VALLEY_ERROR = 1e-2  # E_50 under this where the step lands: the valley
FLAT_GRADIENT = 1e-3  # ||grad E|| under this where it lands: a plateau (descent barely moves from there)


def wall_landing(v: dict) -> str:
    plain = wall_runs(v["clip"])["unclipped"]
    k = plain["jump"]["step"]  # the longest step starts at path[k] and lands at path[k + 1]
    if plain["error"][k + 1] < VALLEY_ERROR:
        return "valley"
    return "plateau" if plain["grad_norm"][k + 1] < FLAT_GRADIENT else "wall"


# 4. Which cells get at least 1% of the gradient back to 'France' (t = 1): ||dL/dx_1|| / ||dL/dx_T|| >= 0.01.
CELLS3 = ("rnn", "lstm", "gru")
REACH = 0.01
SUBSETS = tuple(tuple(c for c, bit in zip(CELLS3, (k & 1, k & 2, k & 4)) if bit) for k in range(8))


def subset_value(cells) -> str:
    return "+".join(c for c in CELLS3 if c in cells) or "none"


def subset_option(cells: tuple) -> Option:
    if not cells:
        return Option("none", "None of them", "都不能")
    if len(cells) == 3:
        return Option(subset_value(cells), "All three", "三种都能")
    names = ", ".join(CELL_NAMES[c] for c in cells)
    return Option(subset_value(cells), names, names.replace(", ", "、"))


REACHING = tuple(subset_option(s) for s in sorted(SUBSETS, key=len))


def reaching(v: dict) -> str:
    def ratio(cell):
        gx = lesson_probe(ml.cell_config(cell, seq_len=v["seq_len"])).grad_x.astype(np.float64).mean(axis=0)
        return gx[0] / gx[-1] if gx[-1] > 0 else float("nan")
    return subset_value([c for c in CELLS3 if ratio(c) >= REACH])


# 5 and 7. The largest path into the 10 states farthest from the loss (models.lesson.early_path_shares).
def largest_path(cell: str, v: dict) -> str | None:
    r = lesson_probe(ml.cell_config(cell, seq_len=100, weight_scale=v.get("weight_scale", 1.0),
                                    forget_bias=v.get("forget_bias", 1.0)))
    shares = ml.early_path_shares(r.grad_paths, last=10)
    if not sum(shares.values()) > 0:  # every path underflowed to 0: none carries anything
        return None
    return max(shares, key=shares.get)


def path_options(cell: str, names: tuple[str, ...]) -> tuple[Option, ...]:
    return tuple(Option(n, path_label(cell, n, "en"), path_label(cell, n, "zh")) for n in names)


LSTM_PATHS = path_options("lstm", ("forget_gate", "forget_direct", "input_gate", "candidate", "output_gate"))
GRU_PATHS = (Option("copy", "The copy path z_t ⊙ g_t (no W_hh)", "复制路径 z_t ⊙ g_t(不经过 W_hh)"),
             Option("w_hh", "A path through W_hh", "经过 W_hh 的路径"))


def gru_path(v: dict) -> str | None:
    top = largest_path("gru", v)
    return None if top is None else "copy" if top == "copy" else "w_hh"


# 6. Share of the 100 terms' norms from the last 10 steps, in percent (models.lesson.sum_shares).
def last_share(v: dict) -> float:
    r = lesson_probe(ml.cell_config(v["cell"], weight_scale=v["weight_scale"]))
    return round(100 * ml.sum_shares(r.grad_w_steps, last=10)["last_share"], 1)


# 8. The cell whose 50-step mean MSE goes under 0.1 first in this session's run (the reveal's first_below).
FIRST = tuple(Option(c, CELL_NAMES[c], CELL_NAMES[c]) for c in CELLS3) + (
    Option("none", "None of them leaves it", "都离不开"),)


def first_to_leave(v: dict) -> str | None:
    history = training.losses_of(training.current_job())
    if not history or not any(len(loss) for loss in history.values()):
        return None
    steps = {c: ml.first_below(loss, training.LEFT) for c, loss in history.items()}
    left = {c: s for c, s in steps.items() if s is not None}
    return min(left, key=left.get) if left else "none"


# 9. nn.LSTM(m, n)'s parameter count (models.examples.parameter_counts, as the reveal).
def lstm_parameters(v: dict) -> float:
    return float(parameter_counts("lstm", v["input_size"], v["hidden_size"])["pytorch"])


# 10. The minGRU's ||dL/dh_1|| (batch mean, the reveal's), by decade.
REACHED = (Option("over_0.1", "More than 0.1", "多于 0.1"), Option("0.01", "0.01 to 0.1", "0.01 到 0.1"),
           Option("0.001", "0.001 to 0.01", "0.001 到 0.01"), Option("0.0001", "0.0001 to 0.001", "0.0001 到 0.001"),
           Option("less", "Less than 0.0001", "少于 0.0001"))


def mingru_reach(v: dict) -> str | None:
    r = lesson_probe(after_configs(v["gate_bias"], v["ring_top"])["mingru"])
    g = ml.gradient_at(r.grad_h, 1)
    if not math.isfinite(g):
        return None
    return next((o.value for o, lo in zip(REACHED, (0.1, 0.01, 0.001, 0.0001)) if g > lo), "less")


QUESTIONS = {
    "unrolling": Question("number", toy_output, ("o_3 (each of its two components)", "o_3(两个分量相同,填一个)"),
                          lo=-1000, hi=1000, step=1),
    "vanishing": Question("choice", growth, ("The gradient at t = 1", "t = 1 处的梯度"), GROWTH),
    "exploding": Question("choice", wall_landing, ("Where the unclipped step at the wall lands",
                                                   "不裁剪时撞墙的一步落在哪里"), LANDING),
    "long_range": Question("choice", reaching, ("Cells with at least 1% back at 'France'", "在“法国”处仍有至少 1% 的单元"),
                           REACHING),
    "lstm": Question("choice", lambda v: largest_path("lstm", v), ("The path carrying most", "传递最多的路径"),
                     LSTM_PATHS),
    "sum": Question("number", last_share, ("Share from the last 10 steps (%)", "最后 10 步所占份额(%)"),
                    lo=0, hi=100, step=1, tolerance=5, unit="%"),
    "gru": Question("choice", gru_path, ("The path carrying most", "传递最多的路径"), GRU_PATHS),
    "training": Question("choice", first_to_leave, ("The first to leave 0.167", "最先离开 0.167 的单元"), FIRST),
    "parameters": Question("number", lstm_parameters, ("nn.LSTM's parameter count", "nn.LSTM 的参数数量"),
                           lo=0, hi=10_000_000, step=1),
    "after_lstm": Question("choice", mingru_reach, ("The minGRU's ‖dL/dh_1‖", "minGRU 的 ‖dL/dh_1‖"), REACHED),
}
