"""Chapters 5-9 of the lesson: the LSTM's paths, the sum of T sub-gradients, the GRU, training live, parameters.

Same shape as `chapters_rnn`: `GATED_CHAPTERS`, each figure and reveal computed from `models` and drawn by `viz`.
"""
from __future__ import annotations

import numpy as np

from models import lesson as ml
from models.examples import parameter_counts
from models.sources import cite
from viz import contributions_figure, gradient_paths_figure, label_colors
from viz.lesson import parameter_figure
from viz.mathtext import tex_number
from viz.paths import path_label
from viz.style import CELL_NAMES
from viz.text import word

from . import training
from .chapter import Chapter, Knob, pick
from .chapters_rnn import CELLS3, WEIGHTS
from .data import jacobian_of, lesson_probe

FORGET_BIASES = tuple(float(b) for b in np.arange(-2.0, 5.01, 0.5))  # 15 values
HIDDEN_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)


# 5 and 7. Gradient paths ------------------------------------------------------------------------------
def paths_figure(cell: str, v: dict, lang: str, title: str):
    r = lesson_probe(ml.cell_config(cell, seq_len=100, weight_scale=v.get("weight_scale", 1.0),
                                    forget_bias=v.get("forget_bias", 1.0)))
    return gradient_paths_figure({CELL_NAMES[cell]: r.grad_paths}, lang=lang, share=v.get("share", False), title=title)


def paths_reveal(cell: str, v: dict, lang: str) -> str:
    r = lesson_probe(ml.cell_config(cell, seq_len=100, weight_scale=v.get("weight_scale", 1.0),
                                    forget_bias=v.get("forget_bias", 1.0)))
    shares = ml.early_path_shares(r.grad_paths, last=10)
    top = max(shares, key=shares.get)
    gate = "forget" if cell == "lstm" else "update"
    mean_gate = float(np.asarray(r.gates[gate], dtype=np.float64).mean())
    listing = ", ".join(f"{path_label(cell, k, lang)} {s:.0%}" for k, s in sorted(shares.items(), key=lambda x: -x[1]))
    return pick(lang,
                f"Into the 10 states farthest from the loss ($t = 1..10$ on the figure) the largest path is "
                f"{path_label(cell, top, lang)}, with {shares[top]:.0%} of the paths' summed norms ({listing}). "
                f"Mean {gate} gate: {mean_gate:.2f}.",
                f"传回离损失最远的 10 个状态(图中 $t = 1..10$)的梯度中,最大的路径是 {path_label(cell, top, lang)},"
                f"占各路径范数之和的 {shares[top]:.0%}({listing})。{word(gate, lang)} 的平均值:{mean_gate:.2f}。")


# 6. Sum of T sub-gradients ----------------------------------------------------------------------------
def sum_figure(v: dict, lang: str):
    label = CELL_NAMES[v["cell"]]
    r = lesson_probe(ml.cell_config(v["cell"], weight_scale=v["weight_scale"]))
    return contributions_figure({label: r.grad_w_steps}, {label: jacobian_of(r)}, label_colors({label: v["cell"]}),
                                lang=lang, title=pick(lang, f"{label}, ||W_hh|| = {v['weight_scale']:g}: 100 terms",
                                                      f"{label},||W_hh|| = {v['weight_scale']:g}:100 项"))


def sum_reveal(v: dict, lang: str) -> str:
    r = lesson_probe(ml.cell_config(v["cell"], weight_scale=v["weight_scale"]))
    s = ml.sum_shares(r.grad_w_steps, last=10)
    return pick(lang,
                f"The last 10 of the 100 terms give {s['last_share']:.0%} of the sum of their norms; the largest term is "
                f"at $t = {s['argmax']}$, and $\\lVert C_2\\rVert / \\lVert C_T\\rVert = {tex_number(s['first_over_last'], 2)}$. "
                "The sum vanishes only if every term does: what vanishes is the early terms' share, so $W_{hh}$ "
                "learns from the recent steps.",
                f"100 项中最后 10 项占各项范数之和的 {s['last_share']:.0%};最大的一项在 $t = {s['argmax']}$,"
                f"$\\lVert C_2\\rVert / \\lVert C_T\\rVert = {tex_number(s['first_over_last'], 2)}$。只有每一项都消失,和才会消失:"
                "消失的是早期各项的份额,所以 $W_{hh}$ 主要从最近的几步学习。")


# 9. Parameter counts ----------------------------------------------------------------------------------
def counts_figure(v: dict, lang: str):
    counts = {c: parameter_counts(c, v["input_size"], v["hidden_size"]) for c in CELLS3}
    return parameter_figure(counts, lang=lang, title=pick(
        lang, f"One layer, m = {v['input_size']}, n = {v['hidden_size']}",
        f"一层,m = {v['input_size']},n = {v['hidden_size']}"))


def counts_reveal(v: dict, lang: str) -> str:
    m, n = v["input_size"], v["hidden_size"]
    c = parameter_counts("lstm", m, n)
    return pick(lang,
                f"nn.LSTM({m}, {n}) has {c['pytorch']:,} parameters; the tutorial's $4(n(m+n)+n)$ gives {c['seed']:,}. "
                f"The difference, {c['difference']:,} = {c['difference'] // n} × n, is one more bias vector per gate: "
                "PyTorch keeps $b_{ih}$ and $b_{hh}$, the tutorial one $b$.",
                f"nn.LSTM({m}, {n}) 有 {c['pytorch']:,} 个参数;教程的公式 $4(n(m+n)+n)$ 给出 {c['seed']:,}。"
                f"差值 {c['difference']:,} = {c['difference'] // n} × n,即每个门多一个偏置向量:PyTorch 有 $b_{{ih}}$ 和 "
                "$b_{hh}$,教程只有一个 $b$。")


GATED_CHAPTERS = (
    Chapter(
        "lstm", ("The LSTM: gates and the cell-state highway", "LSTM:门与细胞状态高速通道"),
        ("The LSTM keeps a cell state $c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$. "
         f"{cite('lstm_vanishing')} splits $\\partial c_t/\\partial c_{{t-1}}$ into four additive terms "
         "$A_t + B_t + C_t + D_t$; $B_t = f_t$ is the direct path, with no $W_{hh}$ in it. The forget-gate bias sets "
         "$f_t \\approx \\sigma(\\text{bias})$ at initialisation: raise it and watch which path carries the gradient "
         "from the far past.",
         "LSTM 保持一个细胞状态 $c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$。"
         f"{cite('lstm_vanishing', 'zh')}把 $\\partial c_t/\\partial c_{{t-1}}$ 拆成四个相加的项 "
         "$A_t + B_t + C_t + D_t$;$B_t = f_t$ 是直接路径,其中没有 $W_{hh}$。遗忘门偏置 $b$ 使初始化时 "
         "$f_t \\approx \\sigma(b)$:调高它,看哪条路径把梯度从遥远的过去传回来。"),
        (r"c_t = f_t \odot c_{t-1} + i_t \odot g_t,\quad h_t = o_t \odot \tanh(c_t)",
         r"\partial c_t/\partial c_{t-1} = A_t + B_t + C_t + D_t,\quad B_t = f_t"),
        (Knob("forget_bias", "Forget-gate bias", "遗忘门偏置", FORGET_BIASES, 1.0),),
        lambda v, lang: paths_figure("lstm", v, lang, pick(
            lang, f"LSTM, forget bias {v['forget_bias']:g}: the paths", f"LSTM,遗忘门偏置 {v['forget_bias']:g}:各路径")),
        ("Raise the forget bias from 1 to 3. Far from the loss, which of $A$, $B$, $C$, $D$ carries the gradient, "
         "and what share?",
         "把遗忘门偏置从 1 调到 3。在离损失很远的地方,$A$、$B$、$C$、$D$ 中哪一项传递梯度?占多少?"),
        lambda v, lang: paths_reveal("lstm", v, lang), sweep="forget_bias"),
    Chapter(
        "sum", ("The sum of T sub-gradients", "T 个子梯度之和"),
        ("The weight gradient is a sum over time, $\\partial L/\\partial W_{hh} = \\sum_t C_t$, one term per step "
         f"({cite('lstm_vanishing')}). The sum vanishes only if every term does; what vanishes is the early terms, "
         "so $W_{hh}$ learns from the last few steps only. Below: the step Jacobian norms whose products shrink "
         "the early terms.",
         "权重梯度是对时间的求和 $\\partial L/\\partial W_{hh} = \\sum_t C_t$,每步一项"
         f"({cite('lstm_vanishing', 'zh')})。只有每一项都消失,和才会消失;消失的是早期的各项,所以 $W_{{hh}}$ "
         "只能从最后几步学习。下图:每步雅可比矩阵的范数,它们的乘积使早期各项变小。"),
        (r"\partial L/\partial W_{hh} = \sum_{t=1}^{T} C_t,\quad C_t = \delta_t\,h_{t-1}^{\top}",),
        (Knob("cell", "Cell", "单元", ("rnn", "lstm"), "rnn", labels=CELL_NAMES),
         Knob("weight_scale", "Recurrent weight scale ||W_hh||", "循环权重尺度 ||W_hh||", WEIGHTS, 1.0)),
        sum_figure,
        ("$\\partial L/\\partial W_{hh}$ is a sum of 100 terms. For the tanh RNN at scale 1, what share comes from "
         "the last 10 steps?",
         "$\\partial L/\\partial W_{hh}$ 是 100 项之和。对尺度为 1 的 tanh RNN,最后 10 步占多少?"),
        sum_reveal, sweep="weight_scale"),
    Chapter(
        "gru", ("The GRU: a copy path and two gates", "GRU:复制路径与两个门"),
        (f"The GRU ({cite('cho2014')}; here in PyTorch's form, as in {cite('lstm_gru')}) writes "
         "$h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}$. Where the update gate $z_t$ is near 1 the state is "
         "copied forward, and so is the gradient: the copy path $z_t \\odot g_t$ has no $W_{hh}$ in it. The reset "
         "gate $r_t$ decides how much of $h_{t-1}$ enters the candidate $n_t$.",
         f"GRU({cite('cho2014', 'zh')};这里用 PyTorch 的形式,同{cite('lstm_gru', 'zh')})写作 "
         "$h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}$。更新门 $z_t$ 接近 1 时,状态被复制向前,梯度也一样:"
         "复制路径 $z_t \\odot g_t$ 中没有 $W_{hh}$。重置门 $r_t$ 决定 $h_{t-1}$ 有多少进入候选状态 $n_t$。"),
        (r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}",
         r"n_t = \tanh(W_{in} x_t + r_t \odot (W_{hn} h_{t-1} + b_{hn}))"),
        (Knob("weight_scale", "Recurrent weight scale ||W_hh||", "循环权重尺度 ||W_hh||", WEIGHTS, 1.0),),
        lambda v, lang: paths_figure("gru", v, lang, pick(
            lang, f"GRU, ||W_hh|| = {v['weight_scale']:g}: the paths", f"GRU,||W_hh|| = {v['weight_scale']:g}:各路径")),
        ("Far from the loss, which path carries the GRU's gradient: the copy path, or one through $W_{hh}$?",
         "在离损失很远的地方,GRU 的梯度由哪条路径传递:复制路径,还是经过 $W_{hh}$ 的路径?"),
        lambda v, lang: paths_reveal("gru", v, lang), sweep="weight_scale"),
    Chapter(
        "training", ("Training: RNN vs LSTM vs GRU on the adding problem", "训练:RNN、LSTM 与 GRU 的加法问题"),
        (f"The adding problem ({cite('hochreiter1997')}) at $T = 100$: add the two marked numbers of a sequence, the "
         "first in its first half. Predicting 1 scores MSE $1/6 \\approx 0.167$. "
         f"{cite('arjovsky2016')} report the tanh RNN staying at that baseline and the LSTM leaving it; here the "
         "three cells train live, side by side on the same batches, for the time you give them.",
         f"加法问题({cite('hochreiter1997', 'zh')}),$T = 100$:把序列中两个被标记的数相加,第一个位于前半段。"
         f"一直预测 1 的均方误差是 $1/6 \\approx 0.167$。{cite('arjovsky2016', 'zh')}报告 tanh RNN 停在这个基线,"
         "LSTM 则能离开它;这里三种单元在相同的批次上实时并排训练,时长由你决定。"),
        (r"\text{MSE}(1) = E[(u_1 + u_2 - 1)^2] = 1/6 \approx 0.167", r"u_1, u_2 \sim U(0, 1)"),
        (Knob("budget", "Time budget (s)", "训练时长(秒)", training.BUDGETS, 120),),  # LSTM leaves the baseline near step 1,100
        training.figure,
        ("Which cell leaves the 0.167 baseline first, and which never does?",
         "哪种单元最先离开 0.167 的基线?哪种一直离不开?"),
        training.reveal, live=True),
    Chapter(
        "parameters", ("Parameter counts", "参数数量"),
        ("An LSTM layer has four gate blocks, each with weights on $x_t$ ($n \\times m$), on $h_{t-1}$ "
         f"($n \\times n$) and a bias ($n$): {cite('rnn_to_lstm')} counts $4(n(m+n)+n)$. PyTorch's nn.LSTM keeps two "
         "bias vectors per gate, $b_{ih}$ and $b_{hh}$, so it reports $4n$ more. A GRU has three blocks, a vanilla "
         "RNN one.",
         "一层 LSTM 有四个门块,每个门有作用于 $x_t$ 的权重($n \\times m$)、作用于 $h_{t-1}$ 的权重($n \\times n$)"
         f"和一个偏置($n$):{cite('rnn_to_lstm', 'zh')}计为 $4(n(m+n)+n)$。PyTorch 的 nn.LSTM 每个门有两个偏置向量 "
         "$b_{ih}$ 和 $b_{hh}$,所以多出 $4n$。GRU 有三个门块,普通 RNN 一个。"),
        ((r"\text{one bias per gate: } G(n(m+n)+n)", r"\text{每门一个偏置:} G(n(m+n)+n)"),
         r"\text{PyTorch: } G(n(m+n)+2n)",
         r"G = 1\ (\text{RNN}),\ 3\ (\text{GRU}),\ 4\ (\text{LSTM})"),
        (Knob("hidden_size", "Hidden size n", "隐藏层大小 n", HIDDEN_SIZES, 32),
         Knob("input_size", "Input size m", "输入大小 m", (1, 10, 100), 1)),
        counts_figure,
        ("For $n = 32$ and $m = 1$, how many parameters does PyTorch report for nn.LSTM, and why is it not "
         "$4(n(m+n)+n)$?",
         "$n = 32$、$m = 1$ 时,PyTorch 报告的 nn.LSTM 参数是多少?为什么不是 $4(n(m+n)+n)$?"),
        counts_reveal, sweep="hidden_size"),
)
