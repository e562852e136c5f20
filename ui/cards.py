"""Explanation cards: for each view, what to look at (English / Chinese) and its equation; for each cell after
the LSTM (CELL_CARDS), its equations, its source and why its gradient does or does not vanish.

Equations follow the tutorials (`models.sources`): s_t = phi(U x_t + W s_{t-1}) (“从 RNN 到 LSTM”), the LSTM
cell state c_t = f_t * c_{t-1} + i_t * g_t (“LSTM-循环神经网络(下)”, Amy_mm's “LSTM 与 GRU 原理讲解”), BPTT's
product of Jacobians (Nir Arbel's “How LSTM networks solve the problem of vanishing gradients”).
"""
from __future__ import annotations

import streamlit as st

from models.sources import cite

from .i18n import tr

CARDS = {
    "gradient": (
        "How much the loss at the last step still *feels* h_t. Flat: the gradient survives. A straight "
        "falling line (log axis): it vanishes exponentially. Rising: it explodes. Band: min–max over the "
        "batch. Dotted: the LSTM's cell-state gradient. Dashed: the vanilla RNN's upper bound.",
        "最后一步的损失对 h_t 还有多大\"感觉\"。水平:梯度得以保留;(对数轴上)直线下降:梯度指数消失;"
        "上升:梯度爆炸。阴影:批内最小–最大值。点线:LSTM 细胞状态的梯度。虚线:普通 RNN 的理论上界。",
        (r"\frac{\partial L}{\partial h_t}=\frac{\partial L}{\partial h_T}\prod_{k=t+1}^{T}"
         r"\frac{\partial h_k}{\partial h_{k-1}}",
         r"\Big\|\frac{\partial h_k}{\partial h_{k-1}}\Big\|\le\gamma\,\|W_{hh}\|"),
    ),
    "paths": (
        f"The argument of {cite('lstm_vanishing')}, computed: step t sends its gradient back into c_{{t-1}} "
        "along paths that add up. "
        "B_t = f_t ⊙ g^c_t rides the cell state; A_t, C_t, D_t go through the forget gate, input gate and "
        "candidate. With f_t near 1, B_t carries almost everything; when it is not, the other terms can still "
        "keep the sum alive. The article holds o_t fixed; its path is drawn too, so the parts add up exactly to "
        "autograd's gradient (black dots: its norm). GRU: the update gate copies h_{t-1} forward.",
        f"{cite('lstm_vanishing', 'zh')}的论证,由引擎实际计算:第 t 步沿几条可相加的路径把梯度传回 c_{{t-1}}。B_t = f_t ⊙ g^c_t 沿细胞状态直达;"
        "A_t、C_t、D_t 分别经遗忘门、输入门和候选值。f_t 接近 1 时 B_t 几乎承担全部;否则其他项仍可能让总和不消失。"
        "该文把 o_t 视为常数;这里也画出它的路径,因此各部分之和恰好等于自动求导的梯度(黑色点线为其范数)。"
        "GRU:更新门把 h_{t-1} 直接复制到下一步。",
        (r"\frac{\partial c_t}{\partial c_{t-1}} = A_t + B_t",
         r"\qquad + C_t + D_t",
         r"B_t = f_t",
         r"h_t = (1-z_t)\odot n_t",
         r"\qquad + z_t\odot h_{t-1}"),
    ),
    "connectivity": (
        f"How much the loss at the last step still depends on the input at step t: the picture of {cite('madsen2019')}, "
        "\"Visualizing memorization in RNNs\". \"I grew up in France … I speak fluent ___\": the word France can "
        "only shape the answer "
        "if this curve has not fallen to nothing at the step where France was read.",
        f"最后一步的损失对第 t 步输入还有多大依赖({cite('madsen2019', 'zh')}《Visualizing memorization in RNNs》中的图)。"
        "\"我在法国长大……我能说一口流利的___\":只有当这条曲线在读到\"法国\"的那一步还没有衰减到零,这个词才可能影响答案。",
        (r"\Big\|\frac{\partial L}{\partial x_t}\Big\| = \Big\|W_{ih}^{\top}\,\delta_t\Big\|",),
    ),
    "units": (
        "Each row is one hidden unit (or one layer), each column a timestep; colour is log10 of the "
        "gradient reaching it. Dark on the left: early inputs no longer affect the loss through that unit.",
        "每一行是一个隐藏单元(或一层),每一列是一个时间步;颜色为到达该处梯度的 log10。"
        "左侧颜色深:早期输入已无法通过该单元影响损失。",
        (r"\Big|\frac{\partial L}{\partial h_{t,j}}\Big|,\quad j = 1..H",),
    ),
    "gates": (
        "Read with view 1 on the same time axis. Forget gate near 1 makes ∂c_t/∂c_{t-1} = f_t close to 1: "
        "the gradient rides the cell state unchanged (the highway). In PyTorch's GRU an update gate z_t "
        "near 1 copies h_{t-1} forward in the same way.",
        "与图 1 使用相同时间轴。遗忘门接近 1 时 ∂c_t/∂c_{t-1} = f_t 接近 1:梯度沿细胞状态几乎无损地传递"
        "(高速通道)。PyTorch 的 GRU 中,更新门 z_t 接近 1 时同样把 h_{t-1} 直接传下去。",
        (r"c_t=f_t\odot c_{t-1}+i_t\odot g_t,\quad \frac{\partial c_t}{\partial c_{t-1}}=\mathrm{diag}(f_t)",
         r"h_t=(1-z_t)\odot n_t+z_t\odot h_{t-1}"),
    ),
    "contributions": (
        "The weight gradient is a sum of T pieces, one per timestep. If the early pieces are tiny, "
        "W_hh learns only from the last few steps. Below: the per-step Jacobian norm; for the vanilla RNN "
        "the gradient at step t is bounded by the product of these factors from t+1 to T, so factors "
        "below 1 vanish. For the LSTM this is the h-to-h path with c_{t-1} held fixed: the cell-state "
        "path (factor f_t) runs beside it, which is why its gradient survives although this norm is below 1. "
        "For the GRU the z_t * h_{t-1} path is included.",
        "权重梯度是 T 个子梯度之和,每个时间步一项。若早期各项极小,W_hh 只能从最后几步学习。"
        "下图:每步雅可比矩阵的范数;对普通 RNN,第 t 步的梯度受 t+1 到 T 各因子乘积的约束,因子小于 1 则梯度消失。"
        "对 LSTM,这里只是 h 到 h 的路径(c_{t-1} 固定):细胞状态路径(因子 f_t)与之并行,所以即使该范数小于 1,"
        "梯度仍能保留。GRU 的 z_t ⊙ h_{t-1} 路径已包含在内。",
        (r"\frac{\partial L}{\partial W_{hh}}=\sum_{t=1}^{T}\underbrace{\delta_t\,h_{t-1}^{\top}}_{C_t}",
         r"\delta_t=\frac{\partial L}{\partial a_t}"),
    ),
    "examples": (
        "The tutorials' numbers, recomputed by the engine: a toy RNN with every weight 1, a factor 0.8 "
        "repeated 50 times, and the LSTM's parameter count (sources: the lesson's Sources list).",
        "教程中的例子,由引擎重新计算:所有权重为 1 的玩具 RNN、0.8 连乘 50 次,以及 LSTM 的参数数量。",
        (r"s_t=U x_t+W s_{t-1},\quad o_t=V s_t", r"0.8^{50}\approx 1.43\times10^{-5}"),
    ),
}


def card(view: str) -> None:
    """A bordered card: what to look at, then the view's equations, one per line."""
    en, zh, equations = CARDS[view]
    with st.container(border=True):
        st.markdown(tr(en, zh))
        for latex in equations:
            st.latex(latex)


# The cells after the LSTM: (name and source, English, Chinese, equations). Shown above the explorer's views for
# every chosen one (`cell_cards`).
CELL_CARDS = {
    "mingru": (
        "minGRU — Feng et al. 2024, “Were RNNs All We Needed?”",
        "The gate reads only x_t, never h_{t−1}, so the step Jacobian is diag(1 − z_t) and the gradient back to step t "
        "is v ⊙ ∏(1 − z_s): a product of numbers in (0, 1) that the inputs and the gate bias set. It can never explode. "
        "It vanishes unless 1 − z stays near 1: forget bias b gives σ(b) a step at x = 0 (b = 1: 0.73, so 0.73^100 ≈ 1e-14; "
        "b = 3: 0.95). What it gives up: the gate cannot look at the state to decide what to keep, and nothing "
        "nonlinear acts between steps — in exchange every step is computed at once, by a scan.",
        "门只读 x_t,不读 h_{t−1},所以单步雅可比矩阵是 diag(1 − z_t),传回第 t 步的梯度是 v ⊙ ∏(1 − z_s):"
        "一串由输入和门偏置决定、介于 0 和 1 之间的数之积。它永远不会爆炸;除非 1 − z 始终接近 1,否则就会消失:"
        "遗忘偏置 b 使 x = 0 时每步因子为 σ(b)(b = 1:0.73,0.73^100 ≈ 1e-14;b = 3:0.95)。代价:门无法查看状态来决定保留什么,"
        "步与步之间也没有非线性——换来的是所有时间步可由一次扫描(scan)同时算出。",
        (r"z_t=\sigma(W_z x_t+b_z),\quad \tilde h_t=W_h x_t", r"h_t=(1-z_t)\odot h_{t-1}+z_t\odot\tilde h_t",
         r"\frac{\partial h_t}{\partial h_{t-1}}=\mathrm{diag}(1-z_t)")),
    "minlstm": (
        "minLSTM — Feng et al. 2024, “Were RNNs All We Needed?”",
        "Forget and input gates from x_t alone, normalised so f′ + i′ = 1: the step Jacobian is diag(f′_t) and the "
        "gradient is v ⊙ ∏ f′_s, numbers in (0, 1) set by the gates' biases (b_f = b, b_i = −b give f′ = σ(b) at x = 0). "
        "Like the minGRU it cannot explode and vanishes as fast as f′ falls below 1; unlike the LSTM there is no "
        "separate cell state and no output gate.",
        "遗忘门和输入门都只由 x_t 算出,并归一化使 f′ + i′ = 1:单步雅可比矩阵是 diag(f′_t),梯度是 v ⊙ ∏ f′_s,"
        "由门偏置决定、介于 0 和 1 之间(b_f = b、b_i = −b 时 x = 0 处 f′ = σ(b))。与 minGRU 一样不会爆炸,"
        "f′ 低于 1 多少,梯度就消失多快;与 LSTM 不同,它没有单独的细胞状态,也没有输出门。",
        (r"f'_t=\frac{f_t}{f_t+i_t},\; i'_t=\frac{i_t}{f_t+i_t}", r"h_t=f'_t\odot h_{t-1}+i'_t\odot W_h x_t",
         r"\frac{\partial h_t}{\partial h_{t-1}}=\mathrm{diag}(f'_t)")),
    "indrnn": (
        "IndRNN — Li et al. 2018, “Independently Recurrent Neural Network”",
        "Each unit recurs only on itself, with its own weight u_j: the step Jacobian is diag(u ⊙ φ′(a_t)), so through "
        "unit j the gradient is u_j^(T−t) times φ′ factors. |u_j| = 1 with ReLU keeps it exactly 1 on units that stay "
        "active; |u_j| < 1 vanishes and > 1 explodes, which is why Li et al. bound |u_j|. The weight scale sets max |u_j|. "
        "Still nonlinear in h_{t−1}: its forward runs step by step (PyTorch's fused RNN kernel with W_hh = diag(u)).",
        "每个单元只与自己循环连接,有各自的权重 u_j:单步雅可比矩阵是 diag(u ⊙ φ′(a_t)),经单元 j 的梯度是 u_j^(T−t) "
        "乘以若干 φ′。ReLU 且 |u_j| = 1 时,保持激活的单元上梯度恰好为 1;|u_j| < 1 消失,> 1 爆炸,所以 Li 等人限制 |u_j|。"
        "权重尺度即 max |u_j|。它对 h_{t−1} 仍是非线性的:前向只能逐步计算(PyTorch 的融合 RNN 核,W_hh = diag(u))。",
        (r"h_t=\varphi(W x_t+u\odot h_{t-1}+b)", r"\frac{\partial h_t}{\partial h_{t-1}}=\mathrm{diag}(u\odot\varphi'(a_t))")),
    "lru": (
        "LRU — Orvieto et al. 2023, “Resurrecting Recurrent Neural Networks for Long Sequences”",
        "A linear recurrence with complex eigenvalues λ_j = exp(−exp(ν_j) + i exp(θ_j)), so |λ_j| < 1 by construction: "
        "the step Jacobian is diag(λ) and the gradient through unit j is exactly |λ_j|^(T−t), the same for every input. "
        "It can never explode; it survives as long as |λ| is near 1 (the weight scale sets the ring: at 1, |λ| ∈ [0.9, 0.999], "
        "the paper's setting). γ = (1 − |λ|²)^½ keeps the state's scale. Its state h_t is complex; the probe reports "
        "[Re h_t ; Im h_t]. Being linear, one layer with a linear head computes only linear functions of the inputs.",
        "一个线性递推,复特征值 λ_j = exp(−exp(ν_j) + i exp(θ_j)),因此 |λ_j| < 1 由构造保证:单步雅可比矩阵是 diag(λ),"
        "经单元 j 的梯度恰为 |λ_j|^(T−t),与输入无关。它永远不会爆炸;只要 |λ| 接近 1,梯度就能保留(权重尺度决定这个环:"
        "取 1 时 |λ| ∈ [0.9, 0.999],即论文的设置)。γ = (1 − |λ|²)^½ 保持状态的尺度。状态 h_t 是复数;探针报告 "
        "[Re h_t ; Im h_t]。由于是线性的,一层加线性输出头只能计算输入的线性函数。",
        (r"h_t=\lambda\odot h_{t-1}+\gamma\odot(B x_t)", r"y_t=\mathrm{Re}(C h_t)+D x_t",
         r"\frac{\partial h_t}{\partial h_{t-1}}=\mathrm{diag}(\lambda),\;|\lambda_j|<1")),
}


def cell_cards(cells) -> None:
    """One bordered card per chosen cell after the LSTM, side by side: its source, why its gradient does or does
    not vanish, its equations."""
    chosen = [c for c in cells if c in CELL_CARDS]
    for col, cell in zip(st.columns(len(chosen)) if chosen else [], chosen):
        title, en, zh, equations = CELL_CARDS[cell]
        with col, st.container(border=True):
            st.markdown(f"**{title}**")
            st.markdown(tr(en, zh))
            for latex in equations:
                st.latex(latex)
