"""probe() for the diagonal recurrences of `models.diagonal` (minGRU, minLSTM, LRU): exact, one forward, one backward.

The module runs once with a zero drive z^(k) added to each layer's b_t (`DiagonalRNN.run`). One backward of
L = sum_b sum_k sum_t e^(k)_t . out^(k)_t then hands back, for every layer at once:
  dL/dz^(k)_t = dL/db^(k)_t = g^(k)_t, the total dL/dh^(k)_t (b_t enters h_t with factor 1);
  dL/d out^(k)_t = what reaches h^(k)_t from outside its recurrence (the loss, the layer above);
  dL/dx_t, and dL/d(the bottom layer's gate pre-activations), whose per-step pieces build grad_w_steps.
The rest is element-wise on those: the only recurrent path, conj(a_t) ⊙ g_t into h_{t-1}; the Jacobian norm,
exact because dh_t/dh_{t-1} = diag(a_t) (its spectral norm is max_j |a_tj|, no Lanczos; for the LRU, the
real view of diag(lambda) is a block of 2 x 2 rotation-scalings with norm max_j |lambda_j|). The scan
(`models.scan.diagonal_recurrence`, with its reverse scan as the backward) replaces any loop over t.
For the LRU, every (T, B, H) array is the real view [Re ; Im] of the complex state, as the module reports it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .config import ProbeConfig
from .diagonal import DiagonalRNN
from .norms import external_gradient, first_nonfinite, norm, step_contribution_norms
from .paths import FROM_ABOVE, PATH_NAMES
from .result import ProbeResult
from .scan import shift_down

COMPLEX = {torch.float32: torch.complex64, torch.float64: torch.complex128}

@dataclass
class Pass:
    """One forward and backward (see the module docstring). Per layer, bottom first: outs (T, B, H) real,
    grads g (T, B, N) in the state's dtype, external e (T, B, H); grad_x (T, B, I); run (models.diagonal.Run)."""

    loss: torch.Tensor
    outs: list
    grads: list
    external: list
    grad_x: torch.Tensor
    grad_rec: torch.Tensor | None
    run: object


def diagonal_pass(model: DiagonalRNN, x: torch.Tensor, e_h: list) -> Pass:
    """x (T, B, I); e_h[k] (T, B, H), ("last", v) with v (H,) or (B, H) (the loss reads out_T only), or None:
    L = sum_k sum_t e_h[k]_t . out^(k)_t per sample."""
    T, B, _ = x.shape
    N = model.hidden_size // 2 if model.complex_state else model.hidden_size
    dtype = next(model.parameters()).dtype
    state_dtype = COMPLEX[dtype] if model.complex_state else dtype
    x_leaf = x.detach().to(dtype).requires_grad_(True)
    with torch.enable_grad():
        zs = [torch.zeros(T, B, N, dtype=state_dtype, requires_grad=True) for _ in range(model.num_layers)]
        run = model.run(x_leaf, drives=zs, detached=True)
        loss = sum((_read(out, e) for out, e in zip(run.outs, e_h) if e is not None), x.new_zeros(B, dtype=dtype))
        rec = run.terms[0]["rec"]
        wrt = [x_leaf, *zs, *run.outs] + ([rec] if rec is not None else [])
        grads = torch.autograd.grad(loss.sum(), wrt, materialize_grads=True)
    L = model.num_layers
    return Pass(loss.detach(), [o.detach() for o in run.outs], list(grads[1:1 + L]), list(grads[1 + L:1 + 2 * L]),
                grads[0], grads[-1] if rec is not None else None, run)


def _read(out: torch.Tensor, e) -> torch.Tensor:
    """sum_t e_t . out_t per sample, (B,); e a tensor (T, B, H), or ("last", v) for a loss that reads out_T only."""
    if isinstance(e, tuple):
        return (out[-1] * e[1]).sum(-1)
    return (out * e).sum((0, 2))


def backprop(model: DiagonalRNN, x: torch.Tensor, e_h: list) -> list:
    """Total dL/dh_t of every layer (bottom first), (T, B, H) real, for L = sum_k sum_t e_h[k]_t . h^(k)_t."""
    p = diagonal_pass(model, x, e_h)
    return [model.to_real(g) for g in p.grads]


def _contribution_norms(delta: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """||C_t||_F, C_t = sum_b delta_t^(b) other_t^(b)T, (T, B, G), (T, B, I) -> (T,) float64: C_t itself when it is
    small (G I <= B (G + I): the gate rows times a few inputs), else the Gram form of `models.norms`."""
    T, B, G = delta.shape
    I = other.shape[-1]
    if G * I > B * (G + I):
        return step_contribution_norms(delta, other)
    return torch.linalg.matrix_norm(torch.bmm(delta.double().transpose(1, 2), other.double()))  # (T, G, I) -> (T,)


def _bt(a: torch.Tensor) -> np.ndarray:  # (T, B, ...) -> numpy (B, T, ...)
    return a.transpose(0, 1).numpy()


def probe_diagonal(cfg: ProbeConfig, model: DiagonalRNN, x: torch.Tensor, v: torch.Tensor,
                   paths: bool = True, keep_path_vectors: bool = False) -> ProbeResult:
    """The ProbeResult of a MinGRU / MinLSTM / LRU for readout v ((H,), (B, H) or (T, B, H)); see the module docstring.
    grad_c, cell_state and grad_highway are None (the direct path is the whole recurrence: grad_h is it)."""
    T, B, L = cfg.seq_len, cfg.batch_size, cfg.num_layers
    e_top = external_gradient(v, T, B)
    p = diagonal_pass(model, x, [None] * (L - 1) + [e_top if v.dim() == 3 else ("last", v)])
    states = [h.detach() for h in p.run.states]
    a = [t["a"].detach() for t in p.run.terms]
    grads_real = [model.to_real(g) for g in p.grads]
    norms = [norm(g) for g in grads_real]  # (T, B) per layer

    path_layers, vector_layers = [], []
    for k in range(L):
        if not paths:
            path_layers.append({}), vector_layers.append(None)
            continue
        own = torch.zeros_like(grads_real[k])  # step t's part of dL/dh_{t-1}: conj(a_t) ⊙ g_t, 0 at t = 0
        own[1:] = model.to_real(a[k][1:].conj() * p.grads[k][1:])
        vectors = {PATH_NAMES[cfg.cell][0]: own}
        if k < L - 1 or v.dim() == 3:  # what reaches h_{t-1} from outside the recurrence
            above = torch.zeros_like(own)
            above[1:] = p.external[k][:-1]
            vectors[FROM_ABOVE] = above
        path_layers.append({name: _bt(norm(vec)) for name, vec in vectors.items()})
        vector_layers.append({name: _bt(vec) for name, vec in vectors.items()} if keep_path_vectors else None)

    # step t's part of dL/d(the parameters that set a_t), layer 0: C_t = sum_b delta (x) other
    h_prev0 = shift_down(states[0])
    delta, other = model.weight_factors(0, p.run.terms[0], p.grad_rec, p.run.inputs[0].detach(), p.grads[0], h_prev0)
    delta = delta.detach()
    other = None if other is None else other.detach()
    grad_w_steps = norm(delta.sum(1)) if other is None else _contribution_norms(delta, other)

    top = a[-1].abs()  # (T, B, N): dh_t/dh_{t-1} = diag(a_t), norm max_j |a_tj|
    jacobian_norm = top.amax(-1).double().mean(1).numpy()
    jacobian_norm.flags.writeable = False
    bound = None
    if cfg.cell == "lru":  # ||dL/dh_t|| <= max_j |lambda_j|^(T-t) ||dL/dh_T|| when the loss reads h_T only
        with np.errstate(over="ignore", under="ignore"):
            bound = np.power(float(top[0, 0].max()), np.arange(T - 1, -1, -1, dtype=np.float64))

    nonfinite = first_nonfinite(p.outs, last=False)
    stage = "forward" if nonfinite is not None else None
    if nonfinite is None:
        nonfinite = first_nonfinite(norms, last=True)
        stage = "backward" if nonfinite is not None else None
    gates = {name: _bt(g.detach()) for name, g in p.run.terms[-1]["gates"].items()}
    return ProbeResult(
        config=cfg, model=model, inputs=x, readout=v, loss=p.loss.numpy(),
        hidden=_bt(p.outs[-1]), cell_state=None,
        grad_h=_bt(norms[-1]), grad_h_layers=np.stack([_bt(n) for n in norms]),
        grad_h_units=_bt(grads_real[-1].abs()), grad_c=None, grad_x=_bt(norm(p.grad_x)),
        grad_w_steps=grad_w_steps.numpy(), gates=gates,
        grad_paths=path_layers[-1], grad_paths_layers=path_layers, grad_highway=None,
        path_vectors=vector_layers if keep_path_vectors else None, bound=bound,
        nonfinite=nonfinite, nonfinite_stage=stage,
        _delta_h0=delta, _h_prev0=other, _jacobian_norm=jacobian_norm)
