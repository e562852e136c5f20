"""The element-wise nonlinearities phi a cell may use, and gamma = sup |phi'| for the gradient bound."""
from __future__ import annotations

import torch

ACTIVATION_FNS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "linear": lambda a: a,
}
# gamma = sup |phi'(a)|, the factor in the vanilla RNN's bound (gamma * ||W_hh||)^(T - t) (and IndRNN's, with max|u|).
ACTIVATION_GAMMA = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25, "linear": 1.0}
