"""The lesson's ten chapters as data: `CHAPTERS`, a tuple of `Chapter` entries that `ui.lesson.page` walks.

Each chapter: a title, 2-4 sentences (English, Chinese), equations as HTML (Unicode, <sub>, <sup>: they
read the same in the app and in the offline file), at most two `Knob`s, one figure and a "predict, then
reveal" whose answer is computed from the run the figure shows. `figure(values, lang)` and
`reveal(values, lang)` take the knob values (name -> value) and return a Plotly figure and a str: the
numbers come from `models` (cached probes, `models.lesson`, `models.examples`), the drawing from `viz`.
`sweep` names the knob the offline HTML turns into a Plotly slider (one frame per option).
Chapter 8 (training) is live: its figure is this session's run (`ui.lesson.training`). Chapter 10 (after the
LSTM) draws its figure and reveal in `ui.lesson.after_lstm`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from models import lesson as ml
from models.examples import decay_example, parameter_counts
from viz import connectivity_figure, contributions_figure, gradient_norm_figure, gradient_paths_figure, label_colors
from viz.lesson import clipping_figure, parameter_figure, toy_rnn_figure
from viz.paths import path_label
from viz.style import CELL_NAMES
from viz.text import word

from . import after_lstm, training
from .data import cached_clipping, jacobian_of, lesson_probe, worked_toy


@dataclass(frozen=True)
class Knob:
    """One chapter control: its URL parameter `name`, label, the values it can take, and its default."""

    name: str
    en: str
    zh: str
    options: tuple
    default: object

    def parse(self, raw):
        """The option `raw` (URL text) stands for, or None when it is not one of the options."""
        for option in self.options:
            if str(raw) == fmt(option):
                return option
        try:
            number = float(raw)
        except (TypeError, ValueError):
            return None
        return next((o for o in self.options if isinstance(o, (int, float)) and np.isclose(o, number)), None)


@dataclass(frozen=True)
class Chapter:
    slug: str
    title: tuple[str, str]
    text: tuple[str, str]
    equations: tuple  # HTML; a str, or an (English, Chinese) pair where words appear
    knobs: tuple[Knob, ...]
    figure: Callable[[dict, str], object]
    predict: tuple[str, str]
    reveal: Callable[[dict, str], str]
    sweep: str | None = None  # knob the offline file's Plotly slider steps through
    live: bool = False  # chapter 8: the figure is a running job, redrawn while it trains

    def defaults(self) -> dict:
        return {k.name: k.default for k in self.knobs}

    def equations_in(self, lang: str) -> tuple[str, ...]:
        return tuple(eq if isinstance(eq, str) else pick(lang, *eq) for eq in self.equations)


def fmt(value) -> str:
    """URL and label text of a knob value: 0.9, 1, 32, tanh."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def pick(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


WEIGHTS = tuple(round(0.5 + 0.05 * i, 2) for i in range(21))  # 0.5 .. 1.5: 21 frames, through 1
EXPLODING = tuple(round(1.0 + 0.025 * i, 3) for i in range(21))  # 1.0 .. 1.5
FORGET_BIASES = tuple(float(b) for b in np.arange(-2.0, 5.01, 0.5))  # 15 values
DISTANCES = (5, 10, 20, 30, 50, 75, 100, 150, 200)
HIDDEN_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)


# 1. Unrolling -----------------------------------------------------------------------------------------
def unroll_figure(v: dict, lang: str):
    return toy_rnn_figure(worked_toy(), v["step"], pick(lang, f"The toy RNN unrolled to t = {v['step']}",
                                                        f"玩具 RNN 展开到 t = {v['step']}"), lang=lang)


def unroll_reveal(v: dict, lang: str) -> str:
    toy = worked_toy()
    s, o = toy["hidden"], toy["outputs"]
    vec = lambda a: "[" + ", ".join(f"{x:g}" for x in a) + "]"  # noqa: E731
    return pick(lang,
                f"o_3 = {vec(o[2])}. The state carries everything forward: s_1 = {vec(s[0])}, "
                f"s_2 = U x_2 + W s_1 = {vec(s[1])}, s_3 = U x_3 + W s_2 = {vec(s[2])}, and o_t = V s_t "
                f"adds the two components: o = {vec(o[0])}, {vec(o[1])}, {vec(o[2])}.",
                f"o_3 = {vec(o[2])}。状态把一切向前传递:s_1 = {vec(s[0])},s_2 = U x_2 + W s_1 = {vec(s[1])},"
                f"s_3 = U x_3 + W s_2 = {vec(s[2])};o_t = V s_t 把两个分量相加:o = {vec(o[0])}、{vec(o[1])}、{vec(o[2])}。")


# 2. Vanishing -----------------------------------------------------------------------------------------
def vanishing_figure(v: dict, lang: str):
    r = lesson_probe(ml.vanishing_config(v["weight_scale"], v["activation"]))
    return gradient_norm_figure({"RNN": r.grad_h}, label_colors({"RNN": "rnn"}), bound={"RNN": r.bound}, lang=lang,
                                title=pick(lang, f"{v['activation']} RNN, ||W_hh|| = {v['weight_scale']:g}: ||dL/dh_t||",
                                           f"{v['activation']} RNN,||W_hh|| = {v['weight_scale']:g}:||dL/dh_t||"))


def vanishing_reveal(v: dict, lang: str) -> str:
    act = v["activation"]
    g = {w: ml.gradient_at(lesson_probe(ml.vanishing_config(w, act)).grad_h, 1) for w in (0.9, 1.1)}
    ratio = g[1.1] / g[0.9] if g[0.9] > 0 else float("inf")
    now = lesson_probe(ml.vanishing_config(v["weight_scale"], act))
    at1, bound1 = ml.gradient_at(now.grad_h, 1), float(now.bound[0])
    seed = decay_example(0.8, 50)
    rises = g[1.1] > g[0.9]
    return pick(lang,
                f"It {'rises' if rises else 'falls'}: for the {act} RNN the gradient at t = 1 is {g[0.9]:.3g} at "
                f"||W_hh|| = 0.9 and {g[1.1]:.3g} at 1.1, {ratio:.3g} times as much (the bound's ratio is "
                f"(1.1/0.9)^50 = {(1.1 / 0.9) ** 50:.3g}). At {v['weight_scale']:g} it is {at1:.3g}, under the bound "
                f"{bound1:.3g}. Seed 000's 0.8^50: a one-unit linear RNN with W = 0.8 gives {seed['final']:.6g}, "
                f"and 0.8^50 = {seed['power']:.6g}.",
                f"{'上升' if rises else '下降'}:{act} RNN 在 t = 1 处的梯度,||W_hh|| = 0.9 时为 {g[0.9]:.3g},"
                f"1.1 时为 {g[1.1]:.3g},是前者的 {ratio:.3g} 倍(上界之比为 (1.1/0.9)^50 = {(1.1 / 0.9) ** 50:.3g})。"
                f"当前 {v['weight_scale']:g} 时为 {at1:.3g},低于上界 {bound1:.3g}。教程 000 的 0.8^50:"
                f"W = 0.8 的单单元线性 RNN 给出 {seed['final']:.6g},而 0.8^50 = {seed['power']:.6g}。")


# 3. Exploding and clipping ----------------------------------------------------------------------------
def clipping_chapter_figure(v: dict, lang: str):
    c = cached_clipping(v["weight_scale"], v["clip"])
    return clipping_figure(c["steps"], c["factor"], v["clip"], lang=lang, title=pick(
        lang, f"Linear RNN, ||W_hh|| = {v['weight_scale']:g}: ||g|| = {c['total']:.3g}",
        f"线性 RNN,||W_hh|| = {v['weight_scale']:g}:||g|| = {c['total']:.3g}"))


def clipping_reveal(v: dict, lang: str) -> str:
    c = cached_clipping(v["weight_scale"], v["clip"])
    s = np.asarray(c["steps"], dtype=np.float64)
    before, after = s[1] / s[-1], (s[1] * c["factor"]) / (s[-1] * c["factor"])
    clipped = c["factor"] < 1.0
    return pick(lang,
                f"No. ||g|| = {c['total']:.4g} is {'over' if clipped else 'under'} the threshold {v['clip']:g}, so every "
                f"piece is multiplied by the same factor {c['factor']:.4g} (||g|| becomes {c['clipped_total']:.4g}). "
                f"The ratio ||C_2|| / ||C_T|| is {before:.4g} before and {after:.4g} after: clipping bounds the size "
                "of the step, not which timesteps the gradient comes from.",
                f"不会。||g|| = {c['total']:.4g} {'超过' if clipped else '低于'}阈值 {v['clip']:g},所以每一项都乘以同一个因子 "
                f"{c['factor']:.4g}(||g|| 变为 {c['clipped_total']:.4g})。||C_2|| / ||C_T|| 在裁剪前为 {before:.4g},"
                f"裁剪后为 {after:.4g}:裁剪限制的是步长的大小,而不是梯度来自哪些时间步。")


# 4. Long-range dependencies ---------------------------------------------------------------------------
CELLS3 = ("rnn", "lstm", "gru")


def long_range_figure(v: dict, lang: str):
    runs = {CELL_NAMES[c]: lesson_probe(ml.cell_config(c, seq_len=v["seq_len"])) for c in CELLS3}
    return connectivity_figure({k: r.grad_x for k, r in runs.items()}, label_colors({CELL_NAMES[c]: c for c in CELLS3}),
                               lang=lang, title=pick(lang, f"'France' at t = 1, 'fluent' at t = {v['seq_len']}",
                                                     f"“法国”在 t = 1,“流利”在 t = {v['seq_len']}"))


def long_range_reveal(v: dict, lang: str) -> str:
    T, parts = v["seq_len"], []
    for c in CELLS3:
        gx = lesson_probe(ml.cell_config(c, seq_len=T)).grad_x.astype(np.float64).mean(axis=0)
        ratio = gx[0] / gx[-1] if gx[-1] > 0 else float("nan")
        back = ml.reach(lesson_probe(ml.cell_config(c, seq_len=T)).grad_x)
        parts.append(pick(lang, f"{CELL_NAMES[c]}: {ratio:.2g} of its value at 'fluent', at least 1% for "
                                f"{back} steps back",
                          f"{CELL_NAMES[c]}:为“流利”处的 {ratio:.2g},向前 {back} 步内保持在 1% 以上"))
    return pick(lang, f"At 'France', T - 1 = {T - 1} steps back: " + "; ".join(parts) + ". Untrained, with the "
                "forget gate at about σ(1) = 0.73, the LSTM's edge is modest; training sets the gates. The Train "
                "tab's recall task (explorer) asks exactly this question: classify the first symbol after T steps.",
                f"在“法国”处,即向前 T - 1 = {T - 1} 步:" + ";".join(parts) + "。未训练时遗忘门约为 σ(1) = 0.73,"
                "LSTM 的优势有限;训练会调整门。探索页“训练”标签中的回忆任务问的正是这个问题:T 步之后说出第一个符号。")


# 5. LSTM paths ----------------------------------------------------------------------------------------
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
                f"Into the 10 states farthest from the loss (t = 1..10 on the figure) the largest path is {path_label(cell, top, lang)}, "
                f"with {shares[top]:.0%} of the paths' summed norms ({listing}). Mean {gate} gate: {mean_gate:.2f}.",
                f"传回离损失最远的 10 个状态(图中 t = 1..10)的梯度中,最大的路径是 {path_label(cell, top, lang)},"
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
                f"at t = {s['argmax']}, and ||C_2|| / ||C_T|| = {s['first_over_last']:.2g}. The sum vanishes only if "
                "every term does: what vanishes is the early terms' share, so W_hh learns from the recent steps.",
                f"100 项中最后 10 项占各项范数之和的 {s['last_share']:.0%};最大的一项在 t = {s['argmax']},"
                f"||C_2|| / ||C_T|| = {s['first_over_last']:.2g}。只有每一项都消失,和才会消失:消失的是早期各项的份额,"
                "所以 W_hh 主要从最近的几步学习。")


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
                f"nn.LSTM({m}, {n}) has {c['pytorch']:,} parameters; the seed's 4(n(m+n)+n) gives {c['seed']:,}. "
                f"The difference, {c['difference']:,} = {c['difference'] // n} × n, is one more bias vector per gate: "
                "PyTorch keeps b_ih and b_hh, the seed one b.",
                f"nn.LSTM({m}, {n}) 有 {c['pytorch']:,} 个参数;教程公式 4(n(m+n)+n) 给出 {c['seed']:,}。"
                f"差值 {c['difference']:,} = {c['difference'] // n} × n,即每个门多一个偏置向量:PyTorch 有 b_ih 和 b_hh,"
                "教程只有一个 b。")


CHAPTERS = (
    Chapter(
        "unrolling", ("Unrolling an RNN", "展开 RNN"),
        ("An RNN applies the same weights at every step and carries a state forward: s_t = U x_t + W s_{t−1}. "
         "Seed 002's toy network sets every weight to 1 and drops the activation, so you can follow it by hand. "
         "Step through t = 1, 2, 3 and watch the state accumulate the inputs.",
         "RNN 在每一步使用相同的权重,并把状态向前传递:s_t = U x_t + W s_{t−1}。教程 002 的玩具网络把所有权重设为 1,"
         "并去掉激活函数,可以手算。逐步走过 t = 1、2、3,看状态如何累积输入。"),
        ("s<sub>t</sub> = U x<sub>t</sub> + W s<sub>t−1</sub>,&nbsp; o<sub>t</sub> = V s<sub>t</sub>,&nbsp; "
         "s<sub>0</sub> = 0",),
        (Knob("step", "Unroll to step t", "展开到第 t 步", (1, 2, 3), 3),),
        unroll_figure,
        ("Inputs [1,1], [1,1], [2,2], every weight 1. Before you step to t = 3: what is o_3?",
         "输入 [1,1]、[1,1]、[2,2],所有权重为 1。在走到 t = 3 之前:o_3 是多少?"),
        unroll_reveal, sweep="step"),
    Chapter(
        "vanishing", ("Vanishing gradients", "梯度消失"),
        ("Backpropagation through time multiplies one step Jacobian per step, ∂h_t/∂h_{t−1} = diag(φ′) W_hh. "
         "A factor a little below 1, repeated, leaves almost nothing: 0.8^50 ≈ 0.0000143 (seed 000). "
         "The gradient at t is bounded by (γ‖W_hh‖)^(T−t), γ bounding |φ′| (1 for tanh). "
         "Move the weight scale through 1 and watch the left end of the curve.",
         "随时间反向传播在每一步乘一个雅可比矩阵 ∂h_t/∂h_{t−1} = diag(φ′) W_hh。略小于 1 的因子反复相乘,"
         "几乎什么都不剩:0.8^50 ≈ 0.0000143(教程 000)。第 t 步的梯度受 (γ‖W_hh‖)^(T−t) 约束,γ 是 |φ′| 的上界"
         "(tanh 为 1)。让权重尺度穿过 1,看曲线的左端。"),
        ("∂L/∂h<sub>t</sub> = ∂L/∂h<sub>T</sub> ∏<sub>k=t+1..T</sub> diag(φ′(a<sub>k</sub>)) W<sub>hh</sub>",
         "‖∂L/∂h<sub>t</sub>‖ ≤ (γ ‖W<sub>hh</sub>‖)<sup>T−t</sup>,&nbsp; 0.8<sup>50</sup> ≈ 1.43 × 10<sup>−5</sup>"),
        (Knob("weight_scale", "Recurrent weight scale ||W_hh||", "循环权重尺度 ||W_hh||", WEIGHTS, 0.9),
         Knob("activation", "Activation φ", "激活函数 φ", ("tanh", "linear"), "tanh")),
        vanishing_figure,
        ("Before you move the slider: if ||W_hh|| goes from 0.9 to 1.1, does the gradient at t = 1 rise or fall, "
         "and by how much?",
         "移动滑块之前先猜:如果 ||W_hh|| 从 0.9 变为 1.1,t = 1 处的梯度是上升还是下降?变化多少?"),
        vanishing_reveal, sweep="weight_scale"),
    Chapter(
        "exploding", ("Exploding gradients, and what clipping does", "梯度爆炸与梯度裁剪"),
        ("With factors above 1 the same product explodes: a linear RNN at scale 1.2 multiplies the gradient by "
         "1.2 per step back. Gradient clipping rescales the whole gradient g to τ·g/‖g‖ when ‖g‖ > τ "
         "(Pascanu et al. 2013). Here g = dL/dW_hh is the sum of T pieces C_t; see what clipping does to each.",
         "因子大于 1 时,同样的乘积会爆炸:尺度 1.2 的线性 RNN 每向前一步把梯度乘以 1.2。梯度裁剪在 ‖g‖ > τ 时"
         "把整个梯度缩放为 τ·g/‖g‖(Pascanu 等,2013)。这里 g = dL/dW_hh 是 T 项 C_t 之和;看看裁剪对每一项做了什么。"),
        ("g = ∂L/∂W<sub>hh</sub> = Σ<sub>t</sub> C<sub>t</sub>,&nbsp; g ← τ g / ‖g‖ &nbsp;if ‖g‖ > τ",),
        (Knob("weight_scale", "Recurrent weight scale ||W_hh||", "循环权重尺度 ||W_hh||", EXPLODING, 1.2),
         Knob("clip", "Clip threshold τ", "裁剪阈值 τ", (0.1, 1.0, 10.0, 100.0, 1000.0), 1.0)),
        clipping_chapter_figure,
        ("At scale 1.2, ‖g‖ is in the millions. Clipping to τ = 1 shrinks it enormously: does it also change "
         "which timesteps the gradient comes from, say the ratio ‖C_2‖ / ‖C_T‖?",
         "尺度 1.2 时,‖g‖ 达到数百万。裁剪到 τ = 1 会让它大幅缩小:它是否也改变了梯度来自哪些时间步,"
         "比如比值 ‖C_2‖ / ‖C_T‖?"),
        clipping_reveal, sweep="weight_scale"),
    Chapter(
        "long_range", ("Long-range dependencies", "长程依赖"),
        ("“I grew up in France … I speak fluent ___”: the answer depends on a word far back (seed 000). "
         "For the network to learn it, the loss at 'fluent' must send gradient back to 'France'. "
         "The figure shows how much the last output still depends on the input at each step, ‖dL/dx_t‖, "
         "for an untrained RNN, LSTM and GRU on the same inputs.",
         "“我在法国长大……我能说流利的___”:答案取决于很久以前的一个词(教程 000)。网络要学会它,"
         "“流利”处的损失必须把梯度传回“法国”。图中是最后的输出对每一步输入的依赖程度 ‖dL/dx_t‖,"
         "三种未训练的单元使用相同的输入。"),
        ("‖∂L/∂x<sub>t</sub>‖ = ‖W<sub>ih</sub><sup>⊤</sup> δ<sub>t</sub>‖,&nbsp; t = 1 (“France”) … T (“fluent”)",),
        (Knob("seq_len", "Distance T (steps from 'France' to 'fluent')", "距离 T(从“法国”到“流利”的步数)",
              DISTANCES, 50),),
        long_range_figure,
        ("'France' is T − 1 steps before 'fluent'. At T = 50, which cells still get at least 1% of the gradient "
         "back to it?",
         "“法国”在“流利”之前 T − 1 步。T = 50 时,哪些单元传回到那里的梯度还不少于 1%?"),
        long_range_reveal, sweep="seq_len"),
    Chapter(
        "lstm", ("The LSTM: gates and the cell-state highway", "LSTM:门与细胞状态高速通道"),
        ("The LSTM keeps a cell state c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t. Seed 003 splits ∂c_t/∂c_{t−1} into four "
         "additive terms A_t + B_t + C_t + D_t; B_t = f_t is the direct path, with no W_hh in it. "
         "The forget-gate bias sets f_t ≈ σ(bias) at initialisation: raise it and watch which path carries the "
         "gradient from the far past.",
         "LSTM 保持一个细胞状态 c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t。教程 003 把 ∂c_t/∂c_{t−1} 拆成四个相加的项 "
         "A_t + B_t + C_t + D_t;B_t = f_t 是直接路径,其中没有 W_hh。遗忘门偏置使初始化时 f_t ≈ σ(偏置):"
         "调高它,看哪条路径把梯度从遥远的过去传回来。"),
        ("c<sub>t</sub> = f<sub>t</sub> ⊙ c<sub>t−1</sub> + i<sub>t</sub> ⊙ g<sub>t</sub>,&nbsp; "
         "h<sub>t</sub> = o<sub>t</sub> ⊙ tanh(c<sub>t</sub>)",
         "∂c<sub>t</sub>/∂c<sub>t−1</sub> = A<sub>t</sub> + B<sub>t</sub> + C<sub>t</sub> + D<sub>t</sub>,&nbsp; "
         "B<sub>t</sub> = f<sub>t</sub>"),
        (Knob("forget_bias", "Forget-gate bias", "遗忘门偏置", FORGET_BIASES, 1.0),),
        lambda v, lang: paths_figure("lstm", v, lang, pick(
            lang, f"LSTM, forget bias {v['forget_bias']:g}: the paths", f"LSTM,遗忘门偏置 {v['forget_bias']:g}:各路径")),
        ("Raise the forget bias from 1 to 3. Far from the loss, which of A, B, C, D carries the gradient, "
         "and what share?",
         "把遗忘门偏置从 1 调到 3。在离损失很远的地方,A、B、C、D 中哪一项传递梯度?占多少?"),
        lambda v, lang: paths_reveal("lstm", v, lang), sweep="forget_bias"),
    Chapter(
        "sum", ("The sum of T sub-gradients", "T 个子梯度之和"),
        ("The weight gradient is a sum over time, ∂L/∂W_hh = Σ_t C_t, one term per step (seed 003). "
         "The sum vanishes only if every term does; what vanishes is the early terms, so W_hh learns from the "
         "last few steps only. Below: the step Jacobian norms whose products shrink the early terms.",
         "权重梯度是对时间的求和 ∂L/∂W_hh = Σ_t C_t,每步一项(教程 003)。只有每一项都消失,和才会消失;"
         "消失的是早期的各项,所以 W_hh 只能从最后几步学习。下图:每步雅可比矩阵的范数,它们的乘积使早期各项变小。"),
        ("∂L/∂W<sub>hh</sub> = Σ<sub>t=1..T</sub> C<sub>t</sub>,&nbsp; C<sub>t</sub> = δ<sub>t</sub> "
         "h<sub>t−1</sub><sup>⊤</sup>",),
        (Knob("cell", "Cell", "单元", ("rnn", "lstm"), "rnn"),
         Knob("weight_scale", "Recurrent weight scale ||W_hh||", "循环权重尺度 ||W_hh||", WEIGHTS, 1.0)),
        sum_figure,
        ("dL/dW_hh is a sum of 100 terms. For the tanh RNN at scale 1, what share comes from the last 10 steps?",
         "dL/dW_hh 是 100 项之和。对尺度为 1 的 tanh RNN,最后 10 步占多少?"),
        sum_reveal, sweep="weight_scale"),
    Chapter(
        "gru", ("The GRU: a copy path and two gates", "GRU:复制路径与两个门"),
        ("The GRU writes h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1} (PyTorch's form, seed 004). Where the update gate "
         "z_t is near 1 the state is copied forward, and so is the gradient: the copy path z_t ⊙ g_t has no "
         "W_hh in it. The reset gate r_t decides how much of h_{t−1} enters the candidate n_t.",
         "GRU 写作 h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}(PyTorch 的形式,教程 004)。更新门 z_t 接近 1 时,状态被复制向前,"
         "梯度也一样:复制路径 z_t ⊙ g_t 中没有 W_hh。重置门 r_t 决定 h_{t−1} 有多少进入候选状态 n_t。"),
        ("h<sub>t</sub> = (1 − z<sub>t</sub>) ⊙ n<sub>t</sub> + z<sub>t</sub> ⊙ h<sub>t−1</sub>,&nbsp; "
         "n<sub>t</sub> = tanh(W<sub>in</sub> x<sub>t</sub> + r<sub>t</sub> ⊙ (W<sub>hn</sub> h<sub>t−1</sub> + "
         "b<sub>hn</sub>))",),
        (Knob("weight_scale", "Recurrent weight scale ||W_hh||", "循环权重尺度 ||W_hh||", WEIGHTS, 1.0),),
        lambda v, lang: paths_figure("gru", v, lang, pick(
            lang, f"GRU, ||W_hh|| = {v['weight_scale']:g}: the paths", f"GRU,||W_hh|| = {v['weight_scale']:g}:各路径")),
        ("Far from the loss, which path carries the GRU's gradient: the copy path, or one through W_hh?",
         "在离损失很远的地方,GRU 的梯度由哪条路径传递:复制路径,还是经过 W_hh 的路径?"),
        lambda v, lang: paths_reveal("gru", v, lang), sweep="weight_scale"),
    Chapter(
        "training", ("Training: RNN vs LSTM vs GRU on the adding problem", "训练:RNN、LSTM 与 GRU 的加法问题"),
        ("The adding problem (Hochreiter & Schmidhuber 1997) at T = 100: add the two marked numbers of a "
         "sequence, the first in its first half. Predicting 1 scores MSE 1/6 ≈ 0.167. Arjovsky, Shah & Bengio "
         "(2016) report the tanh RNN staying at that baseline and the LSTM leaving it; here the three cells train "
         "live, side by side on the same batches, for the time you give them.",
         "加法问题(Hochreiter 与 Schmidhuber,1997),T = 100:把序列中两个被标记的数相加,第一个位于前半段。"
         "一直预测 1 的均方误差是 1/6 ≈ 0.167。Arjovsky、Shah 与 Bengio(2016)报告 tanh RNN 停在这个基线,"
         "LSTM 则能离开它;这里三种单元在相同的批次上实时并排训练,时长由你决定。"),
        ("MSE(1) = E[(u<sub>1</sub> + u<sub>2</sub> − 1)<sup>2</sup>] = 1/6 ≈ 0.167,&nbsp; u ~ U(0, 1)",),
        (Knob("budget", "Time budget (s)", "训练时长(秒)", (60, 120, 180, 240), 120),),  # LSTM leaves the baseline near step 1,100
        training.figure,
        ("Which cell leaves the 0.167 baseline first, and which never does?",
         "哪种单元最先离开 0.167 的基线?哪种一直离不开?"),
        training.reveal, live=True),
    Chapter(
        "parameters", ("Parameter counts", "参数数量"),
        ("An LSTM layer has four gate blocks, each with weights on x_t (n × m), on h_{t−1} (n × n) and a bias "
         "(n): seed 000 counts 4(n(m+n)+n). PyTorch's nn.LSTM keeps two bias vectors per gate, b_ih and b_hh, "
         "so it reports 4n more. A GRU has three blocks, a vanilla RNN one.",
         "一层 LSTM 有四个门块,每个门有作用于 x_t 的权重(n × m)、作用于 h_{t−1} 的权重(n × n)和一个偏置(n):"
         "教程 000 计为 4(n(m+n)+n)。PyTorch 的 nn.LSTM 每个门有两个偏置向量 b_ih 和 b_hh,所以多出 4n。"
         "GRU 有三个门块,普通 RNN 一个。"),
        (("seed: G(n(m+n)+n),&nbsp; PyTorch: G(n(m+n)+2n),&nbsp; G = 1 (RNN), 3 (GRU), 4 (LSTM)",
          "教程:G(n(m+n)+n),&nbsp; PyTorch:G(n(m+n)+2n),&nbsp; G = 1(RNN)、3(GRU)、4(LSTM)"),),
        (Knob("hidden_size", "Hidden size n", "隐藏层大小 n", HIDDEN_SIZES, 32),
         Knob("input_size", "Input size m", "输入大小 m", (1, 10, 100), 1)),
        counts_figure,
        ("For n = 32 and m = 1, how many parameters does PyTorch report for nn.LSTM, and why is it not "
         "4(n(m+n)+n)?",
         "n = 32、m = 1 时,PyTorch 报告的 nn.LSTM 参数是多少?为什么不是 4(n(m+n)+n)?"),
        counts_reveal, sweep="hidden_size"),
    # 10. After the LSTM (issue 18) ----------------------------------------------------------------------
    Chapter(
        "after_lstm", ("After the LSTM: gates that cannot see the past state", "LSTM 之后:看不见过去状态的门"),
        ("Since 2018 another answer: gates that read only x_t (the minGRU, Feng et al. 2024, “Were RNNs All We "
         "Needed?”) or a linear recurrence whose factor λ the model sets directly (the LRU, Orvieto et al. 2023). Then "
         "each step Jacobian is diagonal, diag(a_t), and the product of Jacobians becomes a product of numbers the model "
         "sets through a gate bias or |λ|, unit by unit; and all T steps can be computed at once, by a scan. What it "
         "gives up: the gate cannot react to what is in memory, and nothing nonlinear acts between steps, so one LRU "
         "layer with a linear head cannot solve the adding problem (MSE 0.169 at T = 100; two layers with tanh "
         "between: 0.0076).",
         "2018 年以来的另一种答案:门只读 x_t(minGRU,Feng 等 2024《Were RNNs All We Needed?》),或者一个线性递推,"
         "其因子 λ 由模型直接设定(LRU,Orvieto 等 2023)。于是单步雅可比矩阵是对角的 diag(a_t),雅可比矩阵之积变成"
         "模型通过门偏置或 |λ| 逐单元设定的数之积;而且所有 T 步可由一次扫描同时算出。代价:门无法根据记忆中的内容"
         "作出反应,步与步之间也没有非线性,所以一层 LRU 加线性输出头解不了加法问题(T = 100 时 MSE 0.169;"
         "两层、中间有 tanh:0.0076)。"),
        (("h<sub>t</sub> = a<sub>t</sub> ⊙ h<sub>t−1</sub> + b<sub>t</sub>,&nbsp; a<sub>t</sub>, b<sub>t</sub> from "
          "x<sub>t</sub> only &nbsp;⇒&nbsp; ∂h<sub>t</sub>/∂h<sub>t−1</sub> = diag(a<sub>t</sub>)",
          "h<sub>t</sub> = a<sub>t</sub> ⊙ h<sub>t−1</sub> + b<sub>t</sub>,&nbsp; a<sub>t</sub>、b<sub>t</sub> 只由 "
          "x<sub>t</sub> 算出 &nbsp;⇒&nbsp; ∂h<sub>t</sub>/∂h<sub>t−1</sub> = diag(a<sub>t</sub>)"),
         ("minGRU: a<sub>t</sub> = 1 − z<sub>t</sub> = σ(b − W<sub>z</sub> x<sub>t</sub>);&nbsp; LRU: a<sub>t</sub> = λ, "
          "|λ| < 1;&nbsp; ∂L/∂h<sub>1</sub> = (∏<sub>t=2..T</sub> a<sub>t</sub>) ⊙ ∂L/∂h<sub>T</sub>",
          "minGRU:a<sub>t</sub> = 1 − z<sub>t</sub> = σ(b − W<sub>z</sub> x<sub>t</sub>);&nbsp; LRU:a<sub>t</sub> = λ,"
          "|λ| < 1;&nbsp; ∂L/∂h<sub>1</sub> = (∏<sub>t=2..T</sub> a<sub>t</sub>) ⊙ ∂L/∂h<sub>T</sub>")),
        (Knob("gate_bias", "Gate bias b (the LSTM's forget bias, the minGRU's gate bias)",
              "门偏置 b(LSTM 的遗忘门偏置,minGRU 的门偏置)", after_lstm.GATE_BIASES, 3.0),
         Knob("ring_top", "LRU: top of the |λ| ring", "LRU:|λ| 环的上沿", after_lstm.RING_TOPS, 0.99)),
        after_lstm.figure,
        ("The minGRU's gradient at t = 1 is a product of 99 numbers 1 − z_t, each about σ(b) (σ(3) ≈ 0.95). "
         "At the gate bias shown, how much of the gradient reaches t = 1?",
         "minGRU 在 t = 1 处的梯度是 99 个数 1 − z_t 之积,每个约为 σ(b)(σ(3) ≈ 0.95)。在当前门偏置下,"
         "有多少梯度到达 t = 1?"),
        after_lstm.reveal, sweep="gate_bias"),
)
