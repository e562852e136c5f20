"""Chapter 8, live: RNN, LSTM and GRU trained on the adding problem at T = 100 with the Train tab's job machinery.

The run is a `ui.train_job.TrainJob` under the server's `training_limiter()` (the same cap as the Train tab),
kept in this session's state under its own key. The figure is this run's training MSE beside the boxes
Arjovsky, Shah & Bengio (2016) report; the reveal reads the run's own history. Nothing is shown as live
that is not this session's run.
"""
from __future__ import annotations

import streamlit as st

from models.lesson import REPORTED_ADDING_T100, first_below
from models.training import TrainConfig
from viz.lesson import training_comparison_figure
from viz.style import CELL_NAMES

from ..i18n import tr
from ..train_job import TrainJob
from ..train_page import training_limiter

JOB_KEY = "lesson_train_job"
BASELINE = 1 / 6  # MSE of always predicting 1: Var(u1 + u2) = 2/12
LEFT = 0.1  # "left the baseline": 50-step mean MSE under this


def config(budget: float, steps: int = 4000) -> TrainConfig:
    """The project's adding preset at T = 100 (H = 64, batch 64, Adam 3e-3, clip 1), for `budget` seconds."""
    return TrainConfig(task="adding", seq_len=100, hidden_size=64, batch_size=64, steps=steps, lr=3e-3, clip=True,
                       clip_value=1.0, max_seconds=float(budget), snapshot_every=200)


def current_job() -> TrainJob | None:
    return st.session_state.get(JOB_KEY)


def running() -> bool:
    job = current_job()
    return job is not None and not job.finished


def start_stop(values: dict, steps: int = 4000) -> None:
    """Start / Stop buttons and the run's status line."""
    job = current_job()
    left, right, status = st.columns([3, 2, 3])
    if left.button(tr("Start training", "开始训练"), type="primary", disabled=running(), key="lesson_train_start"):
        st.session_state[JOB_KEY] = TrainJob(config(values["budget"], steps), training_limiter()).start()
        st.rerun()
    if right.button(tr("Stop", "停止"), disabled=not running(), key="lesson_train_stop"):
        job.stop()
    if job is not None:
        job.heartbeat()
        t = job.trainer
        status.caption(tr(f"{job.status}: step {t.step}, {t.seconds:.0f} s of {job.cfg.max_seconds:.0f} s",
                          f"{job.status}:第 {t.step} 步,{t.seconds:.0f}/{job.cfg.max_seconds:.0f} 秒"))


def losses() -> dict:
    job = current_job()
    return {} if job is None else {c: h["loss"] for c, h in job.trainer.progress().items()}


def figure(values: dict, lang: str):
    job = current_job()
    title = (tr("Adding, T = 100: press Start", "加法问题 T = 100:点击开始") if job is None else
             tr(f"Adding, T = 100: this run, step {job.trainer.step}", f"加法问题 T = 100:本次训练,第 {job.trainer.step} 步"))
    return training_comparison_figure(losses(), BASELINE, REPORTED_ADDING_T100, title, lang=lang)


def reveal(values: dict, lang: str) -> str:
    history = losses()
    paper = tr("Arjovsky et al. (2016) report the tanh RNN at the baseline and the LSTM below it after about "
               "1,000-1,500 steps, at 0.01-0.02 by 3,000-4,000 (128 units, RMSProp 1e-3); this run differs: H = 64, "
               "batch 64, Adam 3e-3, gradient clipping at 1.",
               "Arjovsky 等(2016)报告 tanh RNN 停在基线,LSTM 约在 1000–1500 步后降到基线以下,3000–4000 步时约为 "
               "0.01–0.02(128 个单元,RMSProp 1e-3);本次设置不同:H = 64,批大小 64,Adam 3e-3,梯度裁剪阈值 1。")
    if not history or not any(len(v) for v in history.values()):
        return tr("Start the run: the answer is read from its training curves. ", "先开始训练:答案将从训练曲线中读出。") + paper
    parts = []
    for cell, loss in history.items():
        step = first_below(loss, LEFT)
        name = CELL_NAMES[cell]
        if step is None:
            recent = float(loss[-50:].mean())
            parts.append(tr(f"{name} has not left it in {len(loss)} steps (last 50-step mean {recent:.3f})",
                            f"{name} 在 {len(loss)} 步内未离开基线(最近 50 步平均 {recent:.3f})"))
        else:
            parts.append(tr(f"{name} went under {LEFT} (50-step mean) at step {step}",
                            f"{name} 在第 {step} 步降到 {LEFT} 以下(50 步平均)"))
    return "; ".join(parts) + (". " if lang == "en" else "。") + paper
