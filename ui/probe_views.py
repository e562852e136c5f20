"""Views 1-6 of any set of probe results: `show_probe_views(results, key)`. Stable, reusable API.

    show_probe_views(results: dict[str, ProbeResult], key: str) -> None

`results` maps a legend label ("LSTM", "LSTM trained", "uploaded GRU", ...) to a `ProbeResult`
(from `models.probe` or `ui.cache.cached_probe`); `key` makes widget keys unique when the function
is called more than once on a page. Renders: an overflow banner per run that went non-finite,
(1) gradient norm vs t, (2) which path carries the gradient, (3) connectivity ||dL/dx_t||, and below
the fold, in expanders computed only when opened: (4) per-unit or per-layer heatmap, (5) gates,
(6) per-step contributions and Jacobian norms,
each with an explanation card, CSV/JSON downloads and Plotly's PNG export. Each view is an
`st.fragment`, so its own options rerun only that view. Never raises for non-finite results.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from models.config import MODERN_CELLS, RECURRENT_WEIGHTS
from viz import (connectivity_figure, contributions_figure, gate_figure, gradient_norm_figure, gradient_paths_figure,
                 label_colors, magnitude_heatmap_figure)
from viz.style import CELL_NAMES

from . import view_data
from .cache import jacobian_norms
from .cards import card
from .i18n import language, tr
from .phone import for_phone
from .settings import FOLDED_VIEWS

PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def overflow_banners(results: dict) -> None:
    """One warning per run whose forward or backward pass overflowed."""
    for label, r in results.items():
        if r.nonfinite is None:
            continue
        stage = r.nonfinite_stage or "backward"
        st.warning(tr(
            f"**{label} overflowed** at timestep t = {r.nonfinite + 1} ({stage} pass): values there are inf/NaN. "
            "The charts show the finite part and mark the overflowed steps. Lower the weight scale, "
            "the sequence length or the input scale to stay in range.",
            f"**{label} 数值溢出**:时间步 t = {r.nonfinite + 1}({'前向' if stage == 'forward' else '反向'}传播)"
            "处出现 inf/NaN。图中显示有限部分并标出溢出的时间步。降低权重尺度、序列长度或输入尺度即可避免。"),
            icon=":material/warning:")


def downloads(name: str, frame, results: dict, key: str) -> None:
    """CSV and JSON buttons; the text is built only when clicked."""
    left, right, _ = st.columns([1, 1, 3])
    left.download_button("CSV", data=lambda: view_data.to_csv(frame(results)), file_name=f"{name}.csv",
                         mime="text/csv", key=f"{key}_{name}_csv", on_click="ignore", icon=":material/download:")
    right.download_button("JSON", data=lambda: view_data.to_json(frame(results), results),
                          file_name=f"{name}.json", mime="application/json", key=f"{key}_{name}_json",
                          on_click="ignore", icon=":material/download:")


def chart(fig, key: str) -> None:
    st.plotly_chart(for_phone(fig), key=key, config=PLOTLY_CONFIG, width="stretch")


def section(title: tuple[str, str] | None, view: str):
    """Subheader (unless None: a folded view's expander names it), then (figure column, card column) with
    the view's card already in the card column."""
    if title is not None:
        st.subheader(tr(*title))
    fig_col, card_col = st.columns([3, 1])
    with card_col:
        card(view)
    return fig_col, card_col


@st.fragment
def gradient_view(results: dict, colors: dict, key: str) -> None:
    """View 1: ||dL/dh_t|| (+ ||dL/dc_t||, + bound) against t, log axis."""
    fig_col, card_col = section(("1 · Gradient norm through time", "1 · 梯度范数随时间的变化"), "gradient")
    with card_col:
        band = st.toggle(tr("Min–max band over the batch", "显示批内最小–最大范围"), value=True, key=f"{key}_band")
        gated = any(r.grad_highway is not None for r in results.values())
        highway = gated and st.toggle(
            tr("Direct path only (LSTM ∏f·dL/dc_T, GRU ∏z·dL/dh_T)", "仅直连路径(LSTM ∏f·dL/dc_T,GRU ∏z·dL/dh_T)"),
            value=False, key=f"{key}_highway",
            help=tr("What the forget gate (LSTM) or update gate (GRU) alone would carry back from the last step.",
                    "只靠遗忘门(LSTM)或更新门(GRU)这条直连路径,从最后一步能传回多少梯度。"))
    with fig_col:
        chart(gradient_norm_figure(
            {k: r.grad_h for k, r in results.items()}, colors,
            grad_c={k: r.grad_c for k, r in results.items()}, bound={k: r.bound for k, r in results.items()},
            band=band, title=tr("||dL/dh_t|| against timestep (log scale)", "||dL/dh_t|| 随时间步变化(对数坐标)"),
            lang=language(), highway={k: r.grad_highway for k, r in results.items()} if highway else None,
            cells={k: r.config.cell for k, r in results.items()}),
            key=f"{key}_gradient")
        downloads("gradient_norm", view_data.gradient_frame, results, key)


@st.fragment
def paths_view(results: dict, key: str) -> None:
    """View 2: each step's backward signal split into the tutorials' paths (models/paths.py), per run."""
    fig_col, card_col = section(("2 · Which path carries the gradient", "2 · 梯度走哪条路径"), "paths")
    with card_col:
        share = st.radio(tr("Show", "显示"), [False, True], key=f"{key}_paths_share", horizontal=True,
                         format_func=lambda v: tr("shares", "占比") if v else tr("norms (log)", "范数(对数)"))
        layers = max(len(r.grad_paths_layers) for r in results.values())
        layer = layers - 1
        if layers > 1:
            layer = st.select_slider(tr("Layer (1 = bottom)", "层(1 = 最底层)"), list(range(layers)), value=layers - 1,
                                     format_func=lambda k: str(k + 1), key=f"{key}_paths_layer")
    paths = view_data.paths_of(results, layer)
    with fig_col:
        if not paths:
            st.info(tr("No path split for these runs (an LSTM with proj_size is not split).",
                       "这些运行没有路径分解(带 proj_size 的 LSTM 不做分解)。"))
            return
        total = {k: view_data.path_total(results[k], layer) for k in paths}
        chart(gradient_paths_figure(paths, lang=language(), share=share, total=total,
                                    cells={k: results[k].config.cell for k in paths}), key=f"{key}_paths")
        if any(results[k].config.cell in MODERN_CELLS for k in paths):
            st.caption(tr("The cells after the LSTM have one path: their step Jacobian is diagonal, so all of step t's "
                          "gradient reaches h_{t−1} through one product (below the top layer, plus what the layer "
                          "above sends).", "LSTM 之后的单元只有一条路径:单步雅可比矩阵是对角的,第 t 步的梯度全部经一次乘法"
                          "传回 h_{t−1}(非顶层还要加上上一层传回的部分)。"))
        downloads("gradient_paths", lambda rs: view_data.paths_frame(rs, layer), results, key)


@st.fragment
def connectivity_view(results: dict, colors: dict, key: str) -> None:
    """View 3: ||dL/dx_t||, how much the loss still depends on the input at step t."""
    fig_col, card_col = section(("3 · Connectivity: how far back the input still matters", "3 · 连通性:多早的输入仍有影响"),
                                "connectivity")
    with card_col:
        band = st.toggle(tr("Min–max band over the batch", "显示批内最小–最大范围"), value=True, key=f"{key}_x_band")
    with fig_col:
        chart(connectivity_figure({k: r.grad_x for k, r in results.items()}, colors, lang=language(), band=band),
              key=f"{key}_connectivity")
        downloads("connectivity", view_data.connectivity_frame, results, key)


def folded(title: tuple[str, str], key: str, view: str, draw) -> None:
    """A view below the fold: an expander, shut by default, in which `draw()` runs (computing and sending the
    view) only while it is open (the heatmaps and the Jacobian norms are most of a page's bytes and of the
    server's time). Opening it reruns just the view's fragment; its state is in the URL as
    `<key>_show_<view>=true` (the explorer's: `probe_show_gates=true`, ...), so a shared link opens it too."""
    assert view in FOLDED_VIEWS, view
    box = st.expander(tr(*title), key=f"{key}_show_{view}", on_change="rerun", bind="query-params")
    if box.open:
        with box:
            draw()


@st.fragment
def units_view(results: dict, key: str) -> None:
    """View 4: per-unit heatmap of |dL/dh_t|, or per-layer when any run has more than one layer."""
    folded(("4 · Where the gradient goes: units and layers", "4 · 梯度的去向:单元与层"), key, "units",
           lambda: _units(results, key))


def _units(results: dict, key: str) -> None:
    layered = any(r.grad_h_layers.shape[0] > 1 for r in results.values())
    fig_col, card_col = section(None, "units")
    with card_col:
        by_layer = layered and st.radio(tr("Rows", "行"), [True, False], key=f"{key}_rows",
                                        format_func=lambda v: tr("layers", "层") if v else tr("units (top layer)", "单元(顶层)"))
    with fig_col:
        if by_layer:  # (L, B, T) -> (T, L), batch mean
            mats = {k: np.asarray(r.grad_h_layers, dtype=np.float64).mean(axis=1).T for k, r in results.items()}
            fig = magnitude_heatmap_figure(mats, row_title=tr("layer (1 = bottom)", "层(1 = 最底层)"),
                                           value_name="||dL/dh_t||", title=tr("||dL/dh_t|| per layer", "各层的 ||dL/dh_t||"),
                                           lang=language())
            frame_name, frame = "grad_per_layer", view_data.layers_frame
        else:  # (B, T, H) -> (T, H), batch mean
            mats = {k: np.asarray(r.grad_h_units, dtype=np.float64).mean(axis=0) for k, r in results.items()}
            fig = magnitude_heatmap_figure(mats, row_title=tr("hidden unit", "隐藏单元"),
                                           title=tr("|dL/dh_t| per hidden unit (batch mean)", "各隐藏单元的 |dL/dh_t|(批平均)"),
                                           lang=language())
            frame_name, frame = "grad_per_unit", view_data.units_frame
        chart(fig, key=f"{key}_units")
        downloads(frame_name, frame, results, key)


@st.fragment
def gates_view(results: dict, key: str) -> None:
    """View 5: one gate figure per gated run, side by side."""
    folded(("5 · Gate activations", "5 · 门控激活值"), key, "gates", lambda: _gates(results, key))


def _gates(results: dict, key: str) -> None:
    gated = {k: r for k, r in results.items() if r.gates}
    card("gates")
    if not gated:
        st.info(tr("The vanilla RNN, IndRNN and the LRU have no gates: add an LSTM, GRU, minGRU or minLSTM to the cells "
                   "to compare.", "普通 RNN、IndRNN 和 LRU 没有门:在比较的单元中加入 LSTM、GRU、minGRU 或 minLSTM。"))
        return
    if any(r.config.cell in MODERN_CELLS for r in gated.values()):
        st.caption(tr("minGRU's update gate z_t and minLSTM's f′_t, i′_t are computed from x_t alone, so they do not "
                      "react to the state; 1 − z_t (minGRU) and f′_t (minLSTM) are the factors of the gradient.",
                      "minGRU 的更新门 z_t 与 minLSTM 的 f′_t、i′_t 只由 x_t 算出,不随状态变化;1 − z_t(minGRU)与 "
                      "f′_t(minLSTM)就是梯度的各步因子。"))
    for col, (label, r) in zip(st.columns(len(gated)), gated.items()):
        with col:
            chart(gate_figure(r.gates, tr(f"{label} gates", f"{label} 的门"), lang=language()), key=f"{key}_gates_{label}")
    downloads("gates", view_data.gates_frame, gated, key)


@st.fragment
def contributions_view(results: dict, colors: dict, key: str) -> None:
    """View 6: per-step contributions to dL/dW_hh and per-step Jacobian norms (the slowest: computed only
    when opened, and last)."""
    folded(("6 · Sum of T sub-gradients and the Jacobian norms", "6 · T 个子梯度之和与雅可比范数"), key,
           "contributions", lambda: _contributions(results, colors, key))


def _contributions(results: dict, colors: dict, key: str) -> None:
    fig_col, card_col = section(None, "contributions")
    modern = [r.config.cell for r in results.values() if r.config.cell in MODERN_CELLS]
    if modern:
        with card_col:
            weights = "; ".join(f"{CELL_NAMES[c]}: {RECURRENT_WEIGHTS[c]}" for c in dict.fromkeys(modern))
            st.caption(tr(f"After the LSTM, C_t is step t's piece of the gradient of the weights that set the recurrent "
                          f"factor ({weights}), and the Jacobian diag(a_t) has norm max_j |a_tj|, computed exactly.",
                          f"LSTM 之后的单元:C_t 是决定循环因子的权重({weights})的梯度在第 t 步的部分;"
                          f"雅可比矩阵 diag(a_t) 的范数为 max_j |a_tj|,精确计算。"))
    with fig_col:
        chart(contributions_figure({k: r.grad_w_steps for k, r in results.items()}, jacobian_norms(results), colors,
                                   title=tr("Per-step contributions and Jacobian norms", "每步贡献与雅可比范数"),
                                   lang=language()),
              key=f"{key}_contributions")
        downloads("contributions", view_data.contributions_frame, results, key)


def show_probe_views(results: dict, key: str) -> None:
    """Render views 1-6 for label -> ProbeResult (see the module docstring)."""
    if not results:
        st.info(tr("Nothing to show yet: choose at least one cell.", "暂无内容:请至少选择一个单元。"))
        return
    colors = label_colors({k: r.config.cell for k, r in results.items()})
    overflow_banners(results)
    gradient_view(results, colors, key)
    paths_view(results, key)
    connectivity_view(results, colors, key)
    units_view(results, key)
    gates_view(results, key)
    contributions_view(results, colors, key)
