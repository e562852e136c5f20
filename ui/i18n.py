"""English / Chinese text: `tr(en, zh)` picks the string for the language the user chose.

The language lives in `st.session_state["language"]` (the sidebar's switch, also `?language=zh`
in the URL), so any page can write its text as inline pairs: `st.write(tr("Loss", "损失"))`.
"""
from __future__ import annotations

import streamlit as st

LANGUAGES = {"en": "English", "zh": "中文"}
LANGUAGE_KEY = "language"


def language() -> str:
    """'en' or 'zh': the current session's language (English until chosen)."""
    lang = st.session_state.get(LANGUAGE_KEY, "en")
    return lang if lang in LANGUAGES else "en"


def tr(en: str, zh: str) -> str:
    """The string for the current language."""
    return zh if language() == "zh" else en


# Words inside the figures (viz builders write English; viz.localize rewrites them for Chinese).
FIGURE_PHRASES_ZH = {
    "timestep t": "时间步 t",
    "training step": "训练步",
    "hidden unit": "隐藏单元",
    "mean gate value": "门的平均值",
    "input gate (batch mean)": "输入门 i(批平均)",
    "forget gate (batch mean)": "遗忘门 f(批平均)",
    "cell gate (batch mean)": "候选记忆 g(批平均)",
    "output gate (batch mean)": "输出门 o(批平均)",
    "reset gate (batch mean)": "重置门 r(批平均)",
    "update gate (batch mean)": "更新门 z(批平均)",
    "new gate (batch mean)": "候选状态 n(批平均)",
    "σ gates": "σ 门",
    "min-max band": "最小–最大范围",
    " bound (γ||W_hh||)^(T-t)": " 上界 (γ||W_hh||)^(T-t)",
    " overflow": " 溢出",
    ": blank": ":空白",
    " zero": " 个零",
    "step t's share of dL/dW_hh (C_1 = 0: h_0 = 0)": "第 t 步在 dL/dW_hh 中的份额(C_1 = 0:h_0 = 0)",
    "(batch mean)": "(批平均)",
    "k (steps)": "k(步数)",
    "a factor below 1, repeated": "小于 1 的因子反复相乘",
    ": not finite": ":非有限值",
    "step %{x": "步 %{x",
}
FIGURE_NAMES_ZH = {  # whole texts only: legend names and axis titles that are single words
    "input": "输入门 i", "forget": "遗忘门 f", "cell": "候选记忆 g", "output": "输出门 o",
    "reset": "重置门 r", "update": "更新门 z", "new": "候选状态 n", "hidden": "隐藏",
    "unit": "单元", "gate": "门", "loss": "损失", "accuracy": "准确率",
}


def figure_text(fig):
    """`fig` with its words in the current language (a translated copy for Chinese)."""
    from viz import localize  # viz imports nothing from ui; imported here to keep i18n light
    return localize(fig, FIGURE_PHRASES_ZH, FIGURE_NAMES_ZH) if language() == "zh" else fig
