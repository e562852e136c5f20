"""The "Phase diagrams" page: `render()` (ui/pages/phase.py runs it; ui.nav lists it).

Where does the gradient vanish, survive or explode? A heatmap per cell over the weight scale (x) and
T, the LSTM forget bias or the init (y), coloured by log10 ||dL/dh_1|| or the horizon. The default
diagrams are computed here by `models.sweep` on a local process pool, under a progress bar, and
cached for every session (`st.cache_data`: a table of numbers). Bigger ones come from
`python -m models sweep --out DIR`: the page opens DIR (a path on the server) or an uploaded
sweep.parquet / .csv. Clicking a point opens that configuration in the explorer (its settings go
into the URL; `ui.nav.open_page`). Downloads: the table as CSV, the figure's numbers as JSON.
"""
from __future__ import annotations

import io
import json
import math
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from models import ProbeConfig
from models.config import CELL_GROUPS, CELLS, CLASSIC_CELLS, INITS, MODERN_CELLS
from models.sweep import CONFIG_COLUMNS, cores, local_pool, plan, read_table, sweep
from viz.phase import COLOURS, Y_AXES, phase_figure, phase_grids
from viz.style import CELL_NAMES

from .i18n import language, tr
from .nav import open_page
from .settings import DEFAULTS, WEIGHT_SCALES, to_query

# The default diagrams: the explorer's own weight scales (a click opens exactly that point), 21 of them.
DEFAULT_SCALES = WEIGHT_SCALES[1:]
DEFAULT_LENGTHS = (10, 20, 35, 60, 100, 170, 300, 500)  # y = T: roughly x1.7 apart, up to 500
DEFAULT_FORGET_BIASES = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)  # y = forget bias, at one T
DEFAULT_BASE = ProbeConfig(hidden_size=32, batch_size=8, seed=0)  # H = 32, one seed
MAX_UPLOAD_MB = 50
REQUIRED = ("cell", "weight_scale", "seed", "log10_grad_first", "horizon", "nonfinite")
CHART_KEY = "phase_chart"
OPENED_KEY = "phase_opened"  # the last point opened, so a kept selection does not open it twice
SECONDS_KEY = "phase_seconds"  # (y, T) -> seconds this session waited for that default diagram

LABELS = {
    "seq_len": ("sequence length T", "序列长度 T"),
    "forget_bias": ("LSTM forget-gate bias", "LSTM 遗忘门偏置"),
    "init": ("W_hh init", "W_hh 初始化"),
    "log10_grad_first": ("log10 ||dL/dh_1||: how much of the gradient reaches the first step", "log10 ||dL/dh_1||:梯度传到第一步还剩多少"),
    "horizon": ("horizon: steps back until ||dL/dh_t|| < 1e-3", "视界:||dL/dh_t|| 降到 1e-3 以下前回溯的步数"),
}


ERAS = {**CELL_GROUPS, "both": CELLS}  # the default diagram's cells: one era (1997–2014 by default) or both


def default_axes(y: str, seq_len: int, cells: tuple = CLASSIC_CELLS) -> dict:
    """The default diagram's axes for y (the module's constants, read at call time)."""
    if y == "seq_len":
        return {"cell": list(cells), "seq_len": list(DEFAULT_LENGTHS), "weight_scale": list(DEFAULT_SCALES)}
    values = list(DEFAULT_FORGET_BIASES) if y == "forget_bias" else list(INITS)
    return {"cell": list(cells), y: values, "seq_len": [seq_len], "weight_scale": list(DEFAULT_SCALES)}


@st.cache_resource(show_spinner=False)
def _pool():
    """One local process pool for the server (torch started once in it); its processes hold no results."""
    return local_pool(max(1, cores()))


@st.cache_data(show_spinner=False, max_entries=8)
def default_table(base: ProbeConfig, axes_json: str, _on_progress=None) -> pd.DataFrame:
    """A sweep table, shared by every session (numbers only), keyed by its settings."""
    run = lambda: sweep(base, json.loads(axes_json), workers=_pool(), chunk_size=4, on_progress=_on_progress)
    try:
        return run()
    except BrokenProcessPool:  # a worker died (killed, out of memory): a new pool, once
        _pool.clear()
        return run()


def computed_table(y: str, seq_len: int, cells: tuple = CLASSIC_CELLS) -> pd.DataFrame:
    """default_table under a progress bar: the (cached) sweep runs on a helper thread, and this script
    thread redraws the bar from the counts it reports (a cached function may not draw elements itself)."""
    axes = default_axes(y, seq_len, cells)
    total = len(plan(DEFAULT_BASE, axes).probes)
    counts, out = {"done": 0}, {}

    def work():
        try:
            out["table"] = default_table(DEFAULT_BASE, json.dumps(axes), _on_progress=lambda done, n: counts.update(done=done))
        except Exception as exc:  # re-raised in the script thread
            out["error"] = exc

    thread = threading.Thread(target=work, name="phase-sweep", daemon=True)
    add_script_run_ctx(thread, get_script_run_ctx())
    start, bar = time.monotonic(), None
    thread.start()
    while thread.is_alive():
        thread.join(0.25)
        if thread.is_alive():
            done, elapsed = counts["done"], time.monotonic() - start
            eta = tr(f", about {elapsed / done * (total - done):.0f} s left", f",约剩 {elapsed / done * (total - done):.0f} 秒") if done else ""
            text = tr(f"Probing {total} configurations: {done} done{eta}", f"正在探测 {total} 个配置:已完成 {done}{eta}")
            bar = bar or st.progress(0.0, text=text)
            bar.progress(done / total, text=text)
    if bar is not None:
        bar.empty()
        st.session_state.setdefault(SECONDS_KEY, {})[(y, seq_len, cells)] = time.monotonic() - start
    if "error" in out:
        raise out["error"]
    return out["table"]


def _read(name: str, data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data)) if name.endswith(".parquet") else pd.read_csv(io.BytesIO(data))


def file_table() -> pd.DataFrame | None:
    """A sweep table from an upload or from a directory on the server; None (with the reason) otherwise."""
    st.caption(tr("Make one with `python -m models sweep ... --out DIR` (see `--help`), then upload DIR/sweep.parquet "
                  "or give DIR.", "用 `python -m models sweep ... --out DIR` 生成(见 `--help`),然后上传 DIR/sweep.parquet 或填写 DIR。"))
    left, right = st.columns(2)
    upload = left.file_uploader(tr("Upload sweep.parquet or sweep.csv", "上传 sweep.parquet 或 sweep.csv"),
                                type=["parquet", "csv"], key="phase_upload")
    path = right.text_input(tr("…or a sweep directory on this server", "……或本服务器上的扫描目录"), key="phase_path",
                            placeholder="out/sweep")
    try:
        if upload is not None:
            if upload.size > MAX_UPLOAD_MB * 2**20:
                raise ValueError(tr(f"the file is larger than {MAX_UPLOAD_MB} MB", f"文件超过 {MAX_UPLOAD_MB} MB"))
            table = _read(upload.name, upload.getvalue())
        elif path.strip():
            p = Path(path.strip())
            if p.is_file() and p.name not in ("sweep.parquet", "sweep.csv"):  # only sweep tables, never any file
                raise ValueError(tr("give a directory written by the sweep, or its sweep.parquet / sweep.csv",
                                    "请填写扫描生成的目录,或其中的 sweep.parquet / sweep.csv"))
            table = read_table(p)
        else:
            return None
    except Exception as exc:  # a bad file of any kind: say what, keep the page
        st.error(tr(f"Could not read that sweep: {exc}", f"无法读取该扫描结果:{exc}"))
        return None
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        st.error(tr(f"Not a sweep table: missing columns {', '.join(missing)}. Write one with `python -m models sweep`.",
                    f"不是扫描结果表:缺少列 {', '.join(missing)}。请用 `python -m models sweep` 生成。"))
        return None
    return table


def choose_slice(table: pd.DataFrame, y: str) -> pd.DataFrame:
    """One value for every other axis that varies in the table (seeds are averaged)."""
    for col in [c for c in CONFIG_COLUMNS if c in table.columns and c not in ("cell", "weight_scale", "seed", y)]:
        values = sorted(table[col].unique().tolist(), key=str)
        if len(values) > 1:
            value = st.selectbox(tr(f"{col} (fixed for this diagram)", f"{col}(此图中固定)"), values, key=f"phase_fix_{col}")
            table = table[table[col] == value]
    return table


def row_settings(table: pd.DataFrame, cell: str, x: float, y: str, y_value):
    """The explorer's settings for the clicked point (its first seed), the language kept; None if no row.
    Values outside the explorer's sliders are reported there, as for any URL."""
    rows = table[(table["cell"] == cell) & (table["weight_scale"] == x) & (table[y].astype(str) == str(y_value))]
    if y != "init" and rows.empty:
        rows = table[(table["cell"] == cell) & (table["weight_scale"] == x) & (table[y] == float(y_value))]
    if rows.empty:
        return None
    row = rows.sort_values("seed").iloc[0]
    fields = {k: row[k] for k in ("seq_len", "hidden_size", "num_layers", "batch_size", "weight_scale", "init",
                                  "activation", "forget_bias", "input_scale", "seed") if k in row}
    fields = {k: (v.item() if hasattr(v, "item") else v) for k, v in fields.items()}
    return DEFAULTS.replace(cells=(cell,), language=language(), **fields)


def clicked_point(event, fig) -> tuple | None:
    """(cell, weight scale, y value) of the selected point, from its customdata."""
    points = ((event or {}).get("selection") or {}).get("points") or []
    if not points:
        return None
    p = points[0]
    data = p.get("customdata")
    if data is None:  # fall back on the trace and index
        data = fig.data[p["curve_number"]].customdata[p["point_index"]]
    return tuple(data)


def downloads(table: pd.DataFrame, grids: dict) -> None:
    left, right, _ = st.columns([1, 1, 3])
    left.download_button(tr("Table (CSV)", "表格(CSV)"), data=lambda: table.to_csv(index=False), file_name="phase_table.csv",
                         mime="text/csv", key="phase_csv", on_click="ignore", icon=":material/download:")
    right.download_button(tr("Figure data (JSON)", "图数据(JSON)"), data=lambda: grids_json(grids),
                          file_name="phase_diagram.json", mime="application/json", key="phase_json", on_click="ignore",
                          icon=":material/download:")


def grids_json(grids: dict) -> str:
    """Strict JSON: an underflow to 0 (log10 = -inf) is written "-inf", overflow "inf"."""
    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None if math.isnan(v) else ("-inf" if v < 0 else "inf")
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v
    return json.dumps(clean(grids), allow_nan=False)


def render() -> None:
    st.title(tr("Phase diagrams: where does the gradient survive?", "相图:梯度在哪里得以保留?"))
    st.caption(tr(
        "Each square is one probe: the cell at that weight scale and length (or forget bias, or init), loss "
        "L = v·h_T. Dark: the gradient has vanished by the first step; green-yellow: it survives or explodes. "
        "Pascanu et al. (2013): a vanilla RNN's gradient must vanish left of the dashed line γ||W_hh|| = 1; "
        "right of it, it may. Click a square to open it in the explorer.",
        "每个方格是一次探测:该单元在此权重尺度和长度(或遗忘门偏置、初始化)下,损失 L = v·h_T。深色:梯度传到第一步时已消失;"
        "绿到黄:梯度得以保留或爆炸。Pascanu 等(2013):在虚线 γ||W_hh|| = 1 左侧,普通 RNN 的梯度必然消失;右侧则可能不消失。"
        "点击方格即可在探索页中打开该配置。"))
    source = st.radio(tr("Diagram", "相图来源"), ["default", "file"], horizontal=True, key="phase_source",
                      format_func=lambda s: tr("Default (computed here)", "默认(在此计算)") if s == "default"
                      else tr("Open a sweep file", "打开扫描文件"))
    c1, c2, c3 = st.columns([1, 1, 2])
    era = "1997–2014"
    colour = c2.selectbox(tr("Colour", "颜色"), list(COLOURS), key="phase_colour", format_func=lambda c: tr(*LABELS[c]))
    if source == "default":
        y = c1.selectbox(tr("y axis", "纵轴"), list(Y_AXES), key="phase_y", format_func=lambda c: tr(*LABELS[c]))
        era = st.radio(tr("Era of the cells", "单元的年代"), list(ERAS), horizontal=True, key="phase_era",
                       format_func=lambda e: tr("both eras", "两个时代") if e == "both" else e)
        seq_len = 200
        if y != "seq_len":
            seq_len = st.select_slider(tr("Sequence length T", "序列长度 T"), DEFAULT_LENGTHS, key="phase_T",
                                       value=min(DEFAULT_LENGTHS, key=lambda t: abs(t - 170)))
        table = computed_table(y, seq_len, ERAS[era])
        seconds = st.session_state.get(SECONDS_KEY, {}).get((y, seq_len, ERAS[era]))
        if seconds is not None:
            st.caption(tr(f"Computed in {seconds:.1f} s on {cores()} cores; cached for everyone.",
                          f"在 {cores()} 个核心上用时 {seconds:.1f} 秒;已为所有人缓存。"))
    else:
        table = file_table()
        if table is None:
            return
        varying = [c for c in Y_AXES if c in table.columns and table[c].nunique() > 1] or ["seq_len"]
        y = c1.selectbox(tr("y axis", "纵轴"), varying, key="phase_y_file", format_func=lambda c: tr(*LABELS[c]))
        table = choose_slice(table, y)
    available = [c for c in CELLS if c in set(table["cell"])]
    cells = c3.multiselect(tr("Cells", "单元"), available, default=available, key=f"phase_cells_{source}" + (f"_{era}" if source == "default" and era != "1997–2014" else ""),
                           format_func=CELL_NAMES.get)
    if not cells:
        st.info(tr("Choose at least one cell.", "请至少选择一个单元。"))
        return
    shown = table[table["cell"].isin(cells)]
    grids = phase_grids(shown, cells, y=y, colour=colour)
    fig = phase_figure(grids, lang=language())
    event = st.plotly_chart(fig, key=CHART_KEY, on_select="rerun", selection_mode="points", theme=None,
                            config={"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}},
                            width="stretch")
    point = clicked_point(event, fig)
    if point is not None and point != st.session_state.get(OPENED_KEY):
        st.session_state[OPENED_KEY] = point
        settings = row_settings(shown, point[0], float(point[1]), y, point[2])
        if settings is not None:
            open_page("explorer", to_query(settings))
    if point is None:
        st.session_state.pop(OPENED_KEY, None)
    downloads(shown, grids)
    if any(c in MODERN_CELLS for c in cells):
        st.caption(tr("After the LSTM the x axis is IndRNN's max |u_j| and the top of the LRU's |λ| ring (capped at 0.999: "
                      "|λ| < 1 by construction, so it cannot explode); minGRU and minLSTM do not use it (their columns are "
                      "equal: the gates set the decay), and the forget-bias axis is their gate bias.",
                      "LSTM 之后的单元:横轴是 IndRNN 的 max |u_j|,以及 LRU 的 |λ| 环上沿(上限 0.999:|λ| < 1 由构造保证,"
                      "不会爆炸);minGRU 与 minLSTM 不使用它(各列相同:衰减由门决定),遗忘偏置轴即它们的门偏置。"))
    if grids["cells"].get("rnn") and not grids["cells"]["rnn"].get("line"):
        st.caption(tr("The line γ||W_hh|| = 1 lies outside this x range (sigmoid: γ = 1/4, so at ||W_hh|| = 4).",
                      "γ||W_hh|| = 1 这条线不在此横轴范围内(sigmoid:γ = 1/4,即在 ||W_hh|| = 4 处)。"))
