"""Bidirectional modules, exactly: every (layer, direction) probed as the one-layer module it is.

A bidirectional nn.RNN/LSTM/GRU runs, in layer k, a forward direction (t = 1..T) and a reverse one
(t = T..1, weights `*_l{k}_reverse`); layer k+1 reads both, concatenated, so below the top the two
directions are coupled through the layer above. Given the gradient that reaches a (layer, direction)'s
outputs from outside it, e_t = dL/dh_t minus its own recurrence, what happens inside it is a one-layer
unidirectional module on its own input (time-reversed for the reverse direction): exactly what
`models.probe` computes. So: one fused forward and backward of the whole module (layer by layer, as
one-layer bidirectional copies) gives every e and dL/dx; then one probe per (layer, direction).

    probe_directions(cfg, model, inputs, e_out=None, e_hn=None)
        -> {"forward": ProbeResult, "reverse": ProbeResult}, both on the original time axis

The reverse direction's gradient therefore flows forward in time: it enters at t = 1 (its last step,
read through h_n) and decays towards t = T. Nothing here runs a per-step Python loop.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch
from torch import nn

from .cells import empty_model, layer_weights, model_spec
from .config import ProbeConfig
from .probe import make_inputs, make_readout, probe
from .result import ProbeResult

DIRECTIONS = ("forward", "reverse")
SUFFIX = {0: "", 1: "_reverse"}


def _copy_into(module: nn.Module, weights: dict, suffix: str = "") -> None:
    with torch.no_grad():
        for name, w in weights.items():
            getattr(module, f"{name}_l0{suffix}").copy_(w)


def unit_module(model: nn.Module, layer: int, direction: int) -> nn.Module:
    """Layer `layer`, direction 0 (forward) or 1 (reverse) of `model` as a one-layer unidirectional module."""
    spec = model_spec(model)
    weights = layer_weights(model, layer, SUFFIX[direction])
    unit = empty_model(spec["cell"], weights["weight_ih"].shape[1], spec["hidden_size"], 1, spec["activation"],
                       weights["weight_hh"].dtype, proj_size=spec["proj_size"])
    _copy_into(unit, {k: v.detach() for k, v in weights.items()})
    return unit.requires_grad_(False)


def _bidirectional_layer(model: nn.Module, layer: int) -> nn.Module:
    spec = model_spec(model)
    w0 = layer_weights(model, layer)
    copy = empty_model(spec["cell"], w0["weight_ih"].shape[1], spec["hidden_size"], 1, spec["activation"],
                       w0["weight_hh"].dtype, proj_size=spec["proj_size"], bidirectional=True)
    for d in (0, 1):
        _copy_into(copy, {k: v.detach() for k, v in layer_weights(model, layer, SUFFIX[d]).items()}, SUFFIX[d])
    return copy.requires_grad_(False)


def external_gradients(model: nn.Module, x: torch.Tensor, e_out: torch.Tensor | None = None,
                       e_hn: torch.Tensor | None = None, e_cn: torch.Tensor | None = None) -> dict:
    """For L = sum_t e_out_t . out_t + sum_j e_hn[j] . h_n[j] (+ sum_j e_cn[j] . c_n[j], LSTM) per sample, with
    out (T, B, 2P), h_n (2L, B, P), c_n (2L, B, H) as the bidirectional module returns them, x time-major (T, B, I):

    -> {"loss": (B,), "grad_x": (T, B, I), "units": {(k, d): (input (T, B, I_k), e (T, B, P))}}
    with each unit's input and e in its own processing order (reversed in time for d = 1).
    """
    spec = model_spec(model)
    L = spec["num_layers"]
    x_leaf = x.detach().requires_grad_(True)
    layer_in, inputs, outs, loss = x_leaf, [], [], 0
    with torch.enable_grad():
        for k in range(L):
            out, state = _bidirectional_layer(model, k)(layer_in)  # (T, B, 2P), h_n (2, B, P)
            h_n = state[0] if isinstance(state, tuple) else state
            if e_hn is not None:
                loss = loss + (h_n * e_hn[2 * k:2 * k + 2]).sum((0, 2))
            if e_cn is not None:  # a loss reading c_n reaches the layers below through this layer
                loss = loss + (state[1] * e_cn[2 * k:2 * k + 2]).sum((0, 2))
            inputs.append(layer_in.detach())
            outs.append(out)
            layer_in = out
        if e_out is not None:
            loss = loss + (outs[-1] * e_out).sum((0, 2))
        if not torch.is_tensor(loss):
            raise ValueError("the loss reads neither the outputs nor h_n: give e_out or e_hn")
        grads = torch.autograd.grad(loss.sum(), [x_leaf, *outs], materialize_grads=True)
    units = {}
    for k in range(L):
        g_fwd, g_rev = grads[1 + k].chunk(2, dim=-1)  # (T, B, P) each: dL/d(out_k) from outside layer k
        for d, e in enumerate((g_fwd.clone(), g_rev.clone())):
            if e_hn is not None:
                e[-1 if d == 0 else 0] += e_hn[2 * k + d]  # h_n is each direction's last step
            xin = inputs[k]
            units[k, d] = (xin.flip(0), e.flip(0)) if d else (xin, e)
    return {"loss": loss.detach(), "grad_x": grads[0], "units": units}


def _flip_time(r: ProbeResult) -> ProbeResult:
    """The same result with every per-timestep array in reversed time order (a reverse direction's
    processing order -> the original t)."""
    T = r.grad_h.shape[1]

    def ax(a, axis):
        return None if a is None else np.ascontiguousarray(np.flip(a, axis))

    def tensors(obj):  # the forward dict of the Jacobian inputs: every (T, ...) tensor flipped
        if isinstance(obj, dict):
            return {k: tensors(v) for k, v in obj.items()}
        return obj.flip(0) if torch.is_tensor(obj) and obj.dim() and obj.shape[0] == T else obj
    changes = dict(
        hidden=ax(r.hidden, 1), cell_state=ax(r.cell_state, 1), grad_h=ax(r.grad_h, 1),
        grad_h_layers=ax(r.grad_h_layers, 2), grad_h_units=ax(r.grad_h_units, 1), grad_c=ax(r.grad_c, 1),
        grad_x=ax(r.grad_x, 1), grad_w_steps=ax(r.grad_w_steps, 0), bound=ax(r.bound, 0),
        gates={k: ax(g, 1) for k, g in r.gates.items()},
        nonfinite=None if r.nonfinite is None else T - 1 - r.nonfinite,
        _delta_h0=None if r._delta_h0 is None else r._delta_h0.flip(0),
        _h_prev0=None if r._h_prev0 is None else r._h_prev0.flip(0),
        _jacobian_inputs=None if r._jacobian_inputs is None else (r._jacobian_inputs[0], tensors(r._jacobian_inputs[1])),
        _jacobian_norm=None if r._jacobian_norm is None else ax(r._jacobian_norm, 0),
    )
    # issue 9's path split, where present: (B, T[, H]) arrays per path name
    if hasattr(r, "grad_paths"):
        changes["grad_paths"] = {k: ax(a, 1) for k, a in r.grad_paths.items()}
        changes["grad_paths_layers"] = [{k: ax(a, 1) for k, a in p.items()} for p in r.grad_paths_layers]
        changes["grad_highway"] = ax(r.grad_highway, 1)
        if r.path_vectors is not None:
            changes["path_vectors"] = [{k: ax(a, 1) for k, a in p.items()} for p in r.path_vectors]
    return dataclasses.replace(r, **changes)


def default_final_state_readout(cfg: ProbeConfig, P: int, num_layers: int, batch: int, dtype) -> torch.Tensor:
    """e_hn for L_b = v . [h_T(forward) ; h_1(reverse)], the top layer's final states h_n, v a seeded unit vector (2P,)."""
    v = make_readout(cfg, 2 * P).to(dtype)
    e_hn = torch.zeros(2 * num_layers, batch, P, dtype=dtype)
    e_hn[-2], e_hn[-1] = v[:P], v[P:]
    return e_hn


def probe_directions(cfg: ProbeConfig, model: nn.Module, inputs: torch.Tensor | None = None,
                     e_out: torch.Tensor | None = None, e_hn: torch.Tensor | None = None) -> dict[str, ProbeResult]:
    """"forward" and "reverse" ProbeResults of a bidirectional module, on the original time axis.

    The loss is L_b = sum_t e_out_t . out_t^(b) + sum_j e_hn[j] . h_n[j]^(b) (out (T, B, 2P), h_n (2L, B, P)
    as the module returns them); default: a seeded unit vector on the top layer's final states. In each result,
    grad_h_layers is that direction's dL/dh_t per layer, grad_x the whole module's dL/dx_t, loss the whole L_b.
    """
    spec = model_spec(model)
    if not spec["bidirectional"]:
        raise ValueError("probe_directions needs a bidirectional module; use models.probe for a unidirectional one")
    dtype = next(model.parameters()).dtype
    P, L = spec["proj_size"] or spec["hidden_size"], spec["num_layers"]
    cfg = cfg.replace(cell=spec["cell"], activation=spec["activation"], input_size=spec["input_size"],
                      hidden_size=spec["hidden_size"], num_layers=L, dtype=str(dtype).removeprefix("torch."))
    x = (make_inputs(cfg) if inputs is None else inputs).to(dtype)
    if x.dim() != 3 or x.shape[2] != spec["input_size"]:
        raise ValueError(f"inputs must be time-major (T, B, {spec['input_size']}); got shape {tuple(x.shape)}")
    T, B = x.shape[:2]
    cfg = cfg.replace(seq_len=T, batch_size=B)
    if e_out is None and e_hn is None:
        e_hn = default_final_state_readout(cfg, P, L, B, dtype)
    for name, a, shape in (("e_out", e_out, (T, B, 2 * P)), ("e_hn", e_hn, (2 * L, B, P))):
        if a is not None and tuple(a.shape) != shape:
            raise ValueError(f"{name} must have shape {shape}; got {tuple(a.shape)}")
    grads = external_gradients(model, x, None if e_out is None else e_out.to(dtype),
                               None if e_hn is None else e_hn.to(dtype))
    results = {}
    for d, name in enumerate(DIRECTIONS):
        units = [probe(cfg, model=unit_module(model, k, d), inputs=grads["units"][k, d][0],
                       readout=grads["units"][k, d][1]) for k in range(L)]
        top, bottom = units[-1], units[0]
        r = dataclasses.replace(
            top, config=cfg, model=model,
            inputs=x.flip(0) if d else x,  # undone by _flip_time's view of time; kept in processing order
            loss=grads["loss"].numpy(),
            grad_h_layers=np.stack([u.grad_h_layers[0] for u in units]),
            grad_x=(grads["grad_x"].flip(0) if d else grads["grad_x"]).norm(dim=-1).double().T.numpy(),
            grad_w_steps=bottom.grad_w_steps, _delta_h0=bottom._delta_h0, _h_prev0=bottom._h_prev0)
        if hasattr(top, "grad_paths_layers"):
            r = dataclasses.replace(r, grad_paths_layers=[u.grad_paths_layers[0] for u in units])
        results[name] = _flip_time(r) if d else r
        if d:
            results[name] = dataclasses.replace(results[name], inputs=x)
    return results
