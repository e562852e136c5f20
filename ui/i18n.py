"""English / Chinese text: `tr(en, zh)` picks the string for the language the user chose.

The language lives in `st.session_state["language"]` (the sidebar's switch, also `?language=zh`
in the URL), so any page can write its text as inline pairs: `st.write(tr("Loss", "损失"))`.
"""
from __future__ import annotations

import streamlit as st

LANGUAGES = {"en": "English", "zh": "中文"}
LANGUAGE_KEY = "language"
PROBLEM_KEY = "language_url_problem"  # [(English, Chinese)] when ?language= could not be used; kept until changed


def language() -> str:
    """'en' or 'zh': the current session's language (English until chosen)."""
    lang = st.session_state.get(LANGUAGE_KEY, "en")
    return lang if lang in LANGUAGES else "en"


def language_control() -> None:
    """The language switch, on every page (app.py): read once from `?language=`, then kept in the URL.

    Drawn in the sidebar unless the URL says `hide=language`; the key is shared with every page.
    """
    if LANGUAGE_KEY not in st.session_state:
        raw = st.query_params.get(LANGUAGE_KEY, "en")
        st.session_state[LANGUAGE_KEY] = raw if raw in LANGUAGES else "en"
        if raw not in LANGUAGES:
            from .settings import CONTROLS, BadParam  # the explorer's own wording for a bad URL value

            bad = BadParam(LANGUAGE_KEY, raw, CONTROLS[LANGUAGE_KEY].allowed(), "en")
            st.session_state[PROBLEM_KEY] = [(bad.message(), bad.message(zh=True))]
    hidden = {x.strip() for x in st.query_params.get("hide", "").split(",")}
    if LANGUAGE_KEY not in hidden:
        st.sidebar.radio("Language / 语言", options=list(LANGUAGES), format_func=LANGUAGES.get, key=LANGUAGE_KEY,
                         horizontal=True, on_change=st.session_state.pop, args=(PROBLEM_KEY, None))
    if st.query_params.get(LANGUAGE_KEY) != language():
        st.query_params[LANGUAGE_KEY] = language()


def tr(en: str, zh: str) -> str:
    """The string for the current language."""
    return zh if language() == "zh" else en
