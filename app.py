"""Gradient flow through time in vanilla RNNs, LSTMs and GRUs: the Streamlit app.

`streamlit run app.py`. Pages (`ui.nav`): the lesson (the tutorials chapter by chapter, `?present=1` for a
projector), the explorer (sidebar settings in the URL -> cached probes -> figures; training; uploads)
and, once it exists, the phase diagrams. A bare URL opens the lesson; a URL with explorer settings
opens the explorer. The language switch is drawn here, so it is the same widget on every page.
"""
from __future__ import annotations

import streamlit as st

from ui.i18n import language_control
from ui.nav import navigation
from ui.phone import phone_css

st.set_page_config(page_title="Gradient flow in recurrent networks", page_icon="📉", layout="wide",
                   initial_sidebar_state="collapsed" if st.query_params.get("present") == "1" else "auto")
language_control()
phone_css()
navigation().run()
