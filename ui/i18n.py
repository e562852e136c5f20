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
