"""Streamlit sections of the app: settings and URL state, sidebar, probe views, worked examples.

Widgets, layout, caching and session state live here; the maths is in `models`, the figures in `viz`.
"""
