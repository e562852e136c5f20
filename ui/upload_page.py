"""The Upload tab: bring your own model's state_dict (whole, or just its recurrent module) and probe it.

The file is read by `models.checkpoint` (torch.load with weights_only=True, or safetensors; never
unpickled); every nn.RNN / nn.LSTM / nn.GRU in it is listed (any prefix, bidirectional, proj_size) and
the user picks one. Inputs: seeded N(0, sigma), the user's tensor file, or token ids through the
checkpoint's embedding (`models.inputs`); the loss: a random unit vector or the checkpoint's own head
(`models.readout`). A bidirectional module shows both directions on one time axis. Results live in
this session's `st.session_state` only (an uploaded model is never put in a cache shared with other users).
"""
from __future__ import annotations

import streamlit as st

from models import ProbeConfig, probe
from models.checkpoint import (MAX_UPLOAD_BYTES, build_from_state_dict, find_embeddings, find_heads, find_modules,
                               module_state, read_state_dict)
from models.inputs import embed, read_tensor, read_token_ids
from models.probe import make_inputs
from models.readout import probe_model
from models.config import ACTIVATIONS, CLASSIC_CELLS, GATE_NAMES, MAX_ELEMENTS, probe_elements
from viz.style import CELL_NAMES

from .i18n import tr
from .probe_views import show_probe_views
from .settings import CONTROLS


def probe_work(cell: str, seq_len: int, batch_size: int, hidden_size: int) -> int:
    """seq_len x batch_size x gate blocks x H^2: the work of a probe and of its Jacobian norms
    (Lanczos on every (t, b))."""
    return seq_len * batch_size * len(GATE_NAMES[cell]) * hidden_size**2


def _costliest_tab_probe() -> int:
    """probe_work of the Gradient flow tab's costliest allowed run: its largest T and H, and the largest
    batch its slider and the engine's memory cap allow (LSTM, T 1000, H 256, batch 17: about 8 s on one
    core here; an uploaded H = 1024 LSTM at T 1000, batch 4 took about 60 s)."""
    T, H = int(CONTROLS["seq_len"].hi), int(CONTROLS["hidden_size"].hi)
    largest_batch = {cell: min(int(CONTROLS["batch_size"].hi), MAX_ELEMENTS // probe_elements(cell, T, H, 1, 1))
                     for cell in CLASSIC_CELLS}
    return max(probe_work(cell, T, largest_batch[cell], H) for cell in CLASSIC_CELLS)


MAX_PROBE_WORK = _costliest_tab_probe()  # the run-time cap for a probe of an uploaded model
RESULT_KEY = "upload_result"  # (settings key, results) of the last probe of an uploaded model
PREFIX = "upload_"
HELP_EN = (
    "Save your model's weights, whole or just the recurrent part: `torch.save(model.state_dict(), 'model.pt')` or "
    "`safetensors.torch.save_file(model.state_dict(), 'model.safetensors')`. Every nn.RNN / nn.LSTM / nn.GRU in it "
    "is found under its prefix (`encoder.lstm.weight_hh_l0`, …), bidirectional and projected LSTMs included; pick one. "
    "The cell is read from the shapes: `weight_hh_l0` with 4H rows is an LSTM, 3H a GRU, H a vanilla RNN. "
    "Feed it random inputs, your own tensor, or token ids through the checkpoint's embedding, and read it with a "
    f"random vector or the checkpoint's own head. Files up to {MAX_UPLOAD_BYTES // 10**6} MB; "
    "pickled modules or code are refused, never executed.")
HELP_ZH = (
    "保存模型的权重(整个模型或仅循环部分):`torch.save(model.state_dict(), 'model.pt')` 或 "
    "`safetensors.torch.save_file(model.state_dict(), 'model.safetensors')`。文件中每个 nn.RNN / nn.LSTM / nn.GRU "
    "都会按其前缀(如 `encoder.lstm.weight_hh_l0`)被找出,包括双向和带投影的 LSTM;选择其中一个。"
    "单元类型由形状推断:`weight_hh_l0` 有 4H 行为 LSTM,3H 行为 GRU,H 行为普通 RNN。"
    "输入可以是随机数、你自己的张量,或经检查点嵌入层查表的词元 id;读出可以是随机向量或检查点自己的输出层。"
    f"文件不超过 {MAX_UPLOAD_BYTES // 10**6} MB;序列化的模块或代码一律拒绝,绝不执行。")
TENSOR_TYPES = ["npy", "pt", "pth", "safetensors"]
RANDOM, TENSOR, TOKENS = "random", "tensor", "tokens"


def module_label(m: dict) -> str:
    """encoder.lstm. — LSTM, input 3, hidden 6 (proj 4), 2 layers, bidirectional."""
    parts = [CELL_NAMES[m["cell"]], tr(f"input {m['input_size']}", f"输入 {m['input_size']}"),
             tr(f"hidden {m['hidden_size']}", f"隐藏 {m['hidden_size']}")
             + (tr(f" (proj {m['proj_size']})", f"(投影 {m['proj_size']})") if m["proj_size"] else ""),
             tr(f"{m['num_layers']} layer(s)", f"{m['num_layers']} 层")]
    if m["bidirectional"]:
        parts.append(tr("bidirectional", "双向"))
    return f"{m['prefix'] or tr('(top level)', '(顶层)')} — " + ", ".join(parts)


def probe_settings(spec: dict, source: str) -> dict:
    """The probe's free settings (the sizes come from the file; T and B from the inputs unless random)."""
    cols = st.columns(5)
    activation = "tanh"
    if spec["cell"] == "rnn":
        choices = ("tanh", "relu") if spec["bidirectional"] else ACTIVATIONS
        activation = cols[0].selectbox(tr("RNN activation φ", "RNN 激活函数 φ"), choices, key=PREFIX + "activation",
                                       help=tr("A state_dict does not record it; tanh is nn.RNN's default.",
                                               "state_dict 中没有记录激活函数;nn.RNN 默认为 tanh。"))
    settings = {"activation": activation}
    if source == RANDOM:
        settings.update(
            seq_len=cols[1].slider(tr("Sequence length T", "序列长度 T"), 1, 1000, 100, key=PREFIX + "seq_len"),
            batch_size=cols[2].slider(tr("Batch size B", "批大小 B"), 1, 64, 8, key=PREFIX + "batch_size"),
            input_scale=cols[3].slider(tr("Input scale σ", "输入尺度 σ"), 0.0, 5.0, 1.0, 0.1, key=PREFIX + "input_scale"))
    settings["seed"] = cols[4].number_input(tr("Seed", "随机种子"), 0, 10**6, 0, key=PREFIX + "seed")
    return settings


def check_run_time(spec: dict, settings: dict) -> None:
    """ValueError naming the value to lower when the probe would cost more than MAX_PROBE_WORK
    (a bidirectional module runs two directions)."""
    per_step = probe_work(spec["cell"], 1, 1, spec["hidden_size"]) * (2 if spec.get("bidirectional") else 1)
    steps = max(1, MAX_PROBE_WORK // per_step)  # allowed T x B
    if settings["seq_len"] * settings["batch_size"] > steps:
        raise ValueError(
            f"with hidden size {spec['hidden_size']} this probe would take longer than the largest one the "
            f"Gradient flow tab allows: sequence length x batch size may be at most {steps:,} (now "
            f"{settings['seq_len']} x {settings['batch_size']}); lower the sequence length or the batch size")


def input_choice(spec: dict, embeddings: list) -> tuple[str, object]:
    """(source, uploaded file or None) and, for token ids, the embedding key in session state."""
    options = [RANDOM, TENSOR] + ([TOKENS] if embeddings else [])
    names = {RANDOM: tr("random N(0, σ)", "随机 N(0, σ)"), TENSOR: tr("my tensor file", "我的张量文件"),
             TOKENS: tr("token ids through the embedding", "经嵌入层查表的词元 id")}
    source = st.radio(tr("Inputs", "输入"), options, format_func=names.get, horizontal=True, key=PREFIX + "source")
    if not embeddings:
        st.caption(tr(f"Token ids need an embedding `*.weight` of shape (V, {spec['input_size']}); none in this file.",
                      f"词元 id 需要形状为 (V, {spec['input_size']}) 的嵌入 `*.weight`;此文件中没有。"))
    if source == TENSOR:
        left, right = st.columns([3, 1])
        batch_first = right.toggle(tr("batch first (B, T, I)", "批在前 (B, T, I)"), key=PREFIX + "batch_first")
        file = left.file_uploader(tr(f"Tensor (T, B, {spec['input_size']}) or (B, T, {spec['input_size']}): "
                                     ".npy, .pt or .safetensors",
                                     f"张量 (T, B, {spec['input_size']}) 或 (B, T, {spec['input_size']}):"
                                     ".npy、.pt 或 .safetensors"), type=TENSOR_TYPES, key=PREFIX + "tensor_file")
        return source, (file, batch_first)
    if source == TOKENS:
        left, right = st.columns([3, 1])
        key = right.selectbox(tr("Embedding", "嵌入层"), [k for k, _ in embeddings], key=PREFIX + "embedding",
                              format_func=lambda k: f"{k} (V = {dict(embeddings)[k]})")
        file = left.file_uploader(tr("Token ids: CSV, one sequence per row", "词元 id:CSV,每行一个序列"),
                                  type=["csv", "txt"], key=PREFIX + "tokens_file")
        return source, (file, key)
    return source, None


def read_inputs(state: dict, spec: dict, source: str, detail, settings: dict):
    """x (T, B, I) float64 from the chosen source, or None while a file is still to come; ValueError if unusable."""
    if source == RANDOM:
        cfg = ProbeConfig(cell=spec["cell"], input_size=spec["input_size"], hidden_size=spec["hidden_size"],
                          seq_len=settings["seq_len"], batch_size=settings["batch_size"],
                          input_scale=settings["input_scale"], seed=settings["seed"], dtype="float64")
        return make_inputs(cfg)
    file = detail[0]
    if file is None:
        return None
    if source == TENSOR:
        return read_tensor(file.getvalue(), file.name, spec["input_size"], batch_first=detail[1])
    weight = state[detail[1]]
    return embed(read_token_ids(file.getvalue(), weight.shape[0]), weight).double()


def readout_choice(state: dict, modules: list, spec: dict) -> dict:
    """{"head": (weight key, bias key) or None, "target": class or None, "reads": "final" | "last_output"}."""
    P = spec["proj_size"] or spec["hidden_size"]
    width = P * (2 if spec["bidirectional"] else 1)
    heads = find_heads(state, modules, width)
    options = ["random"] + (["head"] if heads else [])
    kind = st.radio(tr("Loss", "损失"), options, horizontal=True, key=PREFIX + "readout",
                    format_func=lambda k: tr("L = v·h_T, v a random unit vector", "L = v·h_T,v 为随机单位向量")
                    if k == "random" else tr("a logit of the checkpoint's own head", "检查点自身输出层的一个 logit"))
    if not heads:
        st.caption(tr(f"A head needs a `*.weight` of shape (K, {width}); none in this file.",
                      f"输出层需要形状为 (K, {width}) 的 `*.weight`;此文件中没有。"))
    choice = {"head": None, "target": None, "reads": "final"}
    if kind == "head":
        cols = st.columns(3)
        key = cols[0].selectbox(tr("Head", "输出层"), [h[0] for h in heads], key=PREFIX + "head",
                                format_func=lambda k: f"{k} (K = {next(h[1] for h in heads if h[0] == k)})")
        K, bias = next((h[1], h[2]) for h in heads if h[0] == key)
        which = cols[1].radio(tr("Logit of", "哪个 logit"), ["predicted", "class"], key=PREFIX + "target_kind",
                              format_func=lambda w: tr("the predicted class, per sample", "每个样本的预测类别")
                              if w == "predicted" else tr("a chosen class", "指定类别"))
        target = cols[1].number_input(tr("class", "类别"), 0, K - 1, 0, key=PREFIX + "target") if which == "class" else None
        if spec["bidirectional"]:
            choice["reads"] = cols[2].radio(
                tr("The head reads", "输出层读取"), ["final", "last_output"], key=PREFIX + "reads",
                format_func=lambda r: tr("h_n: forward h_T, reverse h_1", "h_n:前向 h_T,反向 h_1") if r == "final"
                else tr("out[-1]: both at t = T", "out[-1]:两个方向都取 t = T"))
        choice.update(head=(key, bias), target=target)
    return choice


def probe_upload(state: dict, spec: dict, settings: dict, compare: bool, x=None, readout: dict | None = None) -> dict:
    """label -> ProbeResult for the uploaded module (both directions if bidirectional), on x (T, B, I) or seeded
    inputs, and a fresh model of the same shape next to it if asked (unidirectional, unprojected)."""
    model = build_from_state_dict(module_state(state, spec.get("prefix", "")) if "prefix" in spec else state,
                                  settings["activation"])
    dtype = next(model.parameters()).dtype
    if x is None:
        x = read_inputs(state, spec, RANDOM, None, settings)
    T, B = x.shape[:2]
    check_run_time(spec, {"seq_len": T, "batch_size": B})
    cfg = ProbeConfig(cell=spec["cell"], input_size=spec["input_size"], hidden_size=spec["hidden_size"],
                      num_layers=spec["num_layers"], activation=settings["activation"], seq_len=T, batch_size=B,
                      seed=settings["seed"], input_scale=settings.get("input_scale", 1.0),
                      dtype=str(dtype).removeprefix("torch."))
    readout = readout or {"head": None}
    head = None
    if readout["head"] is not None:
        w_key, b_key = readout["head"]
        head = (state[w_key], None if b_key is None else state[b_key])
    runs, classes = probe_model(cfg, model, x.to(dtype), head, readout.get("target"), readout.get("reads", "final"))
    name = CELL_NAMES[spec["cell"]]
    if spec["bidirectional"]:
        results = {tr(f"{name} forward (t = 1 → T)", f"{name} 前向(t = 1 → T)"): runs["forward"],
                   tr(f"{name} reverse (t = T → 1)", f"{name} 反向(t = T → 1)"): runs["reverse"]}
    else:
        results = {tr(f"uploaded {name}", f"上传的 {name}"): runs["forward"]}
    if compare and not spec["bidirectional"] and not spec["proj_size"]:
        fresh = ProbeConfig(**{**cfg.to_dict(), "dtype": "float32"})
        results[tr(f"{name}, fresh orthogonal init", f"{name},新的正交初始化")] = probe(fresh, inputs=x.float())
    return results, classes


def render() -> None:
    """The whole tab (called by app.py inside its Upload tab)."""
    st.subheader(tr("Probe your own model", "探测你自己的模型"))
    st.markdown(tr(HELP_EN, HELP_ZH))
    st.caption(tr("This tab reads nn.RNN, nn.LSTM and nn.GRU. The cells after the LSTM (minGRU, minLSTM, IndRNN, LRU) are "
                  "this project's own modules: probe a trained one in Python, `models.probe(cfg, model=m, inputs=x)`.",
                  "本页读取 nn.RNN、nn.LSTM 和 nn.GRU。LSTM 之后的单元(minGRU、minLSTM、IndRNN、LRU)是本项目自己的模块:"
                  "训练好的模型请在 Python 中探测:`models.probe(cfg, model=m, inputs=x)`。"))
    upload = st.file_uploader(tr("State dict (.pt, .pth or .safetensors)", "state_dict 文件(.pt、.pth 或 .safetensors)"),
                              type=["pt", "pth", "safetensors"], key=PREFIX + "file")
    if upload is None:
        st.session_state.pop(RESULT_KEY, None)
        return
    try:
        state = read_state_dict(upload.getvalue(), upload.name)
        modules, problems = find_modules(state)
    except ValueError as exc:
        st.error(tr(f"Cannot use {upload.name}: {exc}", f"无法使用 {upload.name}:{exc}"))
        return
    for problem in problems:
        st.warning(tr(f"Skipped {problem}", f"已跳过 {problem}"))
    labels = [module_label(m) for m in modules]
    pick = st.selectbox(tr(f"Recurrent module ({len(modules)} found)", f"循环模块(找到 {len(modules)} 个)"),
                        range(len(modules)), format_func=labels.__getitem__, key=PREFIX + "module")
    spec = modules[pick]
    st.success(tr(f"{upload.name}: {CELL_NAMES[spec['cell']]}, input size {spec['input_size']}, hidden size "
                  f"{spec['hidden_size']}, {spec['num_layers']} layer(s), {'with' if spec['bias'] else 'without'} biases"
                  f"{', proj_size ' + str(spec['proj_size']) if spec['proj_size'] else ''}"
                  f"{', bidirectional' if spec['bidirectional'] else ''}.",
                  f"{upload.name}:{CELL_NAMES[spec['cell']]},输入维度 {spec['input_size']},隐藏层大小 "
                  f"{spec['hidden_size']},{spec['num_layers']} 层,{'有' if spec['bias'] else '无'}偏置"
                  f"{',投影 ' + str(spec['proj_size']) if spec['proj_size'] else ''}"
                  f"{',双向' if spec['bidirectional'] else ''}。"))
    source, detail = input_choice(spec, find_embeddings(state, modules, spec["input_size"]))
    settings = probe_settings(spec, source)
    readout = readout_choice(state, modules, spec)
    compare = False
    if not spec["bidirectional"] and not spec["proj_size"]:
        compare = st.checkbox(tr("Show a freshly initialised model of the same shape next to it",
                                 "同时显示同形状的新初始化模型"), key=PREFIX + "compare")
    file_ids = None if detail is None or detail[0] is None else (detail[0].file_id, detail[1])
    key = (upload.file_id, pick, source, file_ids, tuple(sorted(settings.items())), compare,
           readout["head"], readout["target"], readout["reads"])
    cached = st.session_state.get(RESULT_KEY)
    if cached is None or cached[0] != key:
        try:
            x = read_inputs(state, spec, source, detail, settings)
        except ValueError as exc:
            st.error(tr(f"Cannot use these inputs: {exc}", f"无法使用这些输入:{exc}"))
            return
        if x is None:
            st.info(tr("Upload the inputs to probe the model on them.", "上传输入后即可在其上探测模型。"))
            return
        try:
            with st.spinner(tr("Probing the uploaded model…", "正在探测上传的模型…")):
                cached = (key, *probe_upload(state, spec, settings, compare, x, readout))
        except ValueError as exc:  # e.g. sizes past the engine's limits or memory cap
            st.error(tr(f"Cannot probe {upload.name}: {exc}", f"无法探测 {upload.name}:{exc}"))
            return
        st.session_state[RESULT_KEY] = cached
    _, results, classes = cached
    first = next(iter(results.values()))
    T, B = first.grad_h.shape[1], first.grad_h.shape[0]
    if classes is not None:
        counts = ", ".join(f"{c}: {n}" for c, n in zip(*[a.tolist() for a in classes.unique(return_counts=True)]))
        st.caption(tr(f"Loss of sample b: the head's logit of class c_b (classes, count: {counts}); T = {T}, B = {B}.",
                      f"样本 b 的损失:输出层对类别 c_b 的 logit(类别: 数量 {counts});T = {T},B = {B}。"))
    if spec["bidirectional"]:
        st.caption(tr("Both directions on the same time axis: the forward direction's gradient flows back from t = T, "
                      "the reverse direction's forward from t = 1 (it read the sequence backwards).",
                      "两个方向画在同一时间轴上:前向方向的梯度从 t = T 往回流,反向方向的梯度从 t = 1 往后流"
                      "(它是倒着读序列的)。"))
    show_probe_views(results, key="upload_probe")
