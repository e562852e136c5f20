"""One-click pictures: each preset is a full `AppSettings` (defaults plus a few changes).

The language is kept; everything else is reset, so a preset always shows the same picture.
"""
from __future__ import annotations

from dataclasses import dataclass

from .settings import DEFAULTS, AppSettings


@dataclass(frozen=True)
class Preset:
    en: str
    zh: str
    changes: dict

    def settings(self, language: str = "en") -> AppSettings:
        return DEFAULTS.replace(language=language, **self.changes)


PRESETS = (
    Preset("Vanishing: tanh RNN, scale 0.9", "梯度消失:tanh RNN,尺度 0.9",
           {"activation": "tanh", "weight_scale": 0.9}),
    # Linear, orthogonal W_hh = 1.2 Q: ||dL/dh_t|| = 1.2^(T-t) exactly, the bound itself.
    Preset("Exploding: linear/relu RNN, scale 1.2", "梯度爆炸:线性/ReLU RNN,尺度 1.2",
           {"cells": ("rnn",), "activation": "linear", "weight_scale": 1.2}),
    # sigma' <= 1/4, so ||dh_t/dh_{t-1}|| <= ||W_hh|| / 4 (Pascanu et al. 2013, eq. 7 with gamma = 1/4).
    Preset("Sigmoid RNN: the 1/4 bound", "Sigmoid RNN:1/4 上界",
           {"cells": ("rnn",), "activation": "sigmoid", "weight_scale": 1.0}),
    # f_t = sigma(2 + ...) ~ 0.88: dc_t/dc_{t-1} = f_t keeps the cell-state path open.
    Preset("LSTM with forget bias 2: the highway", "遗忘门偏置 2 的 LSTM:高速通道",
           {"cells": ("rnn", "lstm"), "forget_bias": 2.0, "seq_len": 200}),
    # View 2 (gradient paths): at bias 3 (f ~ 0.95) B_t = f_t g^c_t carries most of dL/dc_{t-1}; at bias -2
    # (f ~ 0.12) the candidate path D_t carries more than B_t, and the gradient reaching t = 1 is ~1e-47.
    Preset("LSTM paths: forget bias 3, the highway carries it", "LSTM 路径:遗忘门偏置 3,高速通道承担梯度",
           {"cells": ("lstm",), "forget_bias": 3.0}),
    Preset("LSTM paths: forget bias −2, the gradient dies", "LSTM 路径:遗忘门偏置 −2,梯度消亡",
           {"cells": ("lstm",), "forget_bias": -2.0}),
    Preset("GRU", "GRU", {"cells": ("rnn", "gru"), "seq_len": 200}),
    # Le, Jaitly & Hinton 2015: W_hh = I, ReLU; the gradient neither vanishes nor explodes at first.
    Preset("Identity-init ReLU RNN (IRNN)", "单位矩阵初始化的 ReLU RNN (IRNN)",
           {"cells": ("rnn",), "activation": "relu", "init": "identity", "weight_scale": 1.0, "seq_len": 200}),
)

# After the LSTM (2018-2024): each beside the classic cell it answers, on the same inputs. Their cards
# (ui/cards.py, CELL_CARDS) give the equations and why the gradient does or does not vanish.
MODERN_PRESETS = (
    # 1 - z_t = sigma(3 - W_z x_t) ~ 0.95 a step at x ~ 0: the gradient is that product, v ⊙ prod (1 - z_s).
    Preset("minGRU, minLSTM: the gate bias sets the decay", "minGRU、minLSTM:门偏置决定衰减",
           {"cells": ("lstm", "mingru", "minlstm"), "forget_bias": 3.0, "seq_len": 200}),
    # u ~ U(0, 1) (init "pytorch": Li et al. 2018's), ReLU: through unit j the gradient is u_j^(T-t) times relu',
    # so the units with u_j near 1 carry it (1e-4 at t = 1, T = 200) where the RNN's has underflowed to 0.
    # (With init identity the RNN *is* this IndRNN with every u_j = 1: W_hh = I is diagonal.)
    Preset("IndRNN, u ~ U(0, 1), ReLU: each unit its own decay", "IndRNN,u ~ U(0, 1),ReLU:每个单元各自衰减",
           {"cells": ("rnn", "indrnn"), "activation": "relu", "init": "pytorch", "weight_scale": 1.0, "seq_len": 200}),
    # |lambda| on the ring [0.9, 0.999] (Orvieto et al.'s long-range setting): ||dL/dh_t|| = ||conj(lambda)^(T-t) v||.
    Preset("LRU, |λ| in [0.9, 0.999], beside the LSTM and GRU", "LRU,|λ| ∈ [0.9, 0.999],与 LSTM、GRU 对比",
           {"cells": ("lstm", "gru", "lru"), "weight_scale": 1.0, "seq_len": 500}),
    # |lambda| in [0.4, 0.5]: the gradient falls at least 0.5 a step, whatever the inputs.
    Preset("LRU, |λ| in [0.4, 0.5]: a vanishing ring", "LRU,|λ| ∈ [0.4, 0.5]:会消失的环",
           {"cells": ("lru",), "weight_scale": 0.5, "seq_len": 100}),
    # Every cell of both eras on the same inputs.
    Preset("All seven cells", "全部七种单元",
           {"cells": ("rnn", "lstm", "gru", "mingru", "minlstm", "indrnn", "lru"), "forget_bias": 2.0,
            "seq_len": 200}),
)
