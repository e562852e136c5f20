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
        bound={k: r.bound for k, r in rs.items()}, lang=lang, band=False, cells={k: r.config.cell for k, r in rs.items()},
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
        f"$\\sigma({b:g})^{{{n}}} = {tex_number(guess)}$ if every $x_t$ were 0. On these inputs the probe measures "
        f"{g['mingru']}, and the product of the run's own {n} numbers $1 - z_t$ is {p['mingru']} (within "
        f"${tex_number(diff, 1)}$): no matrix. LRU: {g['lru']} = $|\\lambda_j|^{{{n}}}$ per unit, under "
        f"$\\max|\\lambda|^{{{n}}} = {tex_number(bound)}$. LSTM: {g['lstm']}: its Jacobians hold $W_{{hh}}$.",
        f"若每个 $x_t$ 都为 0,则为 $\\sigma({b:g})^{{{n}}} = {tex_number(guess)}$。在这些输入上探针测得 {g['mingru']},"
        f"而本次运行自己的 {n} 个数 $1 - z_t$ 之积为 {p['mingru']}(相差 ${tex_number(diff, 1)}$ 以内):没有矩阵。"
        f"LRU:{g['lru']} = 按单元 $|\\lambda_j|^{{{n}}}$,低于 $\\max|\\lambda|^{{{n}}} = {tex_number(bound)}$。"
        f"LSTM:{g['lstm']}:它的雅可比矩阵含 $W_{{hh}}$。")


AFTER_CHAPTERS = (
    Chapter(
        "after_lstm", ("After the LSTM: gates that cannot see the past state", "LSTM 之后:看不见过去状态的门"),
        (f"Gates that read only $x_t$ (minGRU, {cite('feng2024')}) or a factor $\\lambda$ the model sets (LRU, "
         f"{cite('orvieto2023')}): each step Jacobian is diagonal, so the gradient is a product of numbers, and a scan "
         "computes all steps at once. The price: the gate cannot react to memory, nothing nonlinear acts between steps "
         "(one LRU layer cannot learn the adding problem: MSE 0.169; two layers: 0.0076).",
         f"门只读 $x_t$(minGRU,{cite('feng2024', 'zh')}),或因子 $\\lambda$ 由模型设定(LRU,"
         f"{cite('orvieto2023', 'zh')}):单步雅可比矩阵是对角的,梯度是数之积,一次扫描算出所有时间步。代价:门无法根据"
         "记忆作出反应,步与步之间没有非线性(一层 LRU 学不会加法问题:MSE 0.169;两层:0.0076)。"),
        (r"\partial L/\partial h_1 = \Big(\prod_{t=2}^{T} a_t\Big) \odot \partial L/\partial h_T,\quad"
         r" a_t = 1 - z_t\ (\text{minGRU}),\ \lambda\ (\text{LRU})",),
        (Knob("gate_bias", "Gate bias b (LSTM, minGRU)", "门偏置 b(LSTM、minGRU)", GATE_BIASES, 3.0),
         Knob("ring_top", "LRU: max |λ|", "LRU:max |λ|", RING_TOPS, 0.99)),
        figure,
        ("The minGRU multiplies its gradient by $1 - z_t \\approx \\sigma(b)$ at each of 99 steps "
         "($\\sigma(3) \\approx 0.95$). How much reaches $t = 1$?",
         "minGRU 的梯度在 99 步中每步乘以 $1 - z_t \\approx \\sigma(b)$($\\sigma(3) \\approx 0.95$)。"
         "有多少到达 $t = 1$?"),
        reveal, sweep="gate_bias"),
)
