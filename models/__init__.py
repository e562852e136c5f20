"""Gradient flow through time in vanilla RNNs, LSTMs and GRUs, and in minGRU, minLSTM, IndRNN and the LRU:
cells, probes, tasks, training.

    from models import ProbeConfig, probe
    r = probe(ProbeConfig(cell="lstm", seq_len=200))
    r.grad_h          # (B, T) ||dL_b/dh_t||
"""
from .cells import ElementwiseRNN, build_model, model_spec, parameter_count, seed_parameter_count
from .config import ProbeConfig
from .diagonal import MinGRU, MinLSTM
from .indrnn import IndRNN
from .lru import LRU
from .probe import probe
from .result import ProbeResult

__all__ = ["ElementwiseRNN", "IndRNN", "LRU", "MinGRU", "MinLSTM", "ProbeConfig", "ProbeResult", "build_model",
           "model_spec", "parameter_count", "probe", "seed_parameter_count"]
