"""Chapters 1-4 of the lesson: the vanilla RNN unrolled, vanishing, exploding and clipping, long range.

Each chapter is a `Chapter` entry of `RNN_CHAPTERS`; its `figure(values, lang)` and `reveal(values, lang)`
read numbers from `models` (cached probes, `models.lesson`, `models.wall`, `models.examples`) and draw
with `viz`. Sources are named through `models.sources.cite`.
"""
from __future__ import annotations

import numpy as np

from models import lesson as ml
from models.examples import decay_example
from models.sources import cite
from viz import connectivity_figure, gradient_norm_figure, label_colors
from viz.lesson import toy_rnn_figure
from viz.mathtext import number, tex_number
from viz.style import CELL_NAMES
from viz.wall import wall_figure

from .chapter import Chapter, Knob, pick
from .data import cached_clipping, lesson_probe, wall_runs, wall_surface, worked_toy

WEIGHTS = tuple(round(0.5 + 0.05 * i, 2) for i in range(21))  # 0.5 .. 1.5: 21 frames, through 1
EXPLODING = tuple(round(1.0 + 0.025 * i, 3) for i in range(21))  # 1.0 .. 1.5
THRESHOLDS = (0.1, 0.3, 1.0, 3.0, 10.0, 100.0, 1000.0)  # τ: from shortening every step to none of the wall's
DISTANCES = (5, 10, 20, 30, 50, 75, 100, 150, 200)
CELLS3 = ("rnn", "lstm", "gru")
NORM_W = r"\lVert W_{hh}\rVert"


def vec(a) -> str:
    return "[" + ", ".join(f"{x:g}" for x in a) + "]"


# 1. Unrolling -----------------------------------------------------------------------------------------
def unroll_figure(v: dict, lang: str):
    return toy_rnn_figure(worked_toy(), v["step"], pick(lang, f"The toy RNN unrolled to t = {v['step']}",
                                                        f"玩具 RNN 展开到 t = {v['step']}"), lang=lang)


def unroll_reveal(v: dict, lang: str) -> str:
    toy = worked_toy()
    s, o = toy["hidden"], toy["outputs"]
    return pick(lang,
                f"$o_3 = {vec(o[2])}$. The state carries everything forward: $s_1 = {vec(s[0])}$, "
                f"$s_2 = U x_2 + W s_1 = {vec(s[1])}$, $s_3 = U x_3 + W s_2 = {vec(s[2])}$, and $o_t = V s_t$ "
                f"adds the two components: $o = {vec(o[0])}, {vec(o[1])}, {vec(o[2])}$.",
                f"$o_3 = {vec(o[2])}$。状态把一切向前传递:$s_1 = {vec(s[0])}$,$s_2 = U x_2 + W s_1 = {vec(s[1])}$,"
                f"$s_3 = U x_3 + W s_2 = {vec(s[2])}$;$o_t = V s_t$ 把两个分量相加:"
                f"$o = {vec(o[0])}, {vec(o[1])}, {vec(o[2])}$。")


# 2. Vanishing -----------------------------------------------------------------------------------------
def vanishing_figure(v: dict, lang: str):
    r = lesson_probe(ml.vanishing_config(v["weight_scale"], v["activation"]))
    return gradient_norm_figure({"RNN": r.grad_h}, label_colors({"RNN": "rnn"}), bound={"RNN": r.bound}, lang=lang,
                                title=pick(lang, f"{v['activation']} RNN, ||W_hh|| = {v['weight_scale']:g}: ||dL/dh_t||",
                                           f"{v['activation']} RNN,||W_hh|| = {v['weight_scale']:g}:||dL/dh_t||"))


def vanishing_reveal(v: dict, lang: str) -> str:
    act = v["activation"]
    g = {w: ml.gradient_at(lesson_probe(ml.vanishing_config(w, act)).grad_h, 1) for w in (0.9, 1.1)}
    now = lesson_probe(ml.vanishing_config(v["weight_scale"], act))
    power = decay_example(0.8, 50)
    numbers = dict(act=act, g09=number(g[0.9], 3), g11=number(g[1.1], 3), scale=f"{v['weight_scale']:g}",
                   ratio=number(g[1.1] / g[0.9] if g[0.9] > 0 else float("inf"), 3), norm=NORM_W,
                   bound_ratio=tex_number((1.1 / 0.9) ** 50, 3), at1=number(ml.gradient_at(now.grad_h, 1), 3),
                   bound1=number(float(now.bound[0]), 3), source=cite("rnn_to_lstm", lang),
                   final=number(power["final"], 6), power=tex_number(power["power"], 6))
    rises = g[1.1] > g[0.9]
    return pick(lang,
                ("It rises" if rises else "It falls") + ": for the {act} RNN the gradient at $t = 1$ is {g09} at "
                "${norm} = 0.9$ and {g11} at 1.1, {ratio} times as much (the bound's ratio is $(1.1/0.9)^{{50}} = "
                "{bound_ratio}$). At {scale} it is {at1}, under the bound {bound1}. The $0.8^{{50}}$ of {source}: a "
                "one-unit linear RNN with $W = 0.8$ gives {final}, and $0.8^{{50}} = {power}$.",
                ("上升" if rises else "下降") + ":{act} RNN 在 $t = 1$ 处的梯度,${norm} = 0.9$ 时为 {g09},1.1 时为 {g11},"
                "是前者的 {ratio} 倍(上界之比为 $(1.1/0.9)^{{50}} = {bound_ratio}$)。当前 {scale} 时为 {at1},低于上界 "
                "{bound1}。{source}中的 $0.8^{{50}}$:$W = 0.8$ 的单单元线性 RNN 给出 {final},而 $0.8^{{50}} = {power}$。"
                ).format(**numbers)


# 3. Exploding and clipping: Pascanu's wall, and the pieces of g ---------------------------------------
def clipping_chapter_figure(v: dict, lang: str):
    tau, c = v["clip"], cached_clipping(v["weight_scale"], v["clip"])
    runs = wall_runs(tau)
    cut, full = runs["clipped"]["jump"]["length"], runs["unclipped"]["jump"]["length"]
    if cut < 0.999 * full:
        title = pick(lang, f"Clipping at τ = {tau:g}: the step at the wall moves {cut:.3g}, not {full:.3g}",
                     f"裁剪阈值 τ = {tau:g}:撞墙的一步移动 {cut:.3g},而不是 {full:.3g}")
    else:
        title = pick(lang, f"Clipping at τ = {tau:g} does not shorten the step at the wall ({full:.3g})",
                     f"裁剪阈值 τ = {tau:g} 没有缩短撞墙的一步({full:.3g})")
    return wall_figure(wall_surface(), runs, tau, c, lang=lang, title=title)


def clipping_reveal(v: dict, lang: str) -> str:
    tau, c = v["clip"], cached_clipping(v["weight_scale"], v["clip"])
    runs = wall_runs(tau)
    plain, cut = runs["unclipped"], runs["clipped"]
    jump = plain["jump"]
    k, steps, (w1, b1) = jump["step"], len(plain["error"]) - 1, jump["to"]
    s = np.asarray(c["steps"], dtype=np.float64)
    before, after = s[1] / s[-1], (s[1] * c["factor"]) / (s[-1] * c["factor"])
    numbers = dict(k=k, g=tex_number(plain["grad_norm"][k], 3), far=number(jump["length"], 3), to=f"({w1:.2f}, {b1:.2f})",
                   flat=tex_number(plain["grad_norm"][k + 1], 2), stuck=number(plain["error"][-1], 2), steps=steps,
                   tau=f"{tau:g}", short=number(cut["jump"]["length"], 3), end=tex_number(cut["error"][-1], 2),
                   factor=tex_number(c["factor"], 3), before=number(before, 4), after=number(after, 4))
    return pick(lang,
                "Unclipped: after {k} steps the run stands on the wall ($\\lVert\\nabla E\\rVert = {g}$) and one step "
                "throws it {far} away, to ${to}$, where $\\lVert\\nabla E\\rVert = {flat}$: the error stays at {stuck} "
                "until step {steps}. Clipped at $\\tau = {tau}$, its longest step is {short} and the run ends at "
                "$E = {end}$. The direction is kept: every $C_t$ of the linear RNN is scaled by ${factor}$, so "
                "$\\lVert C_2\\rVert / \\lVert C_T\\rVert$ is {before} before and {after} after.",
                "不裁剪:走了 {k} 步后停在墙上($\\lVert\\nabla E\\rVert = {g}$),一步被抛出 {far},落到 ${to}$,"
                "那里 $\\lVert\\nabla E\\rVert = {flat}$:误差一直停在 {stuck},直到第 {steps} 步。裁剪阈值 "
                "$\\tau = {tau}$ 时,最长的一步为 {short},最终 $E = {end}$。方向不变:线性 RNN 的每一项 $C_t$ "
                "都乘以 ${factor}$,所以 $\\lVert C_2\\rVert / \\lVert C_T\\rVert$ 裁剪前为 {before},裁剪后为 {after}。"
                ).format(**numbers)


# 4. Long-range dependencies ---------------------------------------------------------------------------
def long_range_figure(v: dict, lang: str):
    runs = {CELL_NAMES[c]: lesson_probe(ml.cell_config(c, seq_len=v["seq_len"])) for c in CELLS3}
    return connectivity_figure({k: r.grad_x for k, r in runs.items()}, label_colors({CELL_NAMES[c]: c for c in CELLS3}),
                               lang=lang, title=pick(lang, f"'France' at t = 1, 'fluent' at t = {v['seq_len']}",
                                                     f"“法国”在 t = 1,“流利”在 t = {v['seq_len']}"))


def long_range_reveal(v: dict, lang: str) -> str:
    T, parts = v["seq_len"], []
    for c in CELLS3:
        r = lesson_probe(ml.cell_config(c, seq_len=T))
        gx = r.grad_x.astype(np.float64).mean(axis=0)
        ratio = gx[0] / gx[-1] if gx[-1] > 0 else float("nan")
        parts.append(pick(lang, f"{CELL_NAMES[c]}: {number(ratio, 2)} of its value at 'fluent', at least 1% for "
                                f"{ml.reach(r.grad_x)} steps back",
                          f"{CELL_NAMES[c]}:为“流利”处的 {number(ratio, 2)},向前 {ml.reach(r.grad_x)} 步内保持在 1% 以上"))
    return pick(lang, f"At 'France', $T - 1 = {T - 1}$ steps back: " + "; ".join(parts) + ". Untrained, with the "
                "forget gate at about $\\sigma(1) = 0.73$, the LSTM's edge is modest; training sets the gates. The "
                "explorer's Train tab has a recall task that asks exactly this: name the first symbol after $T$ steps.",
                f"在“法国”处,即向前 $T - 1 = {T - 1}$ 步:" + ";".join(parts) + "。未训练时遗忘门约为 "
                "$\\sigma(1) = 0.73$,LSTM 的优势有限;训练会调整门。探索页“训练”标签中的回忆任务问的正是这个问题:"
                "$T$ 步之后说出第一个符号。")


RNN_CHAPTERS = (
    Chapter(
        "unrolling", ("Unrolling an RNN", "展开 RNN"),
        ("An RNN applies the same weights at every step and carries a state forward: $s_t = U x_t + W s_{t-1}$. "
         f"The toy network of the tutorial {cite('most_detailed')} sets every weight to 1 and drops the activation, "
         "so you can follow it by hand. Step through $t = 1, 2, 3$ and watch the state accumulate the inputs.",
         "RNN 在每一步使用相同的权重,并把状态向前传递:$s_t = U x_t + W s_{t-1}$。教程"
         f"{cite('most_detailed', 'zh')}中的玩具网络把所有权重设为 1,并去掉激活函数,可以手算。"
         "逐步走过 $t = 1, 2, 3$,看状态如何累积输入。"),
        (r"s_t = U x_t + W s_{t-1},\quad o_t = V s_t,\quad s_0 = 0",),
        (Knob("step", "Unroll to step t", "展开到第 t 步", (1, 2, 3), 3),),
        unroll_figure,
        ("Inputs [1, 1], [1, 1], [2, 2], every weight 1. Before you step to $t = 3$: what is $o_3$?",
         "输入 [1, 1]、[1, 1]、[2, 2],所有权重为 1。在走到 $t = 3$ 之前:$o_3$ 是多少?"),
        unroll_reveal, sweep="step"),
    Chapter(
        "vanishing", ("Vanishing gradients", "梯度消失"),
        ("Backpropagation through time multiplies one Jacobian per step, "
         "$\\partial h_t/\\partial h_{t-1} = \\operatorname{diag}(\\varphi'(a_t))\\,W_{hh}$. A factor a little below 1, "
         f"repeated, leaves almost nothing: $0.8^{{50}} \\approx 0.0000143$ ({cite('rnn_to_lstm')}). The gradient at "
         f"$t$ is bounded by $(\\gamma{NORM_W})^{{T-t}}$, $\\gamma$ bounding $|\\varphi'|$ (1 for tanh): move "
         "the scale through 1 and watch the curve's left end.",
         "随时间反向传播在每一步乘一个雅可比矩阵 "
         "$\\partial h_t/\\partial h_{t-1} = \\operatorname{diag}(\\varphi'(a_t))\\,W_{hh}$。略小于 1 的因子反复相乘,"
         f"几乎什么都不剩:$0.8^{{50}} \\approx 0.0000143$({cite('rnn_to_lstm', 'zh')})。第 $t$ 步的梯度受 "
         f"$(\\gamma{NORM_W})^{{T-t}}$ 约束,$\\gamma$ 是 $|\\varphi'|$ 的上界(tanh 为 1)。让权重尺度穿过 1,"
         "看曲线的左端。"),
        (r"\partial L/\partial h_t = \partial L/\partial h_T \prod_{k=t+1}^{T} \operatorname{diag}(\varphi'(a_k))\,W_{hh}",
         rf"\lVert \partial L/\partial h_t\rVert \le (\gamma{NORM_W})^{{T-t}},\quad 0.8^{{50}} \approx 1.43\times 10^{{-5}}"),
        (Knob("weight_scale", "Recurrent weight scale ||W_hh||", "循环权重尺度 ||W_hh||", WEIGHTS, 0.9),
         Knob("activation", "Activation φ", "激活函数 φ", ("tanh", "linear"), "tanh")),
        vanishing_figure,
        (f"Before you move the slider: if ${NORM_W}$ goes from 0.9 to 1.1, does the gradient at $t = 1$ rise or "
         "fall, and by how much?",
         f"移动滑块之前先猜:如果 ${NORM_W}$ 从 0.9 变为 1.1,$t = 1$ 处的梯度是上升还是下降?变化多少?"),
        vanishing_reveal, sweep="weight_scale"),
    Chapter(
        "exploding", ("Exploding gradients, and what clipping does", "梯度爆炸与梯度裁剪"),
        ("Above 1 the same product explodes. Clipping rescales $g$ to $\\tau\\,g/\\lVert g\\rVert$ when "
         f"$\\lVert g\\rVert > \\tau$ ({cite('pascanu2013')}). Left, their one-unit RNN from $x_0 = 0.5$, "
         "trained so that $\\sigma(x_{50}) = 0.7$: its error has a steep wall beside the valley, and gradient "
         "descent (rate 1) starts at the star. Right, a linear RNN's $g$ as its pieces $C_t$.",
         "因子大于 1 时,同样的乘积会爆炸。梯度裁剪在 $\\lVert g\\rVert > \\tau$ 时把 $g$ 缩放为 "
         f"$\\tau\\,g/\\lVert g\\rVert$({cite('pascanu2013', 'zh')})。左图是他们的单单元 RNN,从 $x_0 = 0.5$ 出发,训练目标 "
         "$\\sigma(x_{50}) = 0.7$:误差曲面在谷底旁有一堵陡墙,梯度下降(学习率 1)从星号出发。右图:线性 RNN 的 "
         "$g$ 拆成各项 $C_t$。"),
        (r"x_t = w\,\sigma(x_{t-1}) + b,\quad E = (\sigma(x_{50}) - 0.7)^2",
         r"g = \sum_t C_t,\quad g \gets \tau\,g/\lVert g\rVert\ \text{if}\ \lVert g\rVert > \tau"),
        (Knob("clip", "Clip threshold τ", "裁剪阈值 τ", THRESHOLDS, 1.0),
         Knob("weight_scale", "Linear RNN's ||W_hh|| (right)", "线性 RNN 的 ||W_hh||(右图)", EXPLODING, 1.2)),
        clipping_chapter_figure,
        ("Where does the unclipped step at the wall land? And does clipping change where the linear RNN's gradient "
         "comes from, $\\lVert C_2\\rVert / \\lVert C_T\\rVert$?",
         "撞墙的那一步不裁剪时落到哪里?裁剪是否改变线性 RNN 的梯度来自哪些时间步,即 "
         "$\\lVert C_2\\rVert / \\lVert C_T\\rVert$?"),
        clipping_reveal, sweep="clip"),
    Chapter(
        "long_range", ("Long-range dependencies", "长程依赖"),
        ("“I grew up in France … I speak fluent ___”: the answer depends on a word far back (an example from "
         f"{cite('rnn_to_lstm')}). For the network to learn it, the loss at 'fluent' must send gradient back to "
         "'France'. The figure shows how much the last output still depends on the input at each step, "
         f"$\\lVert\\partial L/\\partial x_t\\rVert$ ({cite('madsen2019')}), for an untrained RNN, LSTM and GRU on "
         "the same inputs.",
         "“我在法国长大……我能说流利的___”:答案取决于很久以前的一个词(例子出自"
         f"{cite('rnn_to_lstm', 'zh')})。网络要学会它,“流利”处的损失必须把梯度传回“法国”。图中是最后的输出对每一步"
         f"输入的依赖程度 $\\lVert\\partial L/\\partial x_t\\rVert$({cite('madsen2019', 'zh')}),"
         "三种未训练的单元使用相同的输入。"),
        (r"\lVert \partial L/\partial x_t\rVert = \lVert W_{ih}^{\top} \delta_t\rVert",
         (r"t = 1\ (\text{France}) \ldots T\ (\text{fluent})", r"t = 1\ (\text{法国}) \ldots T\ (\text{流利})")),
        (Knob("seq_len", "Distance T (steps from 'France' to 'fluent')", "距离 T(从“法国”到“流利”的步数)",
              DISTANCES, 50),),
        long_range_figure,
        ("'France' is $T - 1$ steps before 'fluent'. At $T = 50$, which cells still get at least 1% of the gradient "
         "back to it?",
         "“法国”在“流利”之前 $T - 1$ 步。$T = 50$ 时,哪些单元传回到那里的梯度还不少于 1%?"),
        long_range_reveal, sweep="seq_len"),
)
