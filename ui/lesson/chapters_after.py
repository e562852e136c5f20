"""Chapter 10 of the lesson, "After the LSTM": the minGRU's and the LRU's gradient beside the LSTM's on the same inputs.

Same shape as `chapters_rnn` and `chapters_gated`: `AFTER_CHAPTERS`, its figure and reveal computed from the shared
cached probes (`lesson_probe`) and `models.after_lstm`, drawn by `viz.gradient_norm_figure`. Knobs: the gate bias b
(the LSTM's forget bias and the minGRU's gate bias: both give sigma(b) a step at x = 0) and the top of the LRU's
|lambda| ring.
"""
from __future__ import annotations

import numpy as np

from models import after_lstm as ma
from models.sources import cite
from viz import gradient_norm_figure, label_colors
from viz.mathtext import number, tex_number
from viz.style import CELL_NAMES

from .chapter import Chapter, Knob, pick
from .data import lesson_probe

GATE_BIASES = tuple(float(b) for b in np.arange(-1.0, 5.01, 0.5))  # 13 frames in the offline file
RING_TOPS = (0.5, 0.9, 0.95, 0.99, 0.999)


def runs(v: dict) -> dict:
    """label -> ProbeResult of the LSTM, minGRU and LRU at the knobs' values, same inputs and seed."""
    return {CELL_NAMES[c]: lesson_probe(cfg) for c, cfg in ma.configs(v["gate_bias"], v["ring_top"]).items()}


def figure(v: dict, lang: str):
    rs = runs(v)
    return gradient_norm_figure(
        {k: r.grad_h for k, r in rs.items()}, label_colors({k: r.config.cell for k, r in rs.items()}),
        grad_c={k: r.grad_c for k, r in rs.items()}, bound={k: r.bound for k, r in rs.items()}, lang=lang,
        cells={k: r.config.cell for k, r in rs.items()},
        title=pick(lang, f"b = {v['gate_bias']:g}, |λ| ≤ {v['ring_top']:g}: ||dL/dh_t||, T = {ma.SEQ_LEN}",
                   f"b = {v['gate_bias']:g},|λ| ≤ {v['ring_top']:g}:||dL/dh_t||,T = {ma.SEQ_LEN}"))


def reveal(v: dict, lang: str) -> str:
    rs = {r.config.cell: r for r in runs(v).values()}
    b, n = v["gate_bias"], ma.SEQ_LEN - 1
    at1 = {c: float(r.grad_h[:, 0].mean()) for c, r in rs.items()}
    product = {c: float(ma.factor_product(rs[c]).mean()) for c in ("mingru", "lru")}
    diff = max(abs(product[c] - at1[c]) / at1[c] if at1[c] > 0 else 0.0 for c in product)  # float32 probe, float64 product
    guess, bound = ma.sigmoid(b) ** n, float(rs["lru"].bound[0])
    g = {k: number(x) for k, x in at1.items()}
    p = {k: number(x) for k, x in product.items()}
    return pick(
        lang,
        f"$\\sigma({b:g})^{{{n}}} = {tex_number(guess)}$: that is the minGRU's gradient at $t = 1$ if every $x_t$ were 0. "
        f"On these inputs the probe measures {g['mingru']}, and multiplying the run's own {n} numbers $1 - z_t$ per unit "
        f"gives {p['mingru']}: the same number (within ${tex_number(diff, 1)}$), with no matrix anywhere. The LRU: "
        f"{g['lru']} measured, {p['lru']} as $|\\lambda_j|^{{{n}}}$ per unit, under the bound "
        f"$\\max|\\lambda|^{{{n}}} = {tex_number(bound)}$, whatever the inputs. The LSTM at the same forget bias: "
        f"{g['lstm']}; its Jacobians contain $W_{{hh}}$ and the gates' reaction to $h_{{t-1}}$, so no such product "
        "predicts it.",
        f"$\\sigma({b:g})^{{{n}}} = {tex_number(guess)}$:这是每个 $x_t$ 都为 0 时 minGRU 在 $t = 1$ 处的梯度。"
        f"在这些输入上,探针测得 {g['mingru']};把本次运行自己的 {n} 个数 $1 - z_t$ 按单元相乘,得到 {p['mingru']}:"
        f"同一个数(相差 ${tex_number(diff, 1)}$ 以内),其中没有任何矩阵。LRU:测得 {g['lru']},按单元 "
        f"$|\\lambda_j|^{{{n}}}$ 相乘得 {p['lru']},低于上界 $\\max|\\lambda|^{{{n}}} = {tex_number(bound)}$,与输入无关。"
        f"同一遗忘偏置下的 LSTM:{g['lstm']};它的雅可比矩阵含有 $W_{{hh}}$ 以及门对 $h_{{t-1}}$ 的反应,"
        "没有这样的乘积能预测它。")


AFTER_CHAPTERS = (
    Chapter(
        "after_lstm", ("After the LSTM: gates that cannot see the past state", "LSTM 之后:看不见过去状态的门"),
        (f"Since 2018 another answer: gates that read only $x_t$ (the minGRU, {cite('feng2024')}) or a linear "
         f"recurrence whose factor $\\lambda$ the model sets directly (the LRU, {cite('orvieto2023')}). Then each step "
         "Jacobian is diagonal, $\\mathrm{diag}(a_t)$, and the product of Jacobians becomes a product of numbers the "
         "model sets through a gate bias or $|\\lambda|$, unit by unit; and all $T$ steps can be computed at once, by a "
         "scan. What it gives up: the gate cannot react to what is in memory, and nothing nonlinear acts between "
         "steps, so one LRU layer with a linear head cannot solve the adding problem (MSE 0.169 at $T = 100$; two "
         "layers with tanh between: 0.0076).",
         f"2018 年以来的另一种答案:门只读 $x_t$(minGRU,{cite('feng2024', 'zh')}),或者一个线性递推,其因子 "
         f"$\\lambda$ 由模型直接设定(LRU,{cite('orvieto2023', 'zh')})。于是单步雅可比矩阵是对角的 "
         "$\\mathrm{diag}(a_t)$,雅可比矩阵之积变成模型通过门偏置或 $|\\lambda|$ 逐单元设定的数之积;而且所有 $T$ "
         "步可由一次扫描同时算出。代价:门无法根据记忆中的内容作出反应,步与步之间也没有非线性,所以一层 LRU "
         "加线性输出头解不了加法问题($T = 100$ 时 MSE 0.169;两层、中间有 tanh:0.0076)。"),
        ((r"h_t = a_t \odot h_{t-1} + b_t,\ a_t, b_t \text{ from } x_t \text{ only}"
          r"\ \rightarrow\ \partial h_t/\partial h_{t-1} = \mathrm{diag}(a_t)",
          r"h_t = a_t \odot h_{t-1} + b_t,\ a_t, b_t \text{ 只由 } x_t \text{ 算出}"
          r"\ \rightarrow\ \partial h_t/\partial h_{t-1} = \mathrm{diag}(a_t)"),
         r"\text{minGRU: } a_t = 1 - z_t = \sigma(b - W_z x_t);\quad \text{LRU: } a_t = \lambda,\ |\lambda| < 1",
         r"\partial L/\partial h_1 = \Big(\prod_{t=2}^{T} a_t\Big) \odot \partial L/\partial h_T"),
        (Knob("gate_bias", "Gate bias b (the LSTM's forget bias, the minGRU's gate bias)",
              "门偏置 b(LSTM 的遗忘门偏置,minGRU 的门偏置)", GATE_BIASES, 3.0),
         Knob("ring_top", "LRU: top of the |λ| ring", "LRU:|λ| 环的上沿", RING_TOPS, 0.99)),
        figure,
        ("The minGRU's gradient at $t = 1$ is a product of 99 numbers $1 - z_t$, each about $\\sigma(b)$ "
         "($\\sigma(3) \\approx 0.95$). At the gate bias shown, how much of the gradient reaches $t = 1$?",
         "minGRU 在 $t = 1$ 处的梯度是 99 个数 $1 - z_t$ 之积,每个约为 $\\sigma(b)$($\\sigma(3) \\approx 0.95$)。"
         "在当前门偏置下,有多少梯度到达 $t = 1$?"),
        reveal, sweep="gate_bias"),
)
