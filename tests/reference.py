"""An independent reference for the probe: PyTorch's documented cell equations, one step at a time,
in float64, with autograd on every h_t (and c_t). Nothing here imports the probe's maths.

    RNN:  h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
    LSTM: i,f,g,o = sigma,sigma,tanh,sigma(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh); c_t = f c_{t-1} + i g; h_t = o tanh(c_t)
    GRU:  r = sigma(W_ir x + b_ir + W_hr h + b_hr); z = sigma(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); h_t = (1 - z) n + z h_{t-1}
"""
from __future__ import annotations

import torch

PHI = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "linear": lambda a: a}


def step(cell, activation, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step of the documented equations -> (h_t, c_t or None)."""
    if cell == "rnn":
        return PHI[activation](x @ w_ih.T + b_ih + h @ w_hh.T + b_hh), None
    if cell == "lstm":
        i, f, g, o = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, -1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
    gi_r, gi_z, gi_n = (x @ w_ih.T + b_ih).chunk(3, -1)
    gh_r, gh_z, gh_n = (h @ w_hh.T + b_hh).chunk(3, -1)
    r, z = torch.sigmoid(gi_r + gh_r), torch.sigmoid(gi_z + gh_z)
    n = torch.tanh(gi_n + r * gh_n)
    return (1 - z) * n + z * h, None


def reference(model, cell, activation, x, v):
    """dict of reference arrays for L = sum_b v . h_T^(b), all (B, T) unless noted."""
    L, H = model.num_layers, model.hidden_size
    T, B, _ = x.shape
    p = {n: t.detach().double() for n, t in model.named_parameters()}
    xs = [x[t].double().clone().requires_grad_(True) for t in range(T)]
    w_hh0_steps = [p["weight_hh_l0"].clone().requires_grad_(True) for _ in range(T)]  # one copy per step
    layer_in, hs_all, cs_top = xs, [], []
    for k in range(L):
        h = torch.zeros(B, H, dtype=torch.float64)
        c = torch.zeros(B, H, dtype=torch.float64)
        hs = []
        for t in range(T):
            w_hh = w_hh0_steps[t] if k == 0 else p[f"weight_hh_l{k}"]
            h, c_new = step(cell, activation, layer_in[t], h, c, p[f"weight_ih_l{k}"], w_hh,
                            p.get(f"bias_ih_l{k}", 0), p.get(f"bias_hh_l{k}", 0))
            h.retain_grad()
            hs.append(h)
            if c_new is not None:
                c = c_new
                c.retain_grad()
                if k == L - 1:
                    cs_top.append(c)
        hs_all.append(hs)
        layer_in = hs
    loss = (hs_all[-1][-1] * v.double()).sum(-1)  # v (H,) or (B, H)
    loss.sum().backward()
    norm = lambda ts: torch.stack([t.grad.norm(dim=-1) for t in ts], 1)  # (B, T)
    out = {
        "loss": loss.detach(),
        "hidden": torch.stack([h.detach() for h in hs_all[-1]], 1),
        "grad_h_layers": torch.stack([norm(hs) for hs in hs_all]),
        "grad_x": norm(xs),
        "grad_w_contrib": torch.stack([w.grad for w in w_hh0_steps]),  # (T, G*H, H)
        "grad_c": norm(cs_top) if cs_top else None,
        "cell_state": torch.stack([c.detach() for c in cs_top], 1) if cs_top else None,
    }
    out["grad_h"] = out["grad_h_layers"][-1]
    out["grad_h_units"] = torch.stack([h.grad.abs() for h in hs_all[-1]], 1)
    out["jacobian_norm"] = jacobian_norms(cell, activation, p, L - 1, hs_all, x)
    return out


def jacobian_norms(cell, activation, p, k, hs_all, x):
    """(T,) batch mean of ||dh_t/dh_{t-1}||_2 of layer k, by autograd.functional.jacobian (c_{t-1} fixed)."""
    hs = [h.detach() for h in hs_all[k]]
    layer_in = [xt.double() for xt in x] if k == 0 else [h.detach() for h in hs_all[k - 1]]
    T, (B, H) = len(hs), hs[0].shape
    c_prev = torch.zeros(B, H, dtype=torch.float64)
    norms = []
    for t in range(T):
        h_prev = torch.zeros(B, H, dtype=torch.float64) if t == 0 else hs[t - 1]
        per_b = []
        for b in range(B):
            f = lambda hp: step(cell, activation, layer_in[t][b:b + 1], hp, c_prev[b:b + 1], p[f"weight_ih_l{k}"],
                                p[f"weight_hh_l{k}"], p.get(f"bias_ih_l{k}", 0), p.get(f"bias_hh_l{k}", 0))[0][0]
            J = torch.autograd.functional.jacobian(f, h_prev[b:b + 1])[:, 0, :]
            per_b.append(torch.linalg.matrix_norm(J, 2))
        norms.append(torch.stack(per_b).mean())
        if cell == "lstm":
            _, c_prev = step(cell, activation, layer_in[t], h_prev, c_prev, p[f"weight_ih_l{k}"], p[f"weight_hh_l{k}"],
                             p.get(f"bias_ih_l{k}", 0), p.get(f"bias_hh_l{k}", 0))
    return torch.stack(norms)


def step_proj(cell, activation, x, h, c, w, suffix):
    """One step of layer/direction `suffix` (e.g. "_l0_reverse") of a module's float64 parameters w,
    with PyTorch's proj_size rule for the LSTM: h_t = W_hr (o_t tanh(c_t))."""
    h_new, c_new = step(cell, activation, x, h, c, w["weight_ih" + suffix],
                        w["weight_hh" + suffix], w.get("bias_ih" + suffix, 0), w.get("bias_hh" + suffix, 0))
    if "weight_hr" + suffix in w:
        h_new = h_new @ w["weight_hr" + suffix].T
    return h_new, c_new


def reference_module(model, x, loss_fn, activation="tanh"):
    """Any nn.RNN/LSTM/GRU (stacked, bidirectional, proj_size), step by step in float64, x time-major (T, B, I).

    loss_fn(out (T, B, D*P), h_n (L*D, B, P), c_n (L*D, B, H) or None) -> scalar, the user's loss.
    -> {"out", "grad_h": {(layer, direction): (B, T) ||dL/dh_t||}, "grad_c": same for c_t (LSTM),
        "grad_x": (B, T)}, all in the original time order (direction 1 runs from t = T to 1).
    """
    cell = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}[type(model).__name__]
    w = {n: t.detach().double() for n, t in model.named_parameters()}
    L, D = model.num_layers, 2 if model.bidirectional else 1
    P = model.proj_size if getattr(model, "proj_size", 0) else model.hidden_size
    T, B, _ = x.shape
    xs = [x[t].double().clone().requires_grad_(True) for t in range(T)]
    layer_in, hs, cs, h_n, c_n = xs, {}, {}, [], []
    for k in range(L):
        outs = []
        for d in range(D):
            suffix = f"_l{k}" + ("_reverse" if d else "")
            h = torch.zeros(B, P, dtype=torch.float64)
            c = torch.zeros(B, model.hidden_size, dtype=torch.float64)
            seq = [None] * T
            cseq = [None] * T
            for t in (reversed(range(T)) if d else range(T)):
                h, c_new = step_proj(cell, activation, layer_in[t], h, c, w, suffix)
                h.retain_grad()
                seq[t] = h
                if c_new is not None:
                    c = c_new
                    c.retain_grad()
                    cseq[t] = c
            hs[k, d], cs[k, d] = seq, cseq
            h_n.append(h)
            c_n.append(c)
            outs.append(seq)
        layer_in = [torch.cat([o[t] for o in outs], -1) for t in range(T)]
    out = torch.stack(layer_in)  # (T, B, D*P)
    loss = loss_fn(out, torch.stack(h_n), torch.stack(c_n) if cell == "lstm" else None)
    loss.backward()

    def norms(seq):  # (B, T); a step the loss never reached has no .grad: 0
        return torch.stack([torch.zeros(B, dtype=torch.float64) if s.grad is None else s.grad.norm(dim=-1)
                            for s in seq], 1)
    return {"out": out.detach(), "loss": loss.detach(),
            "grad_h": {key: norms(seq) for key, seq in hs.items()},
            "grad_c": {key: norms(seq) for key, seq in cs.items()} if cell == "lstm" else None,
            "grad_x": norms(xs)}
