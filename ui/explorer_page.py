"""The explorer page: sidebar settings (shared through the URL) -> cached probes -> the views, in four tabs:
Gradient flow, Worked examples, Train, Upload a model. `render()`; app.py's navigation runs it.
"""
from __future__ import annotations

import streamlit as st

from .cache import run_probes
from .cards import CELL_CARDS, cell_cards
from .examples_view import show_examples
from .i18n import tr
from .probe_views import show_probe_views
from .sidebar import controls, url_problems
from .train_page import render as train_render
from .upload_page import render as upload_render


def render() -> None:
    settings = controls()
    st.title(tr("Gradient flow through time in recurrent networks", "梯度随时间的流动:循环神经网络"))
    st.caption(tr("Loss L = v·h_T, so the gradient is 1 at the last step and every curve reads as attenuation.",
                  "损失 L = v·h_T,因此最后一步的梯度为 1,每条曲线都表示梯度的衰减程度。"))
    for message in url_problems():
        st.warning(message)
    probe_tab, examples_tab, train_tab, upload_tab = st.tabs(
        [tr("Gradient flow", "梯度流"), tr("Worked examples", "例题"), tr("Train", "训练"), tr("Upload a model", "上传模型")])
    with probe_tab:
        results, errors = run_probes(settings)
        for label, message in errors.items():
            st.error(tr(f"{label}: {message}. Change that setting in the sidebar.",
                        f"{label}:{message}。请在侧边栏修改该设置。"))
        if not settings.cells:
            st.info(tr("Choose at least one cell in the sidebar.", "请在侧边栏至少选择一个单元。"))
        elif results:
            if any(c in CELL_CARDS for c in settings.cells):
                with st.expander(tr("After the LSTM: the chosen cells' equations, and why their gradient does or does "
                                    "not vanish", "LSTM 之后:所选单元的方程,以及梯度为何消失或不消失"), expanded=True):
                    cell_cards(settings.cells)
            show_probe_views(results, key="probe")
    with examples_tab:
        show_examples(settings)
    with train_tab:
        train_render()
    with upload_tab:
        upload_render()
