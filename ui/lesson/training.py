"""Chapter 8, live: RNN, LSTM and GRU trained on the adding problem at T = 100 with the Train tab's job machinery.

The run is a `ui.train_job.TrainJob` under the server's `training_limiter()` (the same cap as the Train tab),
kept in this session's state under its own key. The figure is this run's training MSE beside the boxes
Arjovsky, Shah & Bengio (2016) report; the reveal reads the run's own history. Nothing is shown as live
that is not this session's run.

The page draws the status line and the figure inside one fragment that refreshes while the run trains
(`status()`, then the figure, then `rerun_when_finished()`): when the run ends, that fragment reruns the whole
page once, so Start, Stop and the reveal catch up without a click. `LESSON_TRAIN_SECONDS` in the server's
environment replaces every run's time budget (tests use it to watch a run end in seconds).
"""
from __future__ import annotations

import math
import os

import streamlit as st

from models.lesson import REPORTED_ADDING_T100, first_below
from models.sources import cite
from models.training import TrainConfig
from viz.lesson import training_comparison_figure
from viz.style import CELL_NAMES

from ..i18n import tr
from ..train_job import TrainJob
from ..train_page import training_limiter
from .chapter import pick

JOB_KEY = "lesson_train_job"
SHOWN_KEY = "lesson_train_shown"  # the finished job the page last drew in full
BUDGETS = (60, 120, 180, 240)  # the chapter's time-budget knob, seconds
SECONDS_ENV = "LESSON_TRAIN_SECONDS"
BASELINE = 1 / 6  # MSE of always predicting 1: Var(u1 + u2) = 2/12
LEFT = 0.1  # "left the baseline": 50-step mean MSE under this


def budget_seconds(budget: float) -> float:
    """The knob's budget, or the server's LESSON_TRAIN_SECONDS (a positive number up to 600) when set."""
    raw = os.environ.get(SECONDS_ENV, "")
    try:
        override = float(raw)
    except ValueError:
        return float(budget)
    return override if math.isfinite(override) and 0 < override <= 600 else float(budget)


def config(budget: float, steps: int = 4000) -> TrainConfig:
    """The project's adding preset at T = 100 (H = 64, batch 64, Adam 3e-3, clip 1), for `budget` seconds."""
    return TrainConfig(task="adding", seq_len=100, hidden_size=64, batch_size=64, steps=steps, lr=3e-3, clip=True,
                       clip_value=1.0, max_seconds=budget_seconds(budget), snapshot_every=200)


def current_job() -> TrainJob | None:
    return st.session_state.get(JOB_KEY)


def running() -> bool:
    job = current_job()
    return job is not None and not job.finished


def start_stop(values: dict, steps: int = 4000) -> None:
    """Start / Stop buttons (a full run of the page: what it draws of a finished job is now up to date)."""
    job = current_job()
    if job is not None and job.finished:
        st.session_state[SHOWN_KEY] = job
    left, right, _ = st.columns([3, 2, 2])
    if left.button(tr("Start training", "开始训练"), type="primary", disabled=running(), key="lesson_train_start"):
        st.session_state[JOB_KEY] = TrainJob(config(values["budget"], steps), training_limiter()).start()
        st.rerun()
    if right.button(tr("Stop", "停止"), disabled=not running(), key="lesson_train_stop"):
        job.stop()


STATUS = {"queued": ("waiting for a free training slot", "等待空闲的训练名额"), "running": ("running", "训练中"),
          "done": ("done", "完成"), "stopped": ("stopped", "已停止"), "refused": ("the server is busy; try again",
                                                                            "服务器忙,请稍后再试"),
          "error": ("failed", "失败")}


def status() -> None:
    """The run's status line, drawn with the live figure (inside its fragment), so the two change together."""
    job = current_job()
    if job is None:
        return
    job.heartbeat()
    t, word = job.trainer, tr(*STATUS.get(job.status, (job.status, job.status)))
    error = f" ({job.error})" if job.error else ""
    st.caption(tr(f"{word}{error}: step {t.step}, {t.seconds:.0f} s of {job.cfg.max_seconds:.0f} s",
                  f"{word}{error}:第 {t.step} 步,{t.seconds:.0f}/{job.cfg.max_seconds:.0f} 秒"))


def rerun_when_finished() -> None:
    """From the live fragment: once the run has ended, rerun the whole page (once per run)."""
    job = current_job()
    if job is not None and job.finished and st.session_state.get(SHOWN_KEY) is not job:
        st.session_state[SHOWN_KEY] = job
        st.rerun()


def losses_of(job: TrainJob | None) -> dict:
    return {} if job is None else {c: h["loss"] for c, h in job.trainer.progress().items()}


def figure(values: dict, lang: str):
    return figure_of(current_job(), lang)


def reveal(values: dict, lang: str) -> str:
    return reveal_of(current_job(), lang)


def figure_of(job: TrainJob | None, lang: str):
    """The run's training MSE (none before Start) beside the boxes the paper reports."""
    title = (pick(lang, "Adding, T = 100: press Start", "加法问题 T = 100:点击开始") if job is None else
             pick(lang, f"Adding, T = 100: this run, step {job.trainer.step}",
                  f"加法问题 T = 100:本次训练,第 {job.trainer.step} 步"))
    return training_comparison_figure(losses_of(job), BASELINE, REPORTED_ADDING_T100, title, lang=lang)


def reveal_of(job: TrainJob | None, lang: str, offline: bool = False) -> str:
    """Which cell left the baseline when, read from the run's own history; the paper's figures for comparison."""
    history = losses_of(job)
    paper = pick(lang, f"{cite('arjovsky2016')} report the tanh RNN at the baseline and the LSTM below it after about "
                       "1,000-1,500 steps, at 0.01-0.02 by 3,000-4,000 (128 units, RMSProp $10^{-3}$); this run "
                       "differs: $H = 64$, batch 64, Adam $3\\times 10^{-3}$, gradient clipping at 1.",
                 f"{cite('arjovsky2016', 'zh')}报告 tanh RNN 停在基线,LSTM 约在 1000–1500 步后降到基线以下,3000–4000 步时约为 "
                 "0.01–0.02(128 个单元,RMSProp $10^{-3}$);本次设置不同:$H = 64$,批大小 64,Adam $3\\times 10^{-3}$,"
                 "梯度裁剪阈值 1。")
    if not history or not any(len(v) for v in history.values()):
        if offline:
            return pick(lang, "This file holds no run: in the app, Start trains the three cells and the answer is read "
                              "from their curves. ", "本文件不含训练:在应用中点击开始,三种单元开始训练,答案从它们的曲线中读出。") + paper
        return pick(lang, "No run yet: press Start, and the answer is read from the three cells' curves. ",
                    "还没有训练:点击开始,答案将从三种单元的训练曲线中读出。") + paper
    parts = []
    for cell, loss in history.items():
        step = first_below(loss, LEFT)
        name = CELL_NAMES[cell]
        if step is None:
            recent = float(loss[-50:].mean())
            parts.append(pick(lang, f"{name} has not left it in {len(loss)} steps (last 50-step mean {recent:.3f})",
                              f"{name} 在 {len(loss)} 步内未离开基线(最近 50 步平均 {recent:.3f})"))
        else:
            parts.append(pick(lang, f"{name} went under {LEFT} (50-step mean) at step {step}",
                              f"{name} 在第 {step} 步降到 {LEFT} 以下(50 步平均)"))
    return "; ".join(parts) + pick(lang, ". ", "。") + paper
