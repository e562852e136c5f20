"""An independent float64 reference for the gradient paths (models/paths.py), from PyTorch's documented
equations (tests/reference.py's `step`) and autograd only.

Forward: every layer step by step; each h_t reaches the next step through its own identity branch
and the layer above through another, so autograd gives the total dL/dh_t, dL/dc_t and, separately,
the part e_t that the layer above sends back (the `from_above` path).
Per path: autograd of one step's function in which only that path depends on the previous state
(everything else detached), pulled back with the step's total output gradients. The LSTM's paths
end in c_{t-1} through h_{t-1} = o_{t-1} tanh(c_{t-1}) (o_{t-1} fixed); GRU/RNN paths in h_{t-1}.
"""
from __future__ import annotations

import torch

from tests.reference import PHI, step


def _forward(model, cell, activation, x, v):
    """Per layer: lists of h_t, c_t (LSTM), o_t (LSTM), the branch to the layer above, and inputs."""
    L, H = model.num_layers, model.hidden_size
    T, B, _ = x.shape
    p = {n: t.detach().double() for n, t in model.named_parameters()}
    layer_in = [x[t].double().requires_grad_(True) for t in range(T)]  # so every h_t is in the graph
    layers = []
    for k in range(L):
        w = [p[f"weight_ih_l{k}"], p[f"weight_hh_l{k}"], p.get(f"bias_ih_l{k}", 0), p.get(f"bias_hh_l{k}", 0)]
        h = torch.zeros(B, H, dtype=torch.float64)
        c = torch.zeros(B, H, dtype=torch.float64)
        hs, cs, up = [], [], []
        for t in range(T):
            h, c_new = step(cell, activation, layer_in[t], h * 1, c, *w)  # h * 1: the recurrent branch
            h.retain_grad()
            hs.append(h)
            if c_new is not None:
                c = c_new
                c.retain_grad()
                cs.append(c)
            up.append(h * 1)  # the branch the layer above reads
            up[-1].retain_grad()
        layers.append({"h": hs, "c": cs, "up": up, "w": w, "x": [xt.detach() for xt in layer_in]})
        layer_in = up
    loss = (layers[-1]["up"][-1] * v.double()).sum()
    loss.backward()
    return layers


def _lstm_paths(layer, t, with_above):
    """Contributions of step t into c_{t-1}, each by autograd of a one-path step function."""
    w_ih, w_hh, b_ih, b_hh = layer["w"]
    x, c_prev0, h_prev0 = layer["x"][t], layer["c"][t - 1].detach(), layer["h"][t - 1].detach()
    o_prev = torch.sigmoid((layer["x"][t - 1] @ w_ih.T + b_ih + (layer["h"][t - 2].detach() if t >= 2 else 0 * h_prev0)
                            @ w_hh.T + b_hh).chunk(4, -1)[3])
    g_c, g_h = layer["c"][t].grad, layer["h"][t].grad
    out = {}

    def pull(name):
        c_prev = c_prev0.clone().requires_grad_(True)
        h_prev = o_prev * torch.tanh(c_prev)  # h_{t-1} as a function of c_{t-1}, o_{t-1} fixed
        live = (x @ w_ih.T + b_ih + h_prev @ w_hh.T + b_hh).chunk(4, -1)
        dead = [a.detach() for a in live]
        keep = {"input_gate": 0, "forget_gate": 1, "candidate": 2, "output_gate": 3}.get(name)
        a_i, a_f, a_g, a_o = [live[j] if j == keep else dead[j] for j in range(4)]
        f = torch.sigmoid(a_f)
        c_old = c_prev if name == "forget_direct" else c_prev.detach()
        c_t = f * c_old + torch.sigmoid(a_i) * torch.tanh(a_g)
        h_t = torch.sigmoid(a_o) * torch.tanh(c_t.detach())  # o's own path into h_t; c_t's is in g_c
        return torch.autograd.grad((c_t * g_c).sum() + (h_t * g_h).sum(), c_prev, allow_unused=True)[0]

    for name in ("forget_direct", "forget_gate", "input_gate", "candidate", "output_gate"):
        out[name] = pull(name)
    if with_above:
        c_prev = c_prev0.clone().requires_grad_(True)
        h_prev = o_prev * torch.tanh(c_prev)
        out["from_above"] = torch.autograd.grad((h_prev * layer["up"][t - 1].grad).sum(), c_prev)[0]
    return out


def _gru_paths(layer, t, with_above):
    """Contributions of step t into h_{t-1} (PyTorch's GRU form)."""
    w_ih, w_hh, b_ih, b_hh = layer["w"]
    x, h_prev0, g_h = layer["x"][t], layer["h"][t - 1].detach(), layer["h"][t].grad
    out = {}
    for name in ("copy", "update_gate", "reset_gate", "candidate"):
        h_prev = h_prev0.clone().requires_grad_(True)
        gi_r, gi_z, gi_n = (x @ w_ih.T + b_ih).chunk(3, -1)
        live = (h_prev @ w_hh.T + b_hh).chunk(3, -1)
        keep = {"reset_gate": 0, "update_gate": 1, "candidate": 2}.get(name)
        gh_r, gh_z, gh_n = [live[j] if j == keep else live[j].detach() for j in range(3)]
        r, z = torch.sigmoid(gi_r + gh_r), torch.sigmoid(gi_z + gh_z)
        n = torch.tanh(gi_n + r * gh_n)
        h_t = (1 - z) * n + z * (h_prev if name == "copy" else h_prev.detach())
        out[name] = torch.autograd.grad((h_t * g_h).sum(), h_prev, allow_unused=True)[0]
    if with_above:
        out["from_above"] = layer["up"][t - 1].grad.clone()
    return out


def _rnn_paths(layer, t, with_above, activation):
    w_ih, w_hh, b_ih, b_hh = layer["w"]
    h_prev = layer["h"][t - 1].detach().clone().requires_grad_(True)
    h_t = PHI[activation](layer["x"][t] @ w_ih.T + b_ih + h_prev @ w_hh.T + b_hh)
    out = {"recurrent": torch.autograd.grad((h_t * layer["h"][t].grad).sum(), h_prev)[0]}
    if with_above:
        out["from_above"] = layer["up"][t - 1].grad.clone()
    return out


def reference_paths(model, cell, activation, x, v):
    """Per layer (bottom first): {"paths": name -> (B, T, H) vectors (0 at t = 0), "total": (B, T, H)}
    where total[:, t] = dL/dc_{t-1} (LSTM) or dL/dh_{t-1} by autograd; and "highway" (B, T) for the top."""
    layers = _forward(model, cell, activation, x, v)
    T = x.shape[0]
    out = []
    for k, layer in enumerate(layers):
        with_above = k < len(layers) - 1
        state = layer["c"] if cell == "lstm" else layer["h"]
        zero = torch.zeros_like(state[0])
        steps = []
        for t in range(T):
            if t == 0:
                steps.append(None)
            elif cell == "lstm":
                steps.append(_lstm_paths(layer, t, with_above))
            elif cell == "gru":
                steps.append(_gru_paths(layer, t, with_above))
            else:
                steps.append(_rnn_paths(layer, t, with_above, activation))
        names = {"lstm": ["forget_direct", "forget_gate", "input_gate", "candidate", "output_gate"],
                 "gru": ["copy", "update_gate", "reset_gate", "candidate"], "rnn": ["recurrent"]}[cell]
        names += ["from_above"] if with_above else []
        paths = {n: torch.stack([zero if s is None or s[n] is None else s[n] for s in steps], 1) for n in names}
        total = torch.stack([zero] + [state[t - 1].grad for t in range(1, T)], 1)
        out.append({"paths": paths, "total": total})
    top = layers[-1]
    if cell in ("lstm", "gru"):  # explicit product of the direct path's factors, step by step
        w_ih, w_hh, b_ih, b_hh = top["w"]
        g = (top["c"] if cell == "lstm" else top["h"])[-1].grad
        chain, norms = g.clone(), [None] * T
        for t in range(T - 1, -1, -1):
            norms[t] = chain.norm(dim=-1)
            h_prev = top["h"][t - 1].detach() if t >= 1 else torch.zeros_like(g)
            if cell == "lstm":
                decay = torch.sigmoid((top["x"][t] @ w_ih.T + b_ih + h_prev @ w_hh.T + b_hh).chunk(4, -1)[1])
            else:
                decay = torch.sigmoid(((top["x"][t] @ w_ih.T + b_ih).chunk(3, -1)[1]
                                       + (h_prev @ w_hh.T + b_hh).chunk(3, -1)[1]))
            chain = decay * chain  # multiply by this step's factor before moving to t - 1
        out[-1]["highway"] = torch.stack(norms, 1)
    return out
