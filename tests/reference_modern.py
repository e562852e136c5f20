"""An independent reference for the newer cells: each paper's equations one step at a time, in float64, with
autograd on every h_t of every layer. Nothing here imports the modules' or the probe's maths; parameters are
read by name from the module.

    minGRU  (Feng et al. 2024): z = sigma(W_z u + b_z), h~ = W_h u + b_h, h = (1 - z) h_prev + z h~
    minLSTM (Feng et al. 2024): f, i = sigma(W_f u + b_f), sigma(W_i u + b_i), h~ = W_h u + b_h,
                                h = f/(f+i) h_prev + i/(f+i) h~
    IndRNN  (Li et al. 2018):   h = phi(W u + w_u * h_prev + b)
    LRU     (Orvieto et al. 2023): lambda = exp(-exp(nu) + i exp(theta)), h = lambda h_prev + exp(gamma_log) (B u),
                                reported as [Re h ; Im h]; the next layer reads phi(Re(C h) + D u)
Layer k + 1 reads layer k's h_t (minGRU, minLSTM, IndRNN), or that readout (LRU).
"""
from __future__ import annotations

import torch

PHI = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "linear": lambda a: a}
RECURRENT = {"mingru": ("weight_ih",), "minlstm": ("weight_ih",), "indrnn": ("u",), "lru": ("nu_log", "theta_log")}


def _real(h):
    return torch.cat([h.real, h.imag], -1) if h.is_complex() else h


def step(cell, act, p, k, u, h_prev, rec=None):
    """One step of layer k: u (B, I_k), h_prev (B, N) (complex for the LRU) -> h (B, N), gates dict.
    rec: per-step copies of the recurrent parameters (RECURRENT[cell]) to use instead of p's."""
    get = lambda name: (rec or {}).get(name, p[f"{name}_l{k}"])
    H = h_prev.shape[-1]
    if cell in ("mingru", "minlstm"):
        pre = u @ get("weight_ih").T + p[f"bias_ih_l{k}"]
        if cell == "mingru":
            z, cand = torch.sigmoid(pre[:, :H]), pre[:, H:]
            return (1 - z) * h_prev + z * cand, {"update": z}
        f, i, cand = torch.sigmoid(pre[:, :H]), torch.sigmoid(pre[:, H:2 * H]), pre[:, 2 * H:]
        return f / (f + i) * h_prev + i / (f + i) * cand, {"forget": f / (f + i), "input": i / (f + i)}
    if cell == "indrnn":
        return PHI[act](u @ p[f"weight_ih_l{k}"].T + get("u") * h_prev + p[f"bias_l{k}"]), {}
    lam = torch.exp(torch.complex(-torch.exp(get("nu_log")), torch.exp(get("theta_log"))))
    bu = torch.complex(u @ p[f"B_re_l{k}"].T, u @ p[f"B_im_l{k}"].T)
    return lam * h_prev + torch.exp(p[f"gamma_log_l{k}"]) * bu, {}


def between(cell, act, p, k, out, u):
    """What layer k + 1 reads at one step, from layer k's reported state out (B, H) (the LRU's [Re h ; Im h])."""
    if cell != "lru":
        return out
    re, im = out.chunk(2, -1)
    return PHI[act](re @ p[f"C_re_l{k}"].T - im @ p[f"C_im_l{k}"].T + u @ p[f"D_l{k}"].T)


def _forward(model, cell, act, x):
    """Every layer step by step: parameters p, inputs xs (leaves), per layer its states, out branches, the
    layer above's inputs and gates, and the per-step copies of layer 0's recurrent parameters."""
    p = {n: t.detach().double() for n, t in model.named_parameters()}
    L, H = model.num_layers, model.hidden_size
    N = H // 2 if cell == "lru" else H
    T, B, _ = x.shape
    xs = [x[t].double().clone().requires_grad_(True) for t in range(T)]
    rec0 = [{n: p[f"{n}_l0"].clone().requires_grad_(True) for n in RECURRENT[cell]} for _ in range(T)]
    layer_in, outs, states, ups, gates = xs, [], [], [], []
    for k in range(L):
        h = torch.zeros(B, N, dtype=torch.complex128 if cell == "lru" else torch.float64)
        hs, os, up, gs = [], [], [], []
        for t in range(T):
            h, g = step(cell, act, p, k, layer_in[t], h * 1, rec0[t] if k == 0 else None)  # h * 1: the recurrent branch
            h.retain_grad()
            out = _real(h) * 1  # the branch the loss and the layer above read
            out.retain_grad()
            hs.append(h), os.append(out), gs.append(g)
            up.append(between(cell, act, p, k, out, layer_in[t]) if k < L - 1 else None)
        states.append(hs), outs.append(os), gates.append(gs), ups.append(up)
        layer_in = up
    return p, xs, states, outs, ups, gates, rec0


def _total(state, B, H):
    """dL/dh_t of one step, real view (zeros where the loss never reached it)."""
    return _real(state.grad) if state.grad is not None else torch.zeros(B, H, dtype=torch.float64)


def reference_module(model, cell, act, x, loss_fn):
    """loss_fn(out (T, B, H), h_n (L, B, H)) -> scalar, the user's loss. -> per layer (B, T) ||dL/dh_t||."""
    p, xs, states, outs, ups, gates, rec0 = _forward(model, cell, act, x)
    loss_fn(torch.stack(outs[-1]), torch.stack([o[-1] for o in outs])).backward()
    B, H = outs[0][0].shape
    return torch.stack([torch.stack([_total(s, B, H).norm(dim=-1) for s in layer], 1) for layer in states])


def reference(model, cell, act, x, v):
    """L = sum_b v . out_T^(b), v (H,), (B, H) or (T, B, H) (then L = sum_t v_t . out_t). Every (B, T) array as in
    ProbeResult, plus "grad_vectors": per layer (B, T, H) dL/dh_t, "contrib": (T, ...) step t's part of
    dL/d(recurrent parameters of layer 0), "paths": per layer name -> (B, T, H) (copy / forget_direct / recurrent
    and from_above), "gates" of the top layer."""
    p, xs, states, outs, ups, gates, rec0 = _forward(model, cell, act, x)
    L, H, (T, B, _) = model.num_layers, model.hidden_size, x.shape
    vv = v.double()
    loss = (torch.stack(outs[-1]) * vv).sum((0, 2)) if vv.dim() == 3 else (outs[-1][-1] * vv).sum(-1)
    loss.sum().backward()
    grads = [torch.stack([_total(s, B, H) for s in layer], 1) for layer in states]  # (B, T, H) per layer
    norm = lambda a: a.norm(dim=-1)
    result = {
        "loss": loss.detach(), "hidden": torch.stack([o.detach() for o in outs[-1]], 1),
        "grad_h_layers": torch.stack([norm(g) for g in grads]), "grad_h": norm(grads[-1]), "grad_vectors": grads,
        "grad_h_units": grads[-1].abs(), "grad_x": torch.stack([norm(xt.grad) for xt in xs], 1),
        "gates": {n: torch.stack([g[n].detach() for g in gates[-1]], 1) for n in (gates[-1][0] if T else {})},
        "contrib": torch.stack([torch.cat([r[n].grad.flatten() if r[n].grad is not None else torch.zeros_like(r[n]).flatten()
                                           for n in RECURRENT[cell]]) for r in rec0]),
    }
    result["paths"] = [_paths(cell, act, p, k, layer_in_k, states[k], outs[k], k < L - 1 or vv.dim() == 3)
                       for k, layer_in_k in enumerate([xs] + ups[:-1])]
    result["jacobian_norm"] = _jacobian_norms(cell, act, p, L - 1, ([xs] + ups[:-1])[-1], states[-1])
    return result


def _paths(cell, act, p, k, inputs, hs, outs, with_above):
    """Step t's part of dL/dh_{t-1} through its own recurrence (autograd of the step function, pulled back with
    the total g_t) and, below the top, what reaches h_{t-1} from outside (the out branch's gradient)."""
    T = len(hs)
    own, above = [torch.zeros_like(outs[0])], [torch.zeros_like(outs[0])]
    for t in range(1, T):
        h_prev = hs[t - 1].detach().clone().requires_grad_(True)
        h_t, _ = step(cell, act, p, k, inputs[t].detach(), h_prev)
        g = torch.autograd.grad(h_t, h_prev, grad_outputs=hs[t].grad)[0]
        own.append(_real(g))
        above.append(outs[t - 1].grad.clone() if outs[t - 1].grad is not None else torch.zeros_like(outs[0]))
    name = {"mingru": "copy", "minlstm": "forget_direct"}.get(cell, "recurrent")
    paths = {name: torch.stack(own, 1)}
    if with_above:
        paths["from_above"] = torch.stack(above, 1)
    return paths


def _jacobian_norms(cell, act, p, k, inputs, hs):
    """(T,) batch mean of ||dh_t/dh_{t-1}||_2 (the real view's Jacobian for the LRU), by autograd.functional."""
    T, B = len(hs), hs[0].shape[0]
    norms = []
    for t in range(T):
        h_prev = torch.zeros_like(hs[0]) if t == 0 else hs[t - 1].detach()
        per_b = []
        for b in range(B):
            def f(hr, b=b):
                hp = torch.complex(*hr.chunk(2, -1)) if cell == "lru" else hr
                return _real(step(cell, act, p, k, inputs[t][b:b + 1].detach(), hp)[0])[0]
            J = torch.autograd.functional.jacobian(f, _real(h_prev[b:b + 1]))[:, 0, :]
            per_b.append(torch.linalg.matrix_norm(J, 2))
        norms.append(torch.stack(per_b).mean())
    return torch.stack(norms)
