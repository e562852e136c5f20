"""Element-wise linear recurrences solved for all timesteps at once (Hillis-Steele scan).

Three places in the probe need one: the LSTM's cell state c_t = f_t c_{t-1} + i_t g_t (forward),
its gradient dL/dc_t = (dL/dh_t) o_t tanh'(c_t) + f_{t+1} dL/dc_{t+1} (backward), and the GRU's
dL/dh_t = b_t + z_{t+1} dL/dh_{t+1} (backward). log2(T) rounds of whole-tensor products replace a
Python loop over T. Every decay here is a sigmoid in [0, 1], so the running products cannot overflow.
"""
from __future__ import annotations

import torch


def _scan(decay: torch.Tensor, drive: torch.Tensor, reverse: bool) -> torch.Tensor:
    """Forward: y_t = decay_t y_{t-1} + drive_t. Reverse: y_t = decay_t y_{t+1} + drive_t. Along dim 0."""
    a, y = decay.clone(), drive.clone()
    T, step = y.shape[0], 1
    while step < T:
        # compose each step with the one `step` away: (a_t, y_t) o (a_s, y_s) = (a_t a_s, a_t y_s + y_t);
        # each right-hand side is built before the in-place write, so it reads the previous round
        if reverse:
            y[:-step] += a[:-step] * y[step:]
            if 2 * step < T:
                a[:-step] = a[:-step] * a[step:]
        else:
            y[step:] += a[step:] * y[:-step]
            if 2 * step < T:
                a[step:] = a[step:] * a[:-step]
        step *= 2
    return y


def linear_scan(decay: torch.Tensor, drive: torch.Tensor) -> torch.Tensor:
    """y_t = decay_t * y_{t-1} + drive_t, y_{-1} = 0, along dim 0. (T, ...) -> (T, ...)."""
    return _scan(decay, drive, reverse=False)


def reverse_linear_scan(decay: torch.Tensor, drive: torch.Tensor) -> torch.Tensor:
    """y_t = drive_t + decay_{t+1} * y_{t+1}, y_T = 0: backpropagation along an element-wise path."""
    return _scan(shift_up(decay), drive, reverse=True)


def shift_up(x: torch.Tensor) -> torch.Tensor:
    """out_t = x_{t+1}, out_{T-1} = 0: what step t+1 sends back to step t."""
    return torch.cat([x[1:], torch.zeros_like(x[:1])])


def shift_down(x: torch.Tensor, first: torch.Tensor | None = None) -> torch.Tensor:
    """out_t = x_{t-1}, out_0 = first (zeros by default): the previous state."""
    first = torch.zeros_like(x[:1]) if first is None else first.unsqueeze(0)
    return torch.cat([first, x[:-1]])
