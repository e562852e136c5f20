"""Gradient flow through time in vanilla RNNs, LSTMs and GRUs: the Streamlit app.

`streamlit run app.py`. Sidebar settings (shared through the URL) -> cached probes (`models`) ->
figures (`viz`). Tabs: the probe views, the seeds' worked examples, training, uploading a model.
"""
from __future__ import annotations

import importlib

import streamlit as st

from ui.cache import run_probes
from ui.examples_view import show_examples
from ui.i18n import tr
from ui.probe_views import show_probe_views
from ui.sidebar import controls, url_problems


def optional_page(module: str) -> None:
    """Call `module.render()`; say "coming soon" only if that module does not exist yet."""
    try:
        page = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        st.info(tr("Coming soon.", "即将推出。"))
        return
    page.render()


def main() -> None:
    st.set_page_config(page_title="Gradient flow: RNN vs LSTM vs GRU", page_icon="📉", layout="wide")
    settings = controls()
    st.title(tr("Gradient flow through time: RNN vs LSTM vs GRU", "梯度随时间的流动:RNN、LSTM 与 GRU"))
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
            show_probe_views(results, key="probe")
    with examples_tab:
        show_examples(settings)
    with train_tab:
        optional_page("ui.train_page")
    with upload_tab:
        optional_page("ui.upload_page")


main()
