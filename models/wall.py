"""Pascanu, Mikolov & Bengio (2013), "the geometrical interpretation" (section 2.3 of the ICML paper): the
error surface of a one-unit RNN has a steep wall, and gradient-norm clipping keeps a step that hits it short.

The model, as the paper sets it: no input, one unit, x_t = w σ(x_{t−1}) + b from x_0 = 0.5, σ the logistic
sigmoid, trained so that the unit's output after 50 steps is 0.7: E_50(w, b) = (σ(x_50) − 0.7)². (The paper
squares σ(x_50) − 0.7, not x_50 − 0.7.) Where the map x -> w σ(x) + b gains a second fixed point (w above
4), x_50 switches between them across a thin band of (w, b): E_50 falls there by up to 0.4 and its gradient
reaches 1e1 to 1e4, a wall beside the valley E_50 = 0.

The paper gives the model, not the frame of its figure nor the descent that hits the wall. Chosen here (and
said so in the lesson): the (w, b) window `W_RANGE` x `B_RANGE`, plain gradient descent with learning rate
`LR` for `STEPS_SHOWN` steps from `START`. From there the unclipped run walks into the valley, lands on the
wall at step 18 (||∇E|| = 10.4) and that one step throws it to (8.97, 7.13), a plateau where ||∇E|| ~ 1e-7:
the error stays at 0.09 for good. Clipped at τ = 1 the same step moves 1 and the run ends near E = 1e-4.

`surface(n_w, n_b)` is E_50 and ∇E_50 (autograd) on the whole grid at once; `descend(thresholds)` runs one
descent per threshold (inf = unclipped), all in one batch. Float64 throughout; torch only.
"""
from __future__ import annotations

import math

import torch

X0, STEPS, TARGET = 0.5, 50, 0.7  # the paper's setting
START, LR, STEPS_SHOWN = (4.5, -3.0), 1.0, 60  # chosen: a descent that reaches the wall (module docstring)
W_RANGE, B_RANGE = (1.0, 10.0), (-6.0, 8.0)  # the figure's window: the start, the wall, where the step lands


def final_state(w: torch.Tensor, b: torch.Tensor, steps: int = STEPS, x0: float = X0) -> torch.Tensor:
    """x_steps of x_t = w σ(x_{t−1}) + b, x_0 = x0, elementwise over any shape of w and b."""
    x = torch.full_like(w, x0)
    for _ in range(steps):
        x = w * torch.sigmoid(x) + b
    return x


def wall_error(w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """E_50 = (σ(x_50) − 0.7)², elementwise."""
    return (torch.sigmoid(final_state(w, b)) - TARGET) ** 2


def error_and_gradient(w: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """E_50 at every (w, b) and its gradient (..., 2) = (∂E/∂w, ∂E/∂b), by autograd.

    Every point is its own network, so the gradient of the sum is each point's own gradient."""
    w = w.detach().to(torch.float64).requires_grad_(True)
    b = b.detach().to(torch.float64).requires_grad_(True)
    error = wall_error(w, b)
    grad_w, grad_b = torch.autograd.grad(error.sum(), (w, b))
    return error.detach(), torch.stack((grad_w, grad_b), dim=-1)


def surface(n_w: int = 181, n_b: int = 141) -> dict:
    """E_50 and ||∇E_50|| over the window: w (n_w,), b (n_b,), error and grad_norm (n_b, n_w) as numpy arrays."""
    w = torch.linspace(*W_RANGE, n_w, dtype=torch.float64)
    b = torch.linspace(*B_RANGE, n_b, dtype=torch.float64)
    grid_w, grid_b = torch.meshgrid(w, b, indexing="xy")  # (n_b, n_w): rows are b, columns w
    error, grad = error_and_gradient(grid_w, grid_b)
    return {"w": w.numpy(), "b": b.numpy(), "error": error.numpy(), "grad_norm": grad.norm(dim=-1).numpy()}


def descend(thresholds, start=START, lr: float = LR, steps: int = STEPS_SHOWN) -> dict:
    """Gradient descent on E_50 from `start`, one run per clipping threshold τ (math.inf: no clipping).

    Step k: g = ∇E_50(p_k); if ||g|| > τ then g <- τ g / ||g|| (Pascanu et al. 2013, algorithm 1); p_{k+1} = p_k − lr g.
    Returns numpy arrays: path (K, steps+1, 2) of (w, b), error (K, steps+1), grad_norm (K, steps+1) of the
    raw gradient at each point, clipped (K, steps) whether step k was shortened.
    """
    tau = torch.as_tensor([float(t) for t in thresholds], dtype=torch.float64)  # (K,)
    if tau.numel() == 0 or bool((tau <= 0).any()) or bool(torch.isnan(tau).any()):
        raise ValueError("clipping thresholds must be positive numbers (math.inf for no clipping)")
    p = torch.tensor(start, dtype=torch.float64).repeat(tau.numel(), 1)  # (K, 2)
    path, errors, norms, clipped = [p], [], [], []
    for _ in range(steps):
        error, grad = error_and_gradient(p[:, 0], p[:, 1])  # (K,), (K, 2)
        norm = grad.norm(dim=1)
        scale = torch.where(norm > tau, tau / norm, torch.ones_like(norm))
        p = p - lr * scale[:, None] * grad
        path.append(p)
        errors.append(error)
        norms.append(norm)
        clipped.append(norm > tau)
    error, grad = error_and_gradient(p[:, 0], p[:, 1])
    errors.append(error)
    norms.append(grad.norm(dim=1))
    return {"path": torch.stack(path, 1).numpy(), "error": torch.stack(errors, 1).numpy(),
            "grad_norm": torch.stack(norms, 1).numpy(), "clipped": torch.stack(clipped, 1).numpy(),
            "thresholds": tau.numpy()}


def longest_step(path) -> dict:
    """The step that moved (w, b) farthest along a path (S+1, 2): its index k, where it started and landed."""
    path = torch.as_tensor(path, dtype=torch.float64)
    lengths = (path[1:] - path[:-1]).norm(dim=1)  # (S,)
    k = int(lengths.argmax())
    return {"step": k, "length": float(lengths[k]), "from": path[k].tolist(), "to": path[k + 1].tolist()}


def clipping_runs(threshold: float) -> dict:
    """The lesson's pair: the unclipped run and the run clipped at `threshold`, with their longest steps."""
    if not (isinstance(threshold, (int, float)) and math.isfinite(threshold) and threshold > 0):
        raise ValueError(f"clipping threshold must be a positive finite number, not {threshold!r}")
    runs = descend([math.inf, threshold])
    names = ("unclipped", "clipped")
    return {name: {"path": runs["path"][i], "error": runs["error"][i], "grad_norm": runs["grad_norm"][i],
                   "clipped": runs["clipped"][i], "jump": longest_step(runs["path"][i])}
            for i, name in enumerate(names)}
