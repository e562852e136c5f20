"""The Train tab: train RNN, LSTM and GRU live on one task, watch the gradient flow change, then probe them.

Settings -> `TrainConfig` -> a `TrainJob` (worker thread) kept in this session's `st.session_state`.
A fragment redraws progress, curves and the gradient-flow heatmap every `REFRESH_SECONDS` while the
job runs; Stop keeps the weights. After training, each cell is probed next to itself at
initialisation with the probe page's views. Training threads and concurrent trainings are capped
per server by the `TrainingLimiter` from `training_limiter()`, the only object shared by sessions.
"""
from __future__ import annotations

import streamlit as st

from models import probe
from models.monitor import LOG_NAME, read_log
from models.sources import cite
from models.config import ACTIVATIONS, MODERN_CELLS
from models.nets import AUTO_ACTIVATION, HEADS, TRAIN_CELLS
from models.tasks import TASKS, parse_series_csv
from models.training import PRESETS, TrainConfig
from viz.style import CELL_NAMES
from viz.training import grad_norm_figure, gradient_flow_training_figure, loss_figure, metric_figure

from . import view_data
from .i18n import language, tr
from .probe_views import show_probe_views
from .train_job import TrainingLimiter, TrainJob

MAX_TRAININGS = 2  # trainings running at once on one server; more Starts wait in line
TRAIN_THREADS = 1  # torch threads per training (2 cores: one left for everyone's probes)
REFRESH_SECONDS = 0.3  # redraws of the live charts while a job runs
JOB_KEY, PROBES_KEY, SHOWN_KEY = "train_job", "train_probes", "train_results_shown"
PREFIX = "train_"

CLASSIC_ARMS = ("rnn", "rnn_orthogonal", "lstm", "gru")  # the first cell picker: 1997-2014 and the orthogonal RNN
MODERN_KEY = "train_cells_modern"  # the second cell picker's key: 2018-2024 (its value joins `cells`)
# name -> (widget, range or options, English label, Chinese label). The one definition of the controls.
CONTROLS = {
    "task": ("select", TASKS, "Task", "任务"),
    "cells": ("multi", CLASSIC_ARMS, "Cells: 1997–2014 (and the RNN with W_hh kept orthogonal, 2016)",
              "单元:1997–2014(以及 W_hh 保持正交的 RNN,2016)"),
    "seq_len": ("slider", (2, 200, 1), "Dependency length T", "依赖长度 T"),
    "hidden_size": ("slider", (4, 128, 4), "Hidden size H", "隐藏层大小 H"),
    "num_layers": ("slider", (1, 3, 1), "Layers", "层数"),
    "batch_size": ("grid", (8, 16, 32, 64, 128, 256), "Batch size", "批大小"),
    "steps": ("slider", (50, 5000, 50), "Steps", "训练步数"),
    "max_seconds": ("slider", (10.0, 120.0, 5.0), "Time limit (s)", "时间上限(秒)"),
    "lr": ("grid", (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2), "Adam learning rate", "Adam 学习率"),
    "clip": ("toggle", None, "Clip the gradient norm", "梯度范数裁剪"),
    "clip_value": ("grid", (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0), "Clip threshold", "裁剪阈值"),
    "forget_bias": ("slider", (-2.0, 5.0, 0.5), "LSTM forget-gate bias (minGRU, minLSTM: their gate bias)",
                    "LSTM 遗忘门偏置(minGRU、minLSTM:其门偏置)"),
    "activation": ("select", (AUTO_ACTIVATION,) + ACTIVATIONS, "φ of the RNN and IndRNN, and between LRU layers",
                   "RNN 与 IndRNN 的 φ,以及 LRU 层间的 φ"),
    "head": ("select", HEADS, "Head on h_T", "h_T 上的输出头"),
    "num_classes": ("slider", (2, 32, 1), "Recall: symbols K", "回忆任务:符号数 K"),
    "noise": ("slider", (0.0, 2.0, 0.1), "Sine: noise std", "正弦任务:噪声标准差"),
    "snapshot_every": ("slider", (5, 200, 5), "Gradient snapshot every k steps", "每 k 步记录梯度"),
    "seed": ("number", (0, 1_000_000, 1), "Seed", "随机种子"),
}
STOP_REASONS = {"steps": ("all steps done", "全部步数完成"), "time": ("time limit reached", "达到时间上限"),
                "stop": ("stopped; the weights are kept", "已停止,权重已保留"),
                "diverged": ("every cell diverged", "所有单元都已发散")}
TASK_NAMES = {"adding": ("Adding problem", "加法问题"), "recall": ("Long-range recall", "长程回忆"),
              "sine": ("Sine forecasting", "正弦预测"), "series": ("Your own series (CSV)", "自己的序列(CSV)")}
PRESET_TEXT = {
    "adding": ("Adding problem, T = 50: the lesson", "加法问题 T = 50:核心一课",
               "Predict the sum of two marked numbers, the first in the first half. The RNN stays at the "
               "baseline 1/6 (dashed): its gradient never reaches the first marker (dark left side of its "
               "heatmap). GRU, then LSTM, find it and the bright region of their heatmaps widens.",
               "预测两个被标记数字之和,第一个位于前半段。RNN 停在基线 1/6(虚线):梯度到不了第一个标记"
               "(热图左侧一片暗)。GRU 和 LSTM 先后找到它,热图中亮的区域随之变宽。"),
    "sine": ("Sine forecasting, T = 10: the contrast", "正弦预测 T = 10:对照",
             f"The series of {cite('lstm_part_2')}, y = 3 sin x + cos 5x + noise + 6: the next value from the last "
             "10. Short range: every cell learns it, down to the noise floor (1/6 of the variance).",
             f"{cite('lstm_part_2', 'zh')}中的序列 y = 3 sin x + cos 5x + 噪声 + 6,用前 10 个值预测下一个。"
             "短程依赖:三种单元都能学会,直到噪声下限(方差的 1/6)。"),
    "recall": ("Recall the first symbol, T = 20: no sure winner", "回忆第一个符号 T = 20:没有必然的赢家",
               f"\"I grew up in France … I speak fluent ___\" ({cite('rnn_to_lstm')}). Within 1,500 steps only the LSTM leaves "
               "chance (1/8): fully with seed 0, partly with seeds 1 and 2; GRU and RNN stay at chance. Now try "
               "learning rate 3e-3 with seed 0: the plain RNN learns it and the LSTM does not. Gating helps; it guarantees nothing.",
               f"\"我在法国长大……我能说流利的___\"({cite('rnn_to_lstm', 'zh')})。1500 步内只有 LSTM 离开随机水平(1/8):种子 0 完全学会,"
               "种子 1 和 2 只学会一部分;GRU 和 RNN 停在随机水平。再试试学习率 3e-3、种子 0:"
               "普通 RNN 学会了而 LSTM 没有。门控有帮助,但不保证成功。"),
    "after_lstm": ("After the LSTM: adding, T = 50", "LSTM 之后:加法问题 T = 50",
                   "The lesson's adding problem for the cells after the LSTM. minGRU and minLSTM learn it as the LSTM "
                   "does, their gradient a product of gate values; the one-layer LRU with a linear head cannot, whatever "
                   "its gradient (the target multiplies a value by its marker, and a linear recurrence is linear in the "
                   "inputs): give it 2 layers, or the MLP head, in the settings.",
                   "LSTM 之后的单元做本课的加法问题。minGRU 和 minLSTM 与 LSTM 一样能学会,它们的梯度是门值的乘积;"
                   "一层 LRU 加线性输出头无论梯度如何都学不会(目标是数值与标记的乘积,而线性递推对输入是线性的):"
                   "在设置里改为 2 层或 MLP 输出头。"),
    "orthogonal": ("Orthogonal W_hh: the tanh RNN, kept orthogonal", "正交 W_hh:保持正交的 tanh RNN",
                   "The same tanh RNN twice, once with W_hh kept orthogonal while it learns (Arjovsky, Shah & Bengio "
                   "2016's line). Compare the gradient-flow heatmaps: the orthogonal one keeps far more gradient at the "
                   "first steps; compare the losses: that alone does not make it learn the task.",
                   "同一个 tanh RNN 训练两次,其中一次在学习中始终保持 W_hh 正交(Arjovsky、Shah 与 Bengio 2016 的思路)。"
                   "比较梯度流热图:正交的那个在最初几步保留的梯度多得多;比较损失:仅凭这一点并不能让它学会任务。"),
}


@st.cache_resource
def training_limiter() -> TrainingLimiter:
    """One limiter per server process (shared on purpose: it is what caps trainings across sessions)."""
    return TrainingLimiter(MAX_TRAININGS, TRAIN_THREADS)


OPTION_NAMES = {  # select -> option -> (English, Chinese)
    "activation": {AUTO_ACTIVATION: ("auto: tanh, IndRNN ReLU", "自动:tanh,IndRNN 用 ReLU"), "tanh": ("tanh", "tanh"),
                   "relu": ("ReLU", "ReLU"), "sigmoid": ("sigmoid", "sigmoid"), "linear": ("linear", "线性")},
    "head": {"linear": ("linear: W h_T + b", "线性:W h_T + b"),
             "mlp": ("MLP: W₂ tanh(W₁ h_T + b₁) + b₂", "MLP:W₂ tanh(W₁ h_T + b₁) + b₂")},
}


def apply_preset() -> None:
    """Write the chosen preset's values into the widgets' state (an on_change callback)."""
    cfg = PRESETS[st.session_state[PREFIX + "preset"]]
    for name in CONTROLS:
        value = getattr(cfg, name)
        st.session_state[PREFIX + name] = [c for c in value if c in CLASSIC_ARMS] if name == "cells" else value
    st.session_state[MODERN_KEY] = [c for c in cfg.cells if c in MODERN_CELLS]


def label(name: str) -> str:
    return tr(CONTROLS[name][2], CONTROLS[name][3])


def draw_control(name: str) -> None:
    kind, spec, key = CONTROLS[name][0], CONTROLS[name][1], PREFIX + name
    if kind == "select":
        names = TASK_NAMES if name == "task" else OPTION_NAMES[name]
        st.selectbox(label(name), spec, key=key, format_func=lambda t: tr(*names[t]))
    elif kind == "multi":
        st.multiselect(label(name), spec, key=key, format_func=CELL_NAMES.get)
        st.multiselect(tr("… and after the LSTM: 2018–2024", "……以及 LSTM 之后:2018–2024"), MODERN_CELLS,
                       key=MODERN_KEY, format_func=CELL_NAMES.get)
    elif kind == "slider":
        st.slider(label(name), spec[0], spec[1], step=spec[2], key=key)
    elif kind == "grid":
        st.select_slider(label(name), spec, key=key, format_func=lambda v: f"{v:g}")
    elif kind == "toggle":
        st.toggle(label(name), key=key)
    else:
        st.number_input(label(name), spec[0], spec[1], step=spec[2], key=key)


def controls() -> None:
    """Preset picker and the settings, in an expander."""
    if PREFIX + "preset" not in st.session_state:
        st.session_state[PREFIX + "preset"] = "adding"
        apply_preset()
    preset = st.selectbox(tr("Preset", "预设"), list(PRESETS), key=PREFIX + "preset", on_change=apply_preset,
                          format_func=lambda p: tr(*PRESET_TEXT[p][:2]))
    st.info(tr(*PRESET_TEXT[preset][2:]), icon=":material/search:")
    with st.expander(tr("Settings", "设置")):
        columns = st.columns(4)
        for i, name in enumerate(CONTROLS):
            with columns[i % 4]:
                draw_control(name)
    notes()


def notes() -> None:
    """One line for each chosen arm whose setting needs saying: the orthogonal RNN, the LRU on adding."""
    chosen = set(st.session_state.get(PREFIX + "cells", [])) | set(st.session_state.get(MODERN_KEY, []))
    if "rnn_orthogonal" in chosen:
        st.caption(tr("RNN, W_hhᵀW_hh = I: W_hh is parametrised as an orthogonal matrix while it learns "
                      "(torch.nn.utils.parametrizations.orthogonal), the unitary / orthogonal RNN line of Arjovsky, Shah "
                      "& Bengio 2016: ||W_hh|| = 1 at every step, so the gradient cannot explode through W_hh; tanh′ ≤ 1 "
                      "still shrinks it.", "RNN(正交 W_hh):训练中 W_hh 始终参数化为正交矩阵(torch.nn.utils.parametrizations."
                      "orthogonal),即 Arjovsky、Shah 与 Bengio 2016 的酉/正交 RNN 思路:每一步 ||W_hh|| = 1,梯度不会经 W_hh "
                      "爆炸;tanh′ ≤ 1 仍会使它缩小。"))
    if ("lru" in chosen and st.session_state.get(PREFIX + "task") == "adding" and st.session_state.get(PREFIX + "head") == "linear"
            and st.session_state.get(PREFIX + "num_layers") == 1):
        st.caption(tr("LRU on the adding problem: one linear layer with a linear head computes a linear function of the "
                      "inputs, and the target u·m multiplies a value by its marker, so it cannot learn it. Choose the MLP "
                      "head, or 2 layers (φ between them).", "加法问题上的 LRU:一层线性递推加线性输出头只能计算输入的线性函数,"
                      "而目标 u·m 是数值与标记的乘积,所以学不会。请选择 MLP 输出头,或 2 层(层间有 φ)。"))


def read_config() -> tuple[TrainConfig, object]:
    """(TrainConfig, series or None) from the widgets; ValueError says which value to change."""
    values = {name: st.session_state[PREFIX + name] for name in CONTROLS}
    chosen = set(values["cells"]) | set(st.session_state.get(MODERN_KEY, []))
    values["cells"] = tuple(c for c in TRAIN_CELLS if c in chosen)
    series = None
    if values["task"] == "series":
        upload = st.session_state.get(PREFIX + "series_file")
        if upload is None:
            raise ValueError(tr("upload a CSV with one numeric column first", "请先上传只有一列数字的 CSV"))
        series = parse_series_csv(upload.getvalue())
    return TrainConfig(**values), series


def start_stop() -> None:
    job = st.session_state.get(JOB_KEY)
    running = job is not None and not job.finished
    if st.session_state[PREFIX + "task"] == "series":
        st.file_uploader(tr("Series: CSV with one numeric column", "序列:只有一列数字的 CSV"), type=["csv", "txt"],
                         key=PREFIX + "series_file")
    left, right, _ = st.columns([1, 1, 4])
    if left.button(tr("Start", "开始训练"), type="primary", disabled=running, key=PREFIX + "start"):
        try:
            cfg, series = read_config()
            job = TrainJob(cfg, training_limiter(), series).start()
        except ValueError as exc:
            st.error(tr(f"Cannot start: {exc}. Change that setting and press Start again.",
                        f"无法开始:{exc}。请修改该设置后再次点击开始。"))
        else:
            st.session_state[JOB_KEY], st.session_state[PROBES_KEY] = job, {}
            st.rerun()  # draw Stop enabled and Start disabled
    if right.button(tr("Stop", "停止"), disabled=not running, key=PREFIX + "stop"):
        job.stop()


def status_text(job: TrainJob) -> str:
    t, limiter = job.trainer, job.limiter
    if job.status == "queued":
        return tr(f"Waiting for a free training slot ({limiter.running} of {limiter.slots} in use)…",
                  f"等待空闲的训练名额(已占用 {limiter.running}/{limiter.slots})…")
    if job.status == "running":
        return tr(f"Step {t.step} of {job.cfg.steps}, {t.seconds:.0f} s of {job.cfg.max_seconds:.0f} s",
                  f"第 {t.step}/{job.cfg.steps} 步,{t.seconds:.0f}/{job.cfg.max_seconds:.0f} 秒")
    if job.status == "done":
        reason = STOP_REASONS[t.stopped_by]
        return tr(f"Finished: {t.step} steps in {t.seconds:.1f} s ({reason[0]}).",
                  f"完成:{t.step} 步,用时 {t.seconds:.1f} 秒({reason[1]})。")
    if job.status == "stopped":
        return tr("Stopped before it started.", "尚未开始即已停止。")
    if job.status == "refused":
        return tr("The server is busy with other trainings; try again in a minute.", "服务器正忙于其他训练,请稍后再试。")
    return tr(f"Training failed: {job.error}", f"训练失败:{job.error}")


def live_charts() -> None:
    """Progress, loss, metric, gradient norm and the gradient-flow heatmap of this session's job."""
    job = st.session_state[JOB_KEY]
    job.heartbeat()
    st.progress(job.fraction(), text=status_text(job))
    task, p = job.trainer.task, job.trainer.progress()
    loss_name = "cross-entropy" if task.kind == "classification" else "MSE"
    metric_name = {"accuracy": tr("accuracy", "准确率"), "r2": "R²"}[task.metric]
    chance = 1 / task.output_size if task.kind == "classification" else (None if task.metric == "accuracy" else 0.0)
    left, right = st.columns(2)
    lang = language()
    left.plotly_chart(loss_figure({c: v["loss"] for c, v in p.items()}, task.baseline_loss, loss_name,
                                  lang=lang), key=PREFIX + "loss_chart")
    right.plotly_chart(metric_figure({c: v["metric"] for c, v in p.items()}, metric_name, chance, lang=lang),
                       key=PREFIX + "metric_chart")
    diverged = {c: v["diverged_at"] for c, v in p.items() if v["diverged_at"] is not None}
    left.plotly_chart(grad_norm_figure({c: v["grad_norm"] for c, v in p.items()},
                                       job.cfg.clip_value if job.cfg.clip else None, diverged, lang=lang),
                      key=PREFIX + "norm_chart")
    right.plotly_chart(gradient_flow_training_figure({c: (v["snapshot_steps"], v["snapshots"]) for c, v in p.items()},
                                                     lang=lang), key=PREFIX + "flow_chart")
    if job.finished and st.session_state.get(SHOWN_KEY) is not job:
        st.rerun()  # a fragment-only redraw saw the end: redraw the page once for the results


def trained_probes(job: TrainJob, cells: list) -> dict:
    """label -> ProbeResult: each cell trained and at initialisation, on the snapshot samples (computed once)."""
    cache, x, results = st.session_state.setdefault(PROBES_KEY, {}), job.trainer.snapshot_x, {}
    for cell in cells:
        if cell not in cache:
            cfg = job.cfg.probe_config(cell, job.trainer.task.input_size)
            cache[cell] = (probe(cfg, model=job.trainer.nets[cell].rnn, inputs=x),
                           probe(cfg, model=job.trainer.initial_net(cell).rnn, inputs=x))
        name = CELL_NAMES[cell]
        results[tr(f"{name} trained", f"{name} 训练后")], results[tr(f"{name} at init", f"{name} 初始")] = cache[cell]
    return results


def results_section(job: TrainJob) -> None:
    st.session_state[SHOWN_KEY] = job
    if job.trainer.step == 0 or job.status != "done":
        return
    task = job.trainer.task
    st.subheader(tr(f"Test on {job.cfg.eval_samples:,} fresh samples", f"在 {job.cfg.eval_samples:,} 个新样本上测试"))
    rows = [{tr("cell", "单元"): CELL_NAMES[c], tr("test loss", "测试损失"): h["test"]["loss"],
             f"{tr('test', '测试')} {task.metric}": h["test"]["metric"],
             tr("stopped at step", "停止于第几步"): h["diverged_at"] if h["diverged_at"] is not None else job.trainer.step}
            for c, h in job.trainer.progress().items()]
    st.dataframe(rows, hide_index=True)
    st.subheader(tr("Gradient flow: trained vs at initialisation", "梯度流:训练后与初始时对比"))
    st.caption(tr("The probe's loss L = v·h_T on the task's own inputs (the snapshot samples), so the curves read as "
                  "attenuation; the heatmap above used the task loss.",
                  "探针的损失 L = v·h_T,输入为任务自身的样本,曲线表示衰减;上方热图使用的是任务损失。"))
    cells = st.multiselect(tr("Cells to probe", "要探测的单元"), list(job.cfg.cells), default=list(job.cfg.cells)[:1],
                           format_func=CELL_NAMES.get, key=PREFIX + "probe_cells")
    if cells:
        results = trained_probes(job, cells)
        shares = view_data.direct_path_frame(results)
        if len(shares):  # does training move the gradient onto the direct path? measured here, not assumed
            st.markdown(tr("**Share of the direct path** (LSTM B_t = f_t ⊙ g^c_t, GRU z_t ⊙ g^h_t) in the paths' "
                           "norms, batch mean (view 2 below):", "**直连路径的占比**(LSTM B_t = f_t ⊙ g^c_t,"
                           "GRU z_t ⊙ g^h_t)在各路径范数中的比例,批平均(见下方图 2):"))
            st.dataframe(shares.rename(columns={"run": tr("run", "运行"), "path": tr("path", "路径"),
                                                "share_t1": tr("at t = 1", "t = 1 处"),
                                                "share_mean": tr("mean over t", "对 t 平均")}),
                         hide_index=True, column_config={c: st.column_config.NumberColumn(format="percent")
                                                         for c in (tr("at t = 1", "t = 1 处"), tr("mean over t", "对 t 平均"))})
        show_probe_views(results, key="train_probe")


def monitor_log_section() -> None:
    """Your own training, watched by models.monitor.GradientFlowMonitor: its JSON-lines log as the same heatmap."""
    with st.expander(tr("Open a monitor log from your own training (models.monitor)", "打开自己训练的监视日志(models.monitor)")):
        st.caption(tr(f"`GradientFlowMonitor(model.lstm, every=25, log_dir='runs/exp1')` writes `{LOG_NAME}` there.",
                      f"`GradientFlowMonitor(model.lstm, every=25, log_dir='runs/exp1')` 会在该目录写入 `{LOG_NAME}`。"))
        upload = st.file_uploader(tr("Monitor log (.jsonl)", "监视日志(.jsonl)"), type=["jsonl", "json", "txt"],
                                  key=PREFIX + "monitor_log")
        if upload is None:
            return
        try:
            snapshots = read_log(upload.getvalue())
        except ValueError as exc:
            st.error(tr(f"Cannot use {upload.name}: {exc}", f"无法使用 {upload.name}:{exc}"))
            return
        st.plotly_chart(gradient_flow_training_figure(snapshots, lang=language()), key=PREFIX + "monitor_chart")


def render() -> None:
    """The whole tab (called by app.py inside its Train tab)."""
    st.subheader(tr("Train the cells and watch the gradient flow change", "训练各单元,观察梯度流的变化"))
    monitor_log_section()
    controls()
    start_stop()
    job = st.session_state.get(JOB_KEY)
    if job is None:
        st.caption(tr("Press Start: the chosen cells train side by side on identical batches.",
                      "点击开始:所选单元在相同的批次上并排训练。"))
        return
    live_box = st.container()
    if job.finished:
        results_section(job)
    with live_box:
        st.fragment(live_charts, run_every=None if job.finished else REFRESH_SECONDS)()
