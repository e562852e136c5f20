"""The loss a probe of your model reads: a random unit vector, or your checkpoint's own linear head.

With a head y = W f + b (W (K, width)) on the features f the module hands it, the loss of sample b is
one logit, L_b = y_{c_b} = W[c_b] . f^(b) + b_{c_b}: a chosen class c, or the class the model predicts
for that sample (c_b = argmax_k y_k). dL_b/df = W[c_b], which the probe carries back through time.

Features, time-major x (T, B, I), P = hidden size (proj_size for a projected LSTM):
  unidirectional: f = h_T (top layer), width P;
  bidirectional, reads="final": f = [h_T forward ; h_1 reverse] (h_n of the top layer: each direction's
      last step, `torch.cat([h_n[-2], h_n[-1]], -1)`), width 2P;
  bidirectional, reads="last_output": f = out[-1] = [h_T forward ; h_T reverse] (the reverse's FIRST step).

    probe_model(cfg, model, x, head=None, target=None, reads="final")
        -> ({"forward": ProbeResult[, "reverse": ProbeResult]}, classes (B,) or None)
"""
from __future__ import annotations

import torch
from torch import nn

from .cells import model_spec
from .config import ProbeConfig
from .directions import probe_directions
from .probe import probe
from .result import ProbeResult

READS = ("final", "last_output")


def features(model: nn.Module, x: torch.Tensor, reads: str = "final") -> torch.Tensor:
    """f^(b) the head reads (see the module docstring): (B, width)."""
    with torch.no_grad():
        out, state = model(x)
    if not model_spec(model)["bidirectional"] or reads == "last_output":
        return out[-1]
    h_n = state[0] if isinstance(state, tuple) else state
    return torch.cat([h_n[-2], h_n[-1]], dim=-1)


def head_classes(model, x, weight: torch.Tensor, bias: torch.Tensor | None, target: int | None,
                 reads: str = "final") -> torch.Tensor:
    """c_b: the chosen class for every sample, or the predicted one. (B,) int64."""
    K, width = weight.shape
    f = features(model, x, reads)
    if f.shape[1] != width:
        raise ValueError(f"the head's weight has shape {tuple(weight.shape)}; the module gives features of width "
                         f"{f.shape[1]}: expected ({K}, {f.shape[1]})")
    if target is not None:
        if not 0 <= target < K:
            raise ValueError(f"class {target} does not exist: the head has K = {K} classes (0..{K - 1})")
        return torch.full((x.shape[1],), target, dtype=torch.int64)
    logits = f.to(weight.dtype) @ weight.T + (0 if bias is None else bias)  # (B, K)
    return logits.argmax(-1)


def probe_model(cfg: ProbeConfig, model: nn.Module, x: torch.Tensor, head: tuple | None = None,
                target: int | None = None, reads: str = "final") -> tuple[dict[str, ProbeResult], torch.Tensor | None]:
    """Probe a (possibly bidirectional) module on x (T, B, I); head = (weight (K, width), bias (K,) or None)."""
    if reads not in READS:
        raise ValueError(f"reads={reads!r} is not one of {', '.join(READS)}")
    spec = model_spec(model)
    dtype = next(model.parameters()).dtype
    x = x.to(dtype)
    T, B, _ = x.shape
    P, L = spec["proj_size"] or spec["hidden_size"], spec["num_layers"]
    classes, rows = None, None
    if head is not None:
        weight, bias = (None if t is None else t.detach().to(dtype) for t in head)
        classes = head_classes(model, x, weight, bias, target, reads)
        rows = weight[classes]  # (B, width): dL_b/df = W[c_b]
    if not spec["bidirectional"]:
        return {"forward": probe(cfg, model=model, inputs=x, readout=rows)}, classes
    if rows is None:
        return probe_directions(cfg, model, x), classes
    if reads == "final":
        e_hn = torch.zeros(2 * L, B, P, dtype=dtype)
        e_hn[-2], e_hn[-1] = rows[:, :P], rows[:, P:]
        return probe_directions(cfg, model, x, e_hn=e_hn), classes
    e_out = torch.zeros(T, B, 2 * P, dtype=dtype)
    e_out[-1] = rows
    return probe_directions(cfg, model, x, e_out=e_out), classes
