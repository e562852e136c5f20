"""Chapter 10, "After the LSTM": the minGRU's and the LRU's gradient beside the LSTM's on the same inputs.

`figure(values, lang)` and `reveal(values, lang)` as every chapter's (ui.lesson.chapters): the numbers come from the
shared cached probes (`lesson_probe`) and `models.after_lstm`, the drawing from `viz.gradient_norm_figure`.
Knobs: the gate bias b (the LSTM's forget bias and the minGRU's gate bias: both give sigma(b) a step at x = 0) and
the top of the LRU's |lambda| ring.
"""
from __future__ import annotations

import numpy as np

from models import after_lstm as ma
from viz import gradient_norm_figure, label_colors
from viz.style import CELL_NAMES

from .data import lesson_probe

GATE_BIASES = tuple(float(b) for b in np.arange(-1.0, 5.01, 0.5))  # 13 frames in the offline file
RING_TOPS = (0.5, 0.9, 0.95, 0.99, 0.999)


def pick(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


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
    b, T = v["gate_bias"], ma.SEQ_LEN
    at1 = {c: float(r.grad_h[:, 0].mean()) for c, r in rs.items()}
    product = {c: float(ma.factor_product(rs[c]).mean()) for c in ("mingru", "lru")}
    guess = ma.sigmoid(b) ** (T - 1)
    bound = float(rs["lru"].bound[0])
    diff = max(abs(product[c] - at1[c]) / at1[c] if at1[c] > 0 else 0.0 for c in product)  # float32 probe, float64 product
    return pick(
        lang,
        f"σ({b:g})^{T - 1} = {guess:.3g}: that is the minGRU's gradient at t = 1 if every x_t were 0. On these inputs "
        f"the probe measures {at1['mingru']:.3g}, and multiplying the run's own {T - 1} numbers 1 − z_t per unit gives "
        f"{product['mingru']:.3g}: the same number (within {diff:.0e}), with no matrix anywhere. The LRU: {at1['lru']:.3g} measured, "
        f"{product['lru']:.3g} as |λ_j|^{T - 1} per unit, under the bound max|λ|^{T - 1} = {bound:.3g}, whatever the "
        f"inputs. The LSTM at the same forget bias: {at1['lstm']:.3g}; its Jacobians contain W_hh and the gates' "
        "reaction to h_{t−1}, so no such product predicts it.",
        f"σ({b:g})^{T - 1} = {guess:.3g}:这是每个 x_t 都为 0 时 minGRU 在 t = 1 处的梯度。在这些输入上,探针测得 "
        f"{at1['mingru']:.3g};把本次运行自己的 {T - 1} 个数 1 − z_t 按单元相乘,得到 {product['mingru']:.3g}:"
        f"同一个数(相差 {diff:.0e} 以内),其中没有任何矩阵。LRU:测得 {at1['lru']:.3g},按单元 |λ_j|^{T - 1} 相乘得 {product['lru']:.3g},"
        f"低于上界 max|λ|^{T - 1} = {bound:.3g},与输入无关。同一遗忘偏置下的 LSTM:{at1['lstm']:.3g};"
        "它的雅可比矩阵含有 W_hh 以及门对 h_{t−1} 的反应,没有这样的乘积能预测它。")
