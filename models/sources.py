"""What the app cites, as data in one place: the five tutorials the project grew from and the papers.

`SOURCES` (key -> `Source`) is read by the lesson's Sources section (in the app and in its offline
file), by the README's test and wherever a text names a source: `cite(key, lang)` gives the short form
a sentence uses ("Pascanu, Mikolov & Bengio 2013", or a tutorial's title with its author where the
tutorial names one), `entry(key, lang)` the full line of the Sources list. A source is always named by
what a reader can search for, never by a file number. Plain data: no torch, no Streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """title as published; `gloss` an English rendering of a Chinese title; `short` what a sentence quotes;
    authors as printed ("" when the source names none); `where` the site or venue and year; `use` what the
    app takes from it (English, Chinese)."""

    kind: str  # "tutorial" or "paper"
    title: str
    authors: str
    where: str
    use: tuple[str, str]
    short: str = ""
    gloss: str = ""
    url: str = ""


TUTORIALS = ("rnn_to_lstm", "lstm_part_2", "most_detailed", "lstm_vanishing", "lstm_gru")
SOURCES = {
    # The five tutorials (their texts are in the project's reference folder).
    "rnn_to_lstm": Source(
        "tutorial", "从 RNN 到 LSTM,重点介绍 LSTM 的网络结构和 LSTM 是如何缓解 RNN 中出现的梯度消失", "",
        "Chinese blog tutorial", ("the $0.8^{50}$ example, the “France … fluent French” sentence, the LSTM's "
                                  "parameter count $4(n(m+n)+n)$",
                                  "$0.8^{50}$ 的例子、“法国……流利的法语”一句、LSTM 参数量 $4(n(m+n)+n)$"),
        short="从 RNN 到 LSTM", gloss="From RNN to LSTM: the LSTM's structure and how it eases the RNN's vanishing gradient"),
    "lstm_part_2": Source(
        "tutorial", "LSTM-循环神经网络(下)", "", "Chinese blog tutorial",
        ("the sine series $y = 3\\sin x + \\cos 5x + \\text{noise} + 6$ (the Train tab), the LSTM's forward and "
         "backward equations", "正弦序列 $y = 3\\sin x + \\cos 5x + \\text{噪声} + 6$(训练标签),LSTM 的前向与反向公式"),
        gloss="LSTM recurrent neural networks, part 2"),
    "most_detailed": Source(
        "tutorial", "史上最详细循环神经网络讲解(RNN/LSTM/GRU)", "", "m.p2cp.cn, 2022 (a repost; no author named)",
        ("the toy RNN with every weight 1: outputs [4, 4], [12, 12], [32, 32] (chapter 1)",
         "所有权重为 1 的玩具 RNN:输出 [4, 4]、[12, 12]、[32, 32](第 1 章)"),
        short="史上最详细循环神经网络讲解", gloss="The most detailed explanation of RNN, LSTM and GRU",
        url="http://m.p2cp.cn/news/2531.html"),
    "lstm_vanishing": Source(
        "tutorial", "How LSTM networks solve the problem of vanishing gradients", "Nir Arbel",
        "DataDrivenInvestor (Medium)",
        ("the split of $\\partial c_t/\\partial c_{t-1}$ into $A_t + B_t + C_t + D_t$ (chapter 5, the paths view) "
         "and $\\partial L/\\partial W$ as a sum of $T$ sub-gradients (chapter 6)",
         "把 $\\partial c_t/\\partial c_{t-1}$ 拆成 $A_t + B_t + C_t + D_t$(第 5 章、路径视图),以及 "
         "$\\partial L/\\partial W$ 是 $T$ 个子梯度之和(第 6 章)"),
        url="https://medium.datadriveninvestor.com/how-do-lstm-networks-solve-the-problem-of-vanishing-gradients-a6784971a577"),
    "lstm_gru": Source(
        "tutorial", "LSTM 与 GRU 原理讲解", "Amy_mm", "CSDN blog",
        ("the GRU's update and reset gates (chapter 7)", "GRU 的更新门与重置门(第 7 章)"),
        gloss="How the LSTM and the GRU work", url="https://blog.csdn.net/Amy_mm/article/details/81013548"),
    # Papers the app cites.
    "hochreiter1997": Source(
        "paper", "Long short-term memory", "Sepp Hochreiter, Jürgen Schmidhuber", "Neural Computation 9(8), 1997",
        ("the LSTM, and the adding problem (chapter 8, the Train tab)", "LSTM 本身,以及加法问题(第 8 章、训练标签)"),
        short="Hochreiter & Schmidhuber 1997"),
    "pascanu2013": Source(
        "paper", "On the difficulty of training recurrent neural networks", "Razvan Pascanu, Tomas Mikolov, Yoshua Bengio",
        "ICML 2013 (arXiv:1211.5063)",
        ("the bound $(\\gamma\\lVert W_{hh}\\rVert)^{T-t}$, gradient-norm clipping, the one-unit RNN's error wall "
         "(chapter 3), the phase diagrams' line $\\gamma\\lVert W_{hh}\\rVert = 1$",
         "上界 $(\\gamma\\lVert W_{hh}\\rVert)^{T-t}$、梯度范数裁剪、单单元 RNN 误差曲面上的“墙”(第 3 章)、"
         "相图中的直线 $\\gamma\\lVert W_{hh}\\rVert = 1$"),
        short="Pascanu, Mikolov & Bengio 2013"),
    "cho2014": Source(
        "paper", "Learning phrase representations using RNN encoder-decoder for statistical machine translation",
        "Kyunghyun Cho, Bart van Merriënboer, Caglar Gulcehre, Dzmitry Bahdanau, Fethi Bougares, Holger Schwenk, "
        "Yoshua Bengio", "EMNLP 2014 (arXiv:1406.1078)", ("the GRU (chapter 7)", "GRU(第 7 章)"),
        short="Cho et al. 2014"),
    "le2015": Source(
        "paper", "A simple way to initialize recurrent networks of rectified linear units",
        "Quoc V. Le, Navdeep Jaitly, Geoffrey E. Hinton", "arXiv:1504.00941, 2015",
        ("the identity-initialised ReLU RNN (IRNN) preset", "单位矩阵初始化的 ReLU RNN(IRNN)预设"),
        short="Le, Jaitly & Hinton 2015"),
    "arjovsky2016": Source(
        "paper", "Unitary evolution recurrent neural networks", "Martin Arjovsky, Amar Shah, Yoshua Bengio", "ICML 2016",
        ("the adding problem at $T = 100$: the curves chapter 8 sets its run beside; the RNN with $W_{hh}$ kept "
         "orthogonal (the Train tab)", "$T = 100$ 的加法问题:第 8 章对照的曲线;$W_{hh}$ 保持正交的 RNN(训练标签)"),
        short="Arjovsky, Shah & Bengio 2016"),
    "li2018": Source(
        "paper", "Independently recurrent neural network (IndRNN): building a longer and deeper RNN",
        "Shuai Li, Wanqing Li, Chris Cook, Ce Zhu, Yanbo Gao", "CVPR 2018 (arXiv:1803.04831)",
        ("IndRNN, its bound on $|u_j|$ (the explorer, the Train tab)", "IndRNN 及其对 $|u_j|$ 的限制(探索页、训练标签)"),
        short="Li et al. 2018"),
    "orvieto2023": Source(
        "paper", "Resurrecting recurrent neural networks for long sequences",
        "Antonio Orvieto, Samuel L. Smith, Albert Gu, Anushan Fernando, Caglar Gulcehre, Razvan Pascanu, Soham De",
        "ICML 2023 (arXiv:2303.06349)",
        ("the LRU and its $|\\lambda|$ ring (chapter 10, the explorer, the Train tab)",
         "LRU 及其 $|\\lambda|$ 环(第 10 章、探索页、训练标签)"),
        short="Orvieto et al. 2023"),
    "feng2024": Source(
        "paper", "Were RNNs all we needed?",
        "Leo Feng, Frederick Tung, Mohamed Osama Ahmed, Yoshua Bengio, Hossein Hajimirsadeghi", "arXiv:2410.01201, 2024",
        ("minGRU and minLSTM (chapter 10, the explorer, the Train tab)", "minGRU 与 minLSTM(第 10 章、探索页、训练标签)"),
        short="Feng et al. 2024"),
    "madsen2019": Source(
        "paper", "Visualizing memorization in RNNs", "Andreas Madsen", "Distill, 2019",
        ("the connectivity view $\\lVert\\partial L/\\partial x_t\\rVert$ (chapter 4, the explorer)",
         "连接度视图 $\\lVert\\partial L/\\partial x_t\\rVert$(第 4 章、探索页)"),
        short="Madsen 2019"),
}


WHERE_ZH = {"Chinese blog tutorial": "中文博客教程", "CSDN blog": "CSDN 博客", "a repost; no author named": "转载,未署作者"}


def pick(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


def cite(key: str, lang: str = "en") -> str:
    """The short form a sentence uses: a paper's authors and year; a tutorial's title in quotes, then its author."""
    s = SOURCES[key]
    if s.kind == "paper":
        return s.short.replace(" & ", " 与 ").replace(" et al.", " 等") if lang == "zh" else s.short
    title = f"“{s.short or s.title}”"
    if not s.authors:
        return title
    return f"{s.authors}《{s.short or s.title}》" if lang == "zh" else f"{s.authors}, {title}"


def entry(key: str, lang: str = "en") -> str:
    """One line of the Sources list: authors, title (with an English gloss), where, and what the app uses."""
    s = SOURCES[key]
    gloss = f" ({s.gloss})" if s.gloss and lang == "en" else ""
    who = f"{s.authors}: " if s.authors else ""
    where = s.where
    if lang == "zh":
        for en, zh in WHERE_ZH.items():
            where = where.replace(en, zh)
    url = f" {s.url}" if s.url else ""
    stop = pick(lang, ". ", "。")
    return (f"{who}“{s.title}”{gloss}{stop}{where}{stop}{url.strip()}{' ' if url else ''}"
            + pick(lang, "Used for: ", "用于:") + pick(lang, *s.use) + stop.strip())


def entries(kind: str, lang: str = "en") -> list[str]:
    return [entry(k, lang) for k, s in SOURCES.items() if s.kind == kind]
