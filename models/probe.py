"""probe(cfg): how dL/dh_t flows back through time in an RNN, LSTM or GRU, exactly and fast.

Loss: L_b = v . h_T^(b) for each sample b (v a seeded unit vector), so ||dL_b/dh_T|| = 1 and every
curve reads as attenuation. Samples are independent, so one backward of L = sum_b L_b gives all.

How it stays fast: one run of PyTorch's fused module per layer, fed one extra all-zero input z_t
(see `models.recurrence`): for the vanilla RNN and the LSTM z enters through W_hh, so autograd hands
back W_hh^T delta_t = the recurrent part of dL/dh_{t-1} for every t at once; for the GRU it enters
through an identity, which hands back dL/d(a_x)_t. The rest is whole-sequence algebra: gates from
the hidden states in two matmuls, element-wise recurrences by a chunked scan, each path's vectors
written into one tensor so their norms are one op. Jacobian norms (batched Lanczos) are computed
when first read from the result.
No per-step Python loop, no retain_grad.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .cells import ACTIVATION_GAMMA, build_model, empty_model, layer_weights, model_spec
from .config import DIAGONAL_CELLS, ProbeConfig
from .denormals import flush_denormals
from .diagonal_probe import backprop as diagonal_backprop
from .diagonal_probe import probe_diagonal
from .norms import external_gradient, first_nonfinite, norm, step_contribution_norms
from .paths import DIRECT_PATH, highway, path_vectors
from .recurrence import cell_math
from .result import ProbeResult
from .scan import shift_down


def make_inputs(cfg: ProbeConfig) -> torch.Tensor:
    """x ~ input_scale * N(0, 1), (T, B, I); depends only on (seed, T, B, I), so every cell sees the same."""
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    x = torch.randn(cfg.seq_len, cfg.batch_size, cfg.input_size, generator=gen, dtype=torch.float64)
    return (cfg.input_scale * x).to(getattr(torch, cfg.dtype))


def make_readout(cfg: ProbeConfig, size: int | None = None) -> torch.Tensor:
    """v, a unit vector of size H (or `size`, e.g. an LSTM's proj_size) drawn from the seed: L_b = v . h_T^(b)."""
    gen = torch.Generator().manual_seed(cfg.seed + 2)
    v = torch.randn(size or cfg.hidden_size, generator=gen, dtype=torch.float64)
    return (v / v.norm()).to(getattr(torch, cfg.dtype))


def _config_for(cfg: ProbeConfig, model: nn.Module | None, inputs: torch.Tensor | None) -> ProbeConfig:
    """cfg with its sizes taken from a user's model and inputs, where given."""
    changes = {}
    if model is not None:
        spec = model_spec(model)
        if spec["bidirectional"]:
            raise ValueError("probe() follows one direction: for a bidirectional module use "
                             "models.directions.probe_directions(cfg, model, inputs, readout)")
        changes.update({k: spec[k] for k in ("cell", "activation", "input_size", "hidden_size", "num_layers")})
        changes["dtype"] = str(next(model.parameters()).dtype).removeprefix("torch.")
    if inputs is not None:
        if inputs.dim() != 3:
            raise ValueError(f"inputs must be time-major (T, B, I); got shape {tuple(inputs.shape)}")
        changes.update(seq_len=inputs.shape[0], batch_size=inputs.shape[1], input_size=inputs.shape[2])
    return cfg.replace(**changes) if changes else cfg


_FUSED = {("lstm", "tanh"): torch.lstm, ("gru", "tanh"): torch.gru, ("rnn", "tanh"): torch.rnn_tanh,
          ("rnn", "relu"): torch.rnn_relu}  # PyTorch's fused kernels, as nn.LSTM / nn.GRU / nn.RNN call them


def _kernel_spec(spec: dict) -> dict:
    """The spec the fused machinery runs: an IndRNN is a vanilla RNN whose W_hh is diag(u) (models.indrnn)."""
    return {**spec, "cell": "rnn"} if spec["cell"] == "indrnn" else spec


def _augmented_run(spec: dict, weights: dict, inputs: torch.Tensor, aug_weight: torch.Tensor):
    """One layer run on inputs [x_t, z_t] with weight_ih = [W_ih | aug_weight]: PyTorch's fused kernel called
    directly (no module to build), or an ElementwiseRNN for the activations nn.RNN lacks.
    -> out (T, B, P), c_T (B, H) for the LSTM (else None)."""
    w_ih = torch.cat([weights["weight_ih"], aug_weight], dim=1)
    B, H, P = inputs.shape[1], spec["hidden_size"], spec.get("proj_size") or spec["hidden_size"]
    fused = _FUSED.get((spec["cell"], spec["activation"]))
    if fused is None:
        layer = empty_model(spec["cell"], w_ih.shape[1], H, 1, spec["activation"], w_ih.dtype)
        with torch.no_grad():
            for name in ("weight_hh", "bias_ih", "bias_hh"):
                getattr(layer, f"{name}_l0").copy_(weights[name])
            layer.weight_ih_l0.copy_(w_ih)
        layer.requires_grad_(False)
        return layer(inputs)[0], None
    params = [w_ih, weights["weight_hh"], weights["bias_ih"], weights["bias_hh"]]
    h_0 = inputs.new_zeros(1, B, P)
    if spec["cell"] != "lstm":
        return fused(inputs, h_0, params, True, 1, 0.0, False, False, False)[0], None
    if "weight_hr" in weights:
        params.append(weights["weight_hr"])
    out, _, c_n = fused(inputs, (h_0, inputs.new_zeros(1, B, H)), params, True, 1, 0.0, False, False, False)
    return out, c_n[0]


def _augmented_backward(spec, math, weights, x, e_h, e_c=None):
    """One fused run per layer fed [input, z] (z = 0), then one backward of
    L = sum_b sum_k sum_t e_h[k]_t . h_t^(k,b)  (+ sum_k e_c[k] . c_T^(k), LSTM).

    e_h: per layer (T, B, P) or None (the loss does not read that layer directly); e_c: per layer (B, H) or None.
    -> loss (B,), hidden states per layer [(T, B, P)], dL/dx (T, B, I), dL/dz per layer
       [(T, B, A)] (see models.recurrence), dL/d(output of layer k) from outside its recurrence
       (the loss's e_h[k] plus what layer k+1 reads) [(T, B, P)], one per layer.
    """
    T, B, _ = x.shape
    x_leaf = x.detach().requires_grad_(True)
    layer_in, zs, outs, loss = x_leaf, [], [], 0
    e_c = e_c or [None] * len(weights)
    with torch.enable_grad():
        for w, e, ec in zip(weights, e_h, e_c):
            w_hh = w["weight_hh"]
            aug_w = w_hh if math.aug == "recurrent" else torch.eye(w_hh.shape[0], dtype=w_hh.dtype)
            z = torch.zeros(T, B, aug_w.shape[1], dtype=w_hh.dtype, requires_grad=True)
            out, c_last = _augmented_run(spec, w, torch.cat([layer_in, z], dim=-1), aug_w)  # (T, B, P)
            if e is not None:
                loss = loss + (out * e).sum((0, 2))  # (B,) sum_t e_t . h_t
            if ec is not None:
                loss = loss + (c_last * ec).sum(-1)  # (B,) e_c . c_T
            zs.append(z)
            outs.append(out)
            layer_in = out
        grads = torch.autograd.grad(loss.sum(), [x_leaf, *zs, *outs], materialize_grads=True)
    L = len(weights)
    return loss.detach(), [o.detach() for o in outs], grads[0], grads[1:1 + L], grads[1 + L:]


def backprop_layers(model: nn.Module, x: torch.Tensor, e_h: list, e_c: list | None = None) -> list:
    """dL/dh_t of every layer of a unidirectional module for L = sum_k sum_t e_h[k]_t . h_t^(k) (+ e_c[k] . c_T^(k)).

    x (T, B, I); e_h[k] (T, B, P) or None; e_c[k] (B, H) or None (LSTM). The probe's fused mechanism,
    without the rest of the probe: -> [(T, B, P)] per layer, bottom first, total derivatives.
    """
    spec = model_spec(model)
    if spec["cell"] in DIAGONAL_CELLS:
        with flush_denormals():
            return diagonal_backprop(model, x, e_h)
    spec = _kernel_spec(spec)
    math = cell_math(spec["cell"], spec["activation"])
    L = spec["num_layers"]
    weights = [{k: t.detach() for k, t in layer_weights(model, k).items()} for k in range(L)]
    e_c = e_c or [None] * L
    with flush_denormals():
        _, hs, _, grad_aug, grad_out = _augmented_backward(spec, math, weights, x, e_h, e_c)
        grads = []
        for k in range(L):
            fwd, _ = _layer_forward(math, x if k == 0 else hs[k - 1], hs[k], weights[k])
            grads.append(math.backward(fwd, grad_out[k], grad_aug[k], weights[k]["weight_hh"],
                                       weights[k].get("weight_hr"), e_c[k]).grad_h)
    return grads


@torch.no_grad()
def _layer_forward(math, x, h, w):
    """The cell's forward quantities (models.recurrence) from its inputs x and hidden states h (T, B, P)."""
    h_prev = shift_down(h)  # (T, B, P), h_0 = 0
    return math.forward(x, h_prev, h, w), h_prev


def probe(cfg: ProbeConfig, model: nn.Module | None = None, inputs: torch.Tensor | None = None,
          readout: torch.Tensor | None = None, paths: bool = True, keep_path_vectors: bool = False) -> ProbeResult:
    """Everything in `ProbeResult` for cfg (or for a given model and inputs (T, B, I)).

    readout: v of L_b = v . h_T^(b), (H,) or one per sample (B, H); default a seeded unit vector.
    Backpropagation is linear in dL/dh_T, so passing dLoss_b/dh_T of any loss that reads only h_T
    (a task head, say) gives that loss's dL_b/dh_t at every t. Runs under `flush_denormals()`.
    paths: split each step's gradient into its paths (`grad_paths`, `grad_highway`); False skips them.
    keep_path_vectors: also return the vectors behind `grad_paths` (`ProbeResult.path_vectors`).
    """
    with flush_denormals():
        r = _probe(cfg, model, inputs, readout, paths or keep_path_vectors, keep_path_vectors)
        if model is not None and getattr(model, "proj_size", 0):
            _projected_jacobian_norm(r)
        return r


def _projected_jacobian_norm(r: ProbeResult, chunk: int = 512) -> None:
    """jacobian_norm of an LSTM with proj_size, set eagerly: dh_t/dh_{t-1} = W_hr diag(...) W_hh is P x P
    (models.jacobian's Lanczos expects square H x H blocks), so each J is formed and its top singular
    value taken, in chunks of (t, b) pairs. c_{t-1} held fixed, as for the other cells."""
    w_hh, fwd = r._jacobian_inputs
    w_hr = getattr(r.model, f"weight_hr_l{r.config.num_layers - 1}").detach().to(w_hh.dtype)  # (P, H)
    _, d = cell_math("lstm").jacobian_factors(fwd)  # (T, B, 4, H): J = W_hr sum_k diag(d_k) W_hh[k]
    T, B, G, H = d.shape
    w_blocks = w_hh.view(G, H, -1)  # (4, H, P)
    rows = d.reshape(T * B, G, H)
    norms = torch.empty(T * B, dtype=torch.float64)
    for start in range(0, T * B, chunk):
        inner = torch.einsum("ngh,ghp->nhp", rows[start:start + chunk], w_blocks)  # (n, H, P)
        jac = torch.matmul(w_hr, inner).double()  # (n, P, P)
        finite = torch.isfinite(jac).all(-1).all(-1)  # an SVD of inf/NaN would raise
        block = torch.full((len(jac),), float("nan"), dtype=torch.float64)
        block[finite] = torch.linalg.matrix_norm(jac[finite], 2)
        norms[start:start + chunk] = block
    jacobian_norm = norms.view(T, B).mean(1).numpy()
    jacobian_norm.flags.writeable = False
    r._jacobian_norm, r._jacobian_inputs = jacobian_norm, None


def _probe(cfg, model, inputs, readout, paths=True, keep_path_vectors=False) -> ProbeResult:
    cfg = _config_for(cfg, model, inputs)
    model = build_model(cfg) if model is None else model
    spec = model_spec(model)
    dtype = next(model.parameters()).dtype
    x = (make_inputs(cfg) if inputs is None else inputs).to(dtype)
    P = spec["proj_size"] or cfg.hidden_size  # width of h_t (an LSTM's proj_size, else H)
    v = (make_readout(cfg, P) if readout is None else readout.detach()).to(dtype)
    if v.shape not in ((P,), (cfg.batch_size, P), (cfg.seq_len, cfg.batch_size, P)):
        raise ValueError(f"readout must have shape ({P},), ({cfg.batch_size}, {P}) or "
                         f"({cfg.seq_len}, {cfg.batch_size}, {P}); got {tuple(v.shape)}")
    if spec["cell"] in DIAGONAL_CELLS:  # minGRU, minLSTM, LRU: a scan, models/diagonal_probe.py
        return probe_diagonal(cfg, model, x, v, paths, keep_path_vectors)
    indrnn, spec = spec["cell"] == "indrnn", _kernel_spec(spec)
    T, B, L, H = cfg.seq_len, cfg.batch_size, cfg.num_layers, cfg.hidden_size
    math = cell_math(spec["cell"], spec["activation"])
    weights = [{k: t.detach() for k, t in layer_weights(model, k).items()} for k in range(L)]

    # the loss reaches h_T only (v (P,) or (B, P)), or every h_t (v (T, B, P), a sequence-to-sequence loss)
    e_top = external_gradient(v, T, B)
    loss, hs, grad_x_full, grad_aug, grad_out = _augmented_backward(spec, math, weights, x, [None] * (L - 1) + [e_top])

    # Per layer, top down: forward quantities and the total dL/dh_t.
    layer_grads, fwd_top, back_top, back0, h_prev0 = [None] * L, None, None, None, None
    path_layers, vector_layers = [None] * L, [None] * L
    for k in reversed(range(L)):
        fwd, h_prev = _layer_forward(math, x if k == 0 else hs[k - 1], hs[k], weights[k])
        e = e_top if k == L - 1 else grad_out[k]
        back = math.backward(fwd, e, grad_aug[k], weights[k]["weight_hh"], weights[k].get("weight_hr"))
        layer_grads[k] = back.grad_h
        # Arbel's split of step t's gradient into its paths (models/paths.py); norms only, unless asked
        # (not split for a projected LSTM, whose W_hh is (4H, P); a sequence loss reaches the top layer from above)
        names, vectors = ((), None) if spec["proj_size"] or not paths else path_vectors(
            spec["cell"], fwd, back, weights[k]["weight_hh"], None if k == L - 1 and v.dim() < 3 else e)
        path_layers[k] = {} if vectors is None else dict(zip(names, norm(vectors)))  # one norm op for all K
        vector_layers[k] = dict(zip(names, vectors)) if keep_path_vectors else None
        if k == L - 1:
            fwd_top, back_top = fwd, back
        if k == 0:
            back0, h_prev0 = back, h_prev

    # sum of T sub-gradients: dL/dW_hh = sum_t C_t, C_t = sum_b delta_t^(b) h_{t-1}^(b)T;
    # ||C_t||_F^2 = sum_{b,b'} (delta_b . delta_b')(h_b . h_b') without forming C_t.
    # IndRNN: only diag(W_hh) = u is a weight, its piece sum_b delta_t^(b) ⊙ h_{t-1}^(b) (H,).
    delta0, other0 = (back0.delta_h * h_prev0, None) if indrnn else (back0.delta_h, h_prev0)
    grad_w_steps = norm(delta0.sum(1)) if indrnn else step_contribution_norms(delta0, other0)

    w_top = weights[-1]["weight_hh"]
    bound = None
    if spec["cell"] == "rnn":
        gamma = ACTIVATION_GAMMA[spec["activation"]]
        w_norm = torch.linalg.matrix_norm(w_top.double(), 2).item()
        with np.errstate(over="ignore"):
            bound = np.power(gamma * w_norm, np.arange(T - 1, -1, -1, dtype=np.float64))

    norms = [norm(g) for g in layer_grads]  # (T, B) each, bottom layer first
    grad_c = None if back_top.grad_c is None else norm(back_top.grad_c)
    nonfinite = first_nonfinite(hs, last=False)
    stage = "forward" if nonfinite is not None else None
    if nonfinite is None:
        nonfinite = first_nonfinite(norms + ([grad_c] if grad_c is not None else []), last=True)
        stage = "backward" if nonfinite is not None else None

    def bt(a):  # (T, B, ...) -> numpy (B, T, ...)
        return a.transpose(0, 1).numpy()

    grad_highway = None  # the direct path alone, from T: LSTM prod f * dL/dc_T, GRU prod z * dL/dh_T
    if paths and spec["cell"] in DIRECT_PATH:
        decay = fwd_top["gates"]["forget" if spec["cell"] == "lstm" else "update"]
        g_last = (back_top.grad_c if spec["cell"] == "lstm" else back_top.grad_h)[-1]
        grad_highway = bt(highway(decay, g_last).norm(dim=-1))

    grad_top = back_top.grad_h
    return ProbeResult(
        config=cfg, model=model, inputs=x, readout=v,
        loss=loss.numpy(),
        hidden=bt(hs[-1]),
        cell_state=None if fwd_top["cell_state"] is None else bt(fwd_top["cell_state"]),
        grad_h=bt(norms[-1]),
        grad_h_layers=np.stack([bt(n) for n in norms]),
        grad_h_units=bt(grad_top.abs()),
        grad_c=None if grad_c is None else bt(grad_c),
        grad_x=bt(norm(grad_x_full)),
        grad_w_steps=grad_w_steps.numpy(),
        gates={name: bt(g) for name, g in fwd_top["gates"].items()},
        grad_paths={name: bt(n) for name, n in path_layers[-1].items()},
        grad_paths_layers=[{name: bt(n) for name, n in p.items()} for p in path_layers],
        grad_highway=grad_highway,
        path_vectors=None if not keep_path_vectors else [{n: bt(vec) for n, vec in p.items()} for p in vector_layers],
        bound=bound,
        nonfinite=nonfinite,
        nonfinite_stage=stage,
        _delta_h0=delta0,
        _h_prev0=other0,
        # jacobian_norm is computed from these on first access; IndRNN's diag(u phi'(a_t)) has norm max_j |u_j phi'_tj|
        _jacobian_inputs=None if indrnn else (w_top, fwd_top),
        _jacobian_norm=_diagonal_norms(w_top.diagonal() * fwd_top["phi_prime"]) if indrnn else None,
    )


def _diagonal_norms(d: torch.Tensor) -> np.ndarray:
    """(T,) batch mean of ||diag(d_t^(b))||_2 = max_j |d_tj^(b)|, d (T, B, H): exact, read-only."""
    norms = d.abs().amax(-1).double().mean(1).numpy()
    norms.flags.writeable = False
    return norms
