"""Streamlit's own floor for scripts/measure_redraw.py: a trivial page with one slider and three Plotly charts.

    streamlit run scripts/floor_app.py

Nothing but Streamlit and Plotly: three line charts of three traces, T points each, redrawn when the
"Sequence length" slider moves (the same label, range and default as the explorer's). What this page
costs in a browser is what any Streamlit app with Plotly costs on the machine.
"""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.title("Floor: three Plotly charts")
seq_len = st.sidebar.slider("Sequence length", 1, 1000, 100)
t = np.arange(1, seq_len + 1)
for k in range(3):
    st.plotly_chart(go.Figure([go.Scatter(x=t, y=np.exp((t - seq_len) / (10.0 * (k + j + 1))), name=f"trace {j}")
                               for j in range(3)]), key=f"floor_{k}")
