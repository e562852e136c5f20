"""Developer scripts: a headless Streamlit server plus Chromium helper, and the redraw benchmark."""
