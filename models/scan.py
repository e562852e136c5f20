"""Element-wise linear recurrences solved for all timesteps at once (a chunked scan).

Three places in the probe need one: the LSTM's cell state c_t = f_t c_{t-1} + i_t g_t (forward),
its gradient dL/dc_t = (dL/dh_t) o_t tanh'(c_t) + f_{t+1} dL/dc_{t+1} (backward), and the GRU's
dL/dh_t = b_t + z_{t+1} dL/dh_{t+1} (backward); `models.paths.highway` is a fourth, in float64.
Every decay there is a sigmoid in [0, 1], so the running products cannot overflow. `diagonal_recurrence`
is the same scan as a differentiable op (complex too): the forward of the newer cells (minGRU, minLSTM,
LRU), whose decays are in [0, 1] (gates) or inside the unit disc (the LRU's lambda).

The T steps are cut into n chunks of c ~ sqrt(T / 2) steps. One Python loop over the c positions
runs all n chunks' recurrences side by side (each chunk starting from 0, with its running decay
product), a loop over the n chunks carries each chunk's last value into the next, and one
whole-tensor product adds that carry to every step: about 2c + n small ops and five passes over the
data, where a Hillis-Steele scan takes 4 log2(T) whole-tensor passes.
"""
from __future__ import annotations

import math

import torch


def _scan(decay: torch.Tensor, drive: torch.Tensor, reverse: bool) -> torch.Tensor:
    """Forward: y_t = decay_t y_{t-1} + drive_t. Reverse: y_t = decay_{t+1} y_{t+1} + drive_t. Along dim 0,
    in drive's dtype (decay is converted as it is copied)."""
    T, rest = drive.shape[0], drive.shape[1:]
    c = max(1, math.isqrt(T // 2))  # chunk length
    n = -(-T // c)  # chunks
    # padded to n * c steps: the padding (drive 0, decay 1) follows the last step, where neither direction reads it
    y = drive.new_empty((n * c, *rest))  # (n c, ...)
    prod = drive.new_empty((n * c, *rest))  # running decay product within each chunk
    y[:T] = drive
    y[T:] = 0
    if reverse:  # step t reads decay_{t+1}
        prod[:T - 1] = decay[1:]
        prod[T - 1:] = 1
    else:
        prod[:T] = decay
        prod[T:] = 1
    y, prod = y.view(n, c, *rest), prod.view(n, c, *rest)  # (n, c, ...)
    ys, prods = y.unbind(1), prod.unbind(1)  # c views (n, ...): position j of every chunk
    if reverse:
        for j in range(c - 2, -1, -1):  # every chunk from its own end, y = 0 beyond it
            ys[j].addcmul_(prods[j], ys[j + 1])
            prods[j].mul_(prods[j + 1])
        firsts, first_prods = ys[0].unbind(0), prods[0].unbind(0)  # n views (...): each chunk's first step
        for k in range(n - 2, -1, -1):  # chunk k's first step, now exact, from chunk k + 1's
            firsts[k].addcmul_(first_prods[k], firsts[k + 1])
        y[:-1, 1:].addcmul_(prod[:-1, 1:], y[1:, :1])  # the rest of chunk k: + (decay product) y of chunk k + 1's start
    else:
        for j in range(1, c):
            ys[j].addcmul_(prods[j], ys[j - 1])
            prods[j].mul_(prods[j - 1])
        lasts, last_prods = ys[-1].unbind(0), prods[-1].unbind(0)
        for k in range(1, n):
            lasts[k].addcmul_(last_prods[k], lasts[k - 1])
        y[1:, :-1].addcmul_(prod[1:, :-1], y[:-1, -1:])
    return y.view(n * c, *rest)[:T]


def linear_scan(decay: torch.Tensor, drive: torch.Tensor) -> torch.Tensor:
    """y_t = decay_t * y_{t-1} + drive_t, y_{-1} = 0, along dim 0. (T, ...) -> (T, ...)."""
    return _scan(decay, drive, reverse=False)


def reverse_linear_scan(decay: torch.Tensor, drive: torch.Tensor) -> torch.Tensor:
    """y_t = drive_t + decay_{t+1} * y_{t+1}, y_T = 0: backpropagation along an element-wise path."""
    return _scan(decay, drive, reverse=True)


def shift_down(x: torch.Tensor, first: torch.Tensor | None = None) -> torch.Tensor:
    """out_t = x_{t-1}, out_0 = first (zeros by default): the previous state."""
    first = torch.zeros_like(x[:1]) if first is None else first.unsqueeze(0)
    return torch.cat([first, x[:-1]])


class _DiagonalRecurrence(torch.autograd.Function):
    """h_t = a_t * h_{t-1} + b_t, h_{-1} = h0, with its exact backward as one reverse scan.

    With g_t = dL/dh_t (total: g_t = dL/dh_t|outside + conj(a_{t+1}) g_{t+1}, PyTorch's convention for
    complex tensors): dL/db_t = g_t, dL/da_t = g_t * conj(h_{t-1}), dL/dh0 = conj(a_0) g_0.
    """

    @staticmethod
    def forward(ctx, a, b, h0):
        drive = b if h0 is None else torch.cat([(b[0] + a[0] * h0).unsqueeze(0), b[1:]])  # h0 enters through a_0
        h = linear_scan(a, drive)
        ctx.save_for_backward(a, h, h0)
        return h

    @staticmethod
    def backward(ctx, grad_h):
        a, h, h0 = ctx.saved_tensors
        g = reverse_linear_scan(a.conj(), grad_h)  # (T, ...) dL/dh_t, total
        grad_a = g * shift_down(h, h0).conj() if ctx.needs_input_grad[0] else None
        grad_h0 = a[0].conj() * g[0] if h0 is not None and ctx.needs_input_grad[2] else None
        return grad_a, g, grad_h0


def diagonal_recurrence(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
    """h_t = a_t * h_{t-1} + b_t along dim 0 (element-wise, real or complex), h_{-1} = h0 (zeros if None),
    differentiable in a, b and h0 by one reverse scan. a broadcasts to b's shape (T, B, N); h0 (B, N).
    -> h (T, B, N)."""
    return _DiagonalRecurrence.apply(a.expand_as(b), b, h0)
