"""Words inside the figures, in the reader's language: every builder takes `lang` ("en" or "zh").

Builders write their English text through `word(en, lang)`, so the lesson, the explorer and the
offline HTML export share one path and a figure is built in its language, never translated after.
Keys are the English texts themselves, so the code still reads in English. Composite texts are
templates of translated words (`f"{label} {word('bound', lang)} (γ||W_hh||)^(T-t)"`). Numbers and
formulas (||dL/dh_t||) are the same in both languages and need no entry.
"""
from __future__ import annotations

LANGS = ("en", "zh")

ZH = {
    # axes and subplot titles
    "timestep t": "时间步 t",
    "training step": "训练步",
    "hidden unit": "隐藏单元",
    "unit": "单元",
    "gate": "门",
    "mean gate value": "门的平均值",
    " gate (batch mean)": "(批平均)",  # after a gate's name: "forget gate (batch mean)" -> "遗忘门 f(批平均)"
    " (batch mean)": "(批平均)",
    "σ gates": "σ 门",
    "k (steps)": "k(步数)",
    "||C_t||_F: step t's share of dL/dW_hh (C_1 = 0: h_0 = 0)": "||C_t||_F:第 t 步在 dL/dW_hh 中的份额(C_1 = 0:h_0 = 0)",
    # gate names (PyTorch's order, models.config.GATE_NAMES) and other legend words
    "input": "输入门 i", "forget": "遗忘门 f", "cell": "候选记忆 g", "output": "输出门 o",
    "reset": "重置门 r", "update": "更新门 z", "new": "候选状态 n", "hidden": "隐藏",
    "bound": "上界",
    "min-max band": "最小–最大范围",
    "min": "最小",
    "overflow": "溢出",
    "zero": "个零",
    "blank": "空白",
    "loss": "损失",
    "accuracy": "准确率",
    "not finite": "非有限值",
    "step": "步",
    "a factor below 1, repeated": "小于 1 的因子反复相乘",
    # gradient paths (viz.paths) and the highway line in view 1
    "direct path only": "仅直连路径",
    "direct path": "直连路径",
    "sum of the paths": "各路径之和",
    "share of the paths' norms": "各路径范数的占比",
    "norm of each path": "各路径的范数",
    "B_t = f_t ⊙ g^c_t (direct)": "B_t = f_t ⊙ g^c_t(直连)",
    "A_t via forget gate f": "A_t 经遗忘门 f",
    "C_t via input gate i": "C_t 经输入门 i",
    "D_t via candidate g": "D_t 经候选记忆 g",
    "via output gate o": "经输出门 o",
    "copy z_t ⊙ g^h_t (direct)": "复制 z_t ⊙ g^h_t(直连)",
    "via update gate z": "经更新门 z",
    "via reset gate r": "经重置门 r",
    "via candidate n (W_hn)": "经候选状态 n(W_hn)",
    "W_hh^T δ_t (only path)": "W_hh^T δ_t(唯一路径)",
    "(1 − z_t) ⊙ g_t (only path)": "(1 − z_t) ⊙ g_t(唯一路径)",
    "f′_t ⊙ g_t (only path)": "f′_t ⊙ g_t(唯一路径)",
    "u ⊙ φ′(a_t) ⊙ g_t (only path)": "u ⊙ φ′(a_t) ⊙ g_t(唯一路径)",
    "λ̄ ⊙ g_t (only path)": "λ̄ ⊙ g_t(唯一路径)",
    "from the layer above": "来自上一层",
    "Which path carries the gradient back into c_t / h_t: share per path": "梯度经哪条路径传回 c_t / h_t:各路径占比",
    "Which path carries the gradient back into c_t / h_t (log scale)": "梯度经哪条路径传回 c_t / h_t(对数坐标)",
    "How much the output still depends on the input at step t": "输出对第 t 步输入的依赖程度",
    # the lesson's own figures (viz.lesson)
    "x_t": "输入", "s_t": "隐藏状态", "o_t": "输出",
    "first component": "第一个分量",
    "before clipping": "裁剪前",
    "after clipping at": "裁剪后,阈值",
    "one bias per gate: G(n(m+n)+n)": "每门一个偏置:G(n(m+n)+n)",
    "no clipping": "不裁剪",
    "clipped at τ =": "裁剪阈值 τ =",
    "error E_50(w, b) of the one-unit RNN": "单单元 RNN 的误差 E_50(w, b)",
    "linear RNN: ||C_t||": "线性 RNN:||C_t||",
    "parameters": "参数数量",
    "frame": "帧",
    "predicting 1: MSE 1/6": "一直预测 1:MSE 1/6",
    "tanh RNN stays at the baseline (reported)": "tanh RNN 停在基线(论文报告)",
    "LSTM leaves the baseline (reported)": "LSTM 离开基线(论文报告)",
    "LSTM at 0.01-0.02 (reported)": "LSTM 达到 0.01–0.02(论文报告)",
    # training figures
    "Training": "训练",
    "best constant prediction": "最优常数预测",
    "chance": "随机水平",
    "clip at": "裁剪阈值",
    "Gradient norm before clipping (max per block of steps)": "裁剪前的梯度范数(每段步数取最大)",
    "Gradient flow over training: log10 ||dL/dh_t||": "训练过程中的梯度流:log10 ||dL/dh_t||",
    "value is 0, below the float range": "值为 0,低于浮点数范围",
    "overflowed (inf or NaN)": "溢出(inf 或 NaN)",
    # phase diagrams (viz.phase)
    "recurrent weight scale ||W_hh||": "循环权重尺度 ||W_hh||",
    "sequence length T": "序列长度 T",
    "LSTM forget-gate bias": "LSTM 遗忘门偏置",
    "W_hh init": "W_hh 初始化",
    "||dL/dh_1|| (log scale)": "||dL/dh_1||(对数坐标)",
    "horizon: steps until ||dL/dh_t|| < 1e-3": "视界:||dL/dh_t|| 降到 1e-3 以下前的步数",
    "overflow (inf/NaN)": "溢出(inf/NaN)",
    "horizon": "视界",
    "steps": "步",
    "decay per step": "每步衰减",
    "weight scale": "权重尺度",
}


def word(en: str, lang: str = "en") -> str:
    """The text `en` in `lang`; English (and anything without an entry) unchanged."""
    return ZH.get(en, en) if lang == "zh" else en


def colon(lang: str = "en") -> str:
    """': ' in English, the full-width '：' (no space) in Chinese."""
    return ":" if lang == "zh" else ": "
