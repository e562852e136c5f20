"""The Upload tab: bring your own nn.RNN / nn.LSTM / nn.GRU state_dict and probe it with every view.

The file is read by `models.checkpoint` (torch.load with weights_only=True, or safetensors; never
unpickled), its architecture inferred from keys and shapes, and the rebuilt module probed on
seeded inputs. Results live in this session's `st.session_state` only (an uploaded model is never
put in a cache shared with other users).
"""
from __future__ import annotations

import streamlit as st

from models import ProbeConfig, probe
from models.checkpoint import MAX_UPLOAD_BYTES, build_from_state_dict, infer_spec, read_state_dict
from models.config import ACTIVATIONS, CELLS, GATE_NAMES, MAX_ELEMENTS, probe_elements
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
                     for cell in CELLS}
    return max(probe_work(cell, T, largest_batch[cell], H) for cell in CELLS)


MAX_PROBE_WORK = _costliest_tab_probe()  # the run-time cap for a probe of an uploaded model
RESULT_KEY = "upload_result"  # (settings key, results) of the last probe of an uploaded model
PREFIX = "upload_"
HELP_EN = (
    "Save the recurrent module's weights: `torch.save(model.state_dict(), 'rnn.pt')` or "
    "`safetensors.torch.save_file(model.state_dict(), 'rnn.safetensors')`. Keys `weight_ih_l0`, "
    "`weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0` (… per layer), optionally under one prefix such as `lstm.`; "
    "`model.pt` from `python -m models train` works as it is. The cell is read from the shapes: "
    f"`weight_hh_l0` with 4H rows is an LSTM, 3H a GRU, H a vanilla RNN. Files up to {MAX_UPLOAD_BYTES // 10**6} MB; "
    "pickled modules or code are refused, never executed.")
HELP_ZH = (
    "保存循环模块的权重:`torch.save(model.state_dict(), 'rnn.pt')` 或 "
    "`safetensors.torch.save_file(model.state_dict(), 'rnn.safetensors')`。键为 `weight_ih_l0`、`weight_hh_l0`、"
    "`bias_ih_l0`、`bias_hh_l0`(每层一组),可带一个统一前缀(如 `lstm.`);`python -m models train` 生成的 "
    "`model.pt` 可直接上传。单元类型由形状推断:`weight_hh_l0` 有 4H 行为 LSTM,3H 行为 GRU,H 行为普通 RNN。"
    f"文件不超过 {MAX_UPLOAD_BYTES // 10**6} MB;序列化的模块或代码一律拒绝,绝不执行。")


def probe_settings(spec: dict) -> dict:
    """The probe's free settings (the sizes come from the file)."""
    cols = st.columns(5)
    activation = "tanh"
    if spec["cell"] == "rnn":
        activation = cols[0].selectbox(tr("RNN activation φ", "RNN 激活函数 φ"), ACTIVATIONS, key=PREFIX + "activation",
                                       help=tr("A state_dict does not record it; tanh is nn.RNN's default.",
                                               "state_dict 中没有记录激活函数;nn.RNN 默认为 tanh。"))
    return {
        "activation": activation,
        "seq_len": cols[1].slider(tr("Sequence length T", "序列长度 T"), 1, 1000, 100, key=PREFIX + "seq_len"),
        "batch_size": cols[2].slider(tr("Batch size B", "批大小 B"), 1, 64, 8, key=PREFIX + "batch_size"),
        "input_scale": cols[3].slider(tr("Input scale", "输入尺度"), 0.0, 5.0, 1.0, 0.1, key=PREFIX + "input_scale"),
        "seed": cols[4].number_input(tr("Seed", "随机种子"), 0, 10**6, 0, key=PREFIX + "seed"),
    }


def check_run_time(spec: dict, settings: dict) -> None:
    """ValueError naming the value to lower when the probe would cost more than MAX_PROBE_WORK."""
    steps = max(1, MAX_PROBE_WORK // probe_work(spec["cell"], 1, 1, spec["hidden_size"]))  # allowed T x B
    if settings["seq_len"] * settings["batch_size"] > steps:
        raise ValueError(
            f"with hidden size {spec['hidden_size']} this probe would take longer than the largest one the "
            f"Gradient flow tab allows: sequence length x batch size may be at most {steps:,} (now "
            f"{settings['seq_len']} x {settings['batch_size']}); lower the sequence length or the batch size")


def probe_upload(state: dict, spec: dict, settings: dict, compare: bool) -> dict:
    """label -> ProbeResult for the uploaded model (and a fresh model of the same shape)."""
    check_run_time(spec, settings)
    cfg = ProbeConfig(cell=spec["cell"], input_size=spec["input_size"], hidden_size=spec["hidden_size"],
                      num_layers=spec["num_layers"], **settings)
    name = CELL_NAMES[spec["cell"]]
    results = {tr(f"uploaded {name}", f"上传的 {name}"):
               probe(cfg, model=build_from_state_dict(state, settings["activation"]))}
    if compare:
        results[tr(f"{name}, fresh orthogonal init", f"{name},新的正交初始化")] = probe(cfg)
    return results


def render() -> None:
    """The whole tab (called by app.py inside its Upload tab)."""
    st.subheader(tr("Probe your own model", "探测你自己的模型"))
    st.markdown(tr(HELP_EN, HELP_ZH))
    upload = st.file_uploader(tr("State dict (.pt, .pth or .safetensors)", "state_dict 文件(.pt、.pth 或 .safetensors)"),
                              type=["pt", "pth", "safetensors"], key=PREFIX + "file")
    if upload is None:
        st.session_state.pop(RESULT_KEY, None)
        return
    try:
        state = read_state_dict(upload.getvalue(), upload.name)
        spec = infer_spec(state)
    except ValueError as exc:
        st.error(tr(f"Cannot use {upload.name}: {exc}", f"无法使用 {upload.name}:{exc}"))
        return
    st.success(tr(f"{upload.name}: {CELL_NAMES[spec['cell']]}, input size {spec['input_size']}, hidden size "
                  f"{spec['hidden_size']}, {spec['num_layers']} layer(s), {'with' if spec['bias'] else 'without'} biases.",
                  f"{upload.name}:{CELL_NAMES[spec['cell']]},输入维度 {spec['input_size']},隐藏层大小 "
                  f"{spec['hidden_size']},{spec['num_layers']} 层,{'有' if spec['bias'] else '无'}偏置。"))
    settings = probe_settings(spec)
    compare = st.checkbox(tr("Show a freshly initialised model of the same shape next to it", "同时显示同形状的新初始化模型"),
                          key=PREFIX + "compare")
    key = (upload.file_id, tuple(sorted(settings.items())), compare)
    cached = st.session_state.get(RESULT_KEY)
    if cached is None or cached[0] != key:
        try:
            with st.spinner(tr("Probing the uploaded model…", "正在探测上传的模型…")):
                cached = (key, probe_upload(state, spec, settings, compare))
        except ValueError as exc:  # e.g. sizes past the engine's limits or memory cap
            st.error(tr(f"Cannot probe {upload.name}: {exc}", f"无法探测 {upload.name}:{exc}"))
            return
        st.session_state[RESULT_KEY] = cached
    show_probe_views(cached[1], key="upload_probe")
