"""View 5: the tutorials' worked examples, computed by `models.examples`, for the chosen sizes.

The toy RNN of “史上最详细循环神经网络讲解” (all weights 1, linear, outputs [4,4], [12,12], [32,32]); the
0.8^50 decay and the LSTM parameter count 4(n(m+n)+n) of “从 RNN 到 LSTM”, next to PyTorch's 4(n(m+n)+2n).
"""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from models.config import CLASSIC_CELLS
from models.examples import decay_example, parameter_counts, toy_rnn_example
from models.sources import cite
from viz import decay_figure
from viz.style import CELL_NAMES

from .cards import card
from .i18n import language, tr
from .probe_views import PLOTLY_CONFIG
from .settings import AppSettings
from .view_data import to_csv


ONE_BIAS = "one bias per gate: G(n(m+n)+n)"  # the count of “从 RNN 到 LSTM”


@st.cache_data(show_spinner=False)
def worked_examples(input_size: int, hidden_size: int, num_layers: int) -> dict:
    """Toy RNN, 0.8^50 decay and parameter counts for every cell type; plain lists and ints."""
    return {"toy_rnn": toy_rnn_example(), "decay": decay_example(0.8, 50),
            "parameters": {c: parameter_counts(c, input_size, hidden_size, num_layers) for c in CLASSIC_CELLS}}


def toy_table(toy: dict) -> pd.DataFrame:
    """One row per step t: x_t, s_t = U x_t + W s_{t-1}, o_t = V s_t."""
    return pd.DataFrame({"t": range(1, len(toy["inputs"]) + 1), "x_t": [str(x) for x in toy["inputs"]],
                         "s_t": [str(h) for h in toy["hidden"]], "o_t": [str(o) for o in toy["outputs"]]})


def count_table(counts: dict) -> pd.DataFrame:
    """One row per cell type: the tutorial's count (one bias per gate), PyTorch's, and the difference."""
    return pd.DataFrame([{"cell": CELL_NAMES[c], ONE_BIAS: v["seed"], "PyTorch": v["pytorch"],
                          "difference": v["difference"]} for c, v in counts.items()])


def show_examples(settings: AppSettings) -> None:
    """Render view 5 for the sidebar's hidden size and layers (input size 1, as probed)."""
    st.subheader(tr("5 · Worked examples from the tutorials", "5 · 教程中的例题"))
    card("examples")
    ex = worked_examples(1, settings.hidden_size, settings.num_layers)
    toy, decay = ex["toy_rnn"], ex["decay"]
    left, right = st.columns(2)
    with left:
        st.markdown(tr(f"**Toy RNN**, every weight 1, linear, $s_0 = 0$ (from {cite('most_detailed')}):",
                       f"**玩具 RNN**,所有权重为 1,线性激活,$s_0 = 0$(出自{cite('most_detailed', 'zh')}):"))
        st.dataframe(toy_table(toy), hide_index=True)
        st.markdown(tr(f"**Parameters** for input m = 1, hidden n = {settings.hidden_size}, "
                       f"{settings.num_layers} layer(s):",
                       f"**参数数量**:输入 m = 1,隐藏 n = {settings.hidden_size},{settings.num_layers} 层:"))
        st.dataframe(count_table(ex["parameters"]), hide_index=True)
        st.caption(tr("They differ because PyTorch keeps two bias vectors per gate ($b_{ih}$ and $b_{hh}$) where the "
                      f"formula of {cite('rnn_to_lstm')} has one, so PyTorch adds $G n$ per layer (G = 4 gates for an "
                      "LSTM).", "二者不同,是因为 PyTorch 每个门有两个偏置向量($b_{ih}$ 和 $b_{hh}$),而"
                      f"{cite('rnn_to_lstm', 'zh')}的公式只有一个,所以 PyTorch 每层多 $G n$ 个参数(LSTM 的 G = 4)。"))
    with right:
        st.plotly_chart(decay_figure(decay["curve"], decay["base"],
                                     title=tr("0.8^k: the gradient of a one-unit linear RNN, W = 0.8",
                                              "0.8^k:单单元线性 RNN(W = 0.8)的梯度"), lang=language()),
                        key="examples_decay", config=PLOTLY_CONFIG, width="stretch")
        st.markdown(tr(f"After 50 steps: **{decay['final']:.8g}** (probe) vs $0.8^{{50}}$ = {decay['power']:.8g}, "
                       f"the example of {cite('rnn_to_lstm')}.",
                       f"50 步之后:**{decay['final']:.8g}**(探针)对比 $0.8^{{50}}$ = {decay['power']:.8g}"
                       f"({cite('rnn_to_lstm', 'zh')}中的例子)。"))
    a, b, _ = st.columns([1, 1, 3])
    a.download_button("CSV", data=lambda: to_csv(pd.concat([toy_table(toy).assign(table="toy_rnn"),
                                                            count_table(ex["parameters"]).assign(table="parameters")])),
                      file_name="worked_examples.csv", mime="text/csv", key="examples_csv", on_click="ignore",
                      icon=":material/download:")  # the text is built only when clicked, as the views' downloads
    b.download_button("JSON", data=lambda: json.dumps(ex), file_name="worked_examples.json", mime="application/json",
                      key="examples_json", on_click="ignore", icon=":material/download:")
