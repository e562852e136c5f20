"""The Linear Recurrent Unit (Orvieto et al. 2023), a `models.diagonal.DiagonalRNN` with a complex diagonal recurrence."""
from __future__ import annotations

import math

import torch

from .activations import ACTIVATION_FNS
from .diagonal import DiagonalRNN

LRU_RING_WIDTH = 0.1  # |lambda| on the ring [r_max - 0.1, r_max] (Orvieto et al.'s long-range setting: [0.9, 0.999])
LRU_R_MAX = 0.999  # weight_scale above this gives this: |lambda| < 1 by construction
LRU_MAX_PHASE = 2 * math.pi  # theta ~ U(0, max_phase), the paper's default


class LRU(DiagonalRNN):
    """Linear Recurrent Unit (Orvieto et al. 2023, "Resurrecting Recurrent Neural Networks for Long Sequences"):

        h_t = lambda ⊙ h_{t-1} + gamma ⊙ (B u_t),  lambda_j = exp(-exp(nu_j) + i exp(theta_j)),
        gamma_j = exp(gamma_log_j) (initialised to (1 - |lambda_j|^2)^(1/2)),  y_t = Re(C h_t) + D u_t,

    h_t complex with N = H/2 units. The module's h_t (out[t], and h_n, hx) is the real view [Re h_t ; Im h_t]
    (B, H): its gradient norm is the complex gradient's, and hidden_size H must be even. A task head reading
    out[t] linearly computes Re(C h_t) itself, so the top layer has no C, D; below it, layer k + 1 reads
    u^(k+1)_t = phi(Re(C h^(k)_t) + D u^(k)_t), phi the `activation` (the paper puts an MLP/GLU between layers).
    Initialisation (their Sec. 3 and appendix code): |lambda|^2 ~ U[r_min^2, r_max^2], theta ~ U[0, 2 pi],
    B_re, B_im ~ N(0, 1/(2 I_k)), C_re, C_im ~ N(0, 1/N), D ~ N(0, 1/I_k) (a matrix here: u is I_k wide, not H).
    The ring is [r_max - 0.1, r_max], r_max = min(weight_scale, 0.999): |lambda| < 1 by construction, so the
    gradient through the recurrence can never grow. `init` is not used; `activation` only between layers.
    Parameters per layer: nu_log, theta_log, gamma_log (N,), B_re, B_im (N, I_k); below the top C_re, C_im (H, N),
    D (H, I_k).
    """

    cell, complex_state = "lru", True

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", device=None, dtype=None):
        if hidden_size % 2:
            raise ValueError(f"hidden_size={hidden_size}: the LRU's h_t = [Re ; Im] of H/2 complex units, H must be even")
        super().__init__(input_size, hidden_size, num_layers, nonlinearity, device, dtype)

    def _layer(self, k, fan_in, factory):
        N, H = self.hidden_size // 2, self.hidden_size
        for name in ("nu_log", "theta_log", "gamma_log"):
            self._param(f"{name}_l{k}", N, factory=factory)
        self._param(f"B_re_l{k}", N, fan_in, factory=factory)
        self._param(f"B_im_l{k}", N, fan_in, factory=factory)
        if k + 1 < self.num_layers:
            self._param(f"C_re_l{k}", H, N, factory=factory)
            self._param(f"C_im_l{k}", H, N, factory=factory)
            self._param(f"D_l{k}", H, fan_in, factory=factory)

    def eigenvalues(self, k: int, w: dict | None = None) -> torch.Tensor:
        """lambda of layer k, (N,) complex."""
        w = w if w is not None else dict(self.named_parameters())
        return torch.polar(torch.exp(-torch.exp(w[f"nu_log_l{k}"])), torch.exp(w[f"theta_log_l{k}"]))  # |lambda| e^{i theta}

    def terms(self, k, u, w):
        T, B, _ = u.shape
        flat = u.flatten(0, 1)
        bu = torch.complex(flat @ w[f"B_re_l{k}"].T, flat @ w[f"B_im_l{k}"].T)  # (T B, N)
        b = (torch.exp(w[f"gamma_log_l{k}"]) * bu).view(T, B, -1)
        return {"a": self.eigenvalues(k, w).expand(T, B, -1), "b": b, "gates": {}, "rec": None}

    def weight_factors(self, k, terms, grad_rec, u, g, h_prev):
        """(nu_log, theta_log), which set lambda and nothing else: dL/dlambda per step and sample is g_t conj(h_{t-1})
        (PyTorch's complex convention), and dL/dp = Re(conj(dlambda/dp) dL/dlambda) with dlambda/dnu_log =
        -exp(nu_log) lambda, dlambda/dtheta_log = i exp(theta_log) lambda.  -> delta (T, B, 2N) real, None."""
        lam = self.eigenvalues(k).detach()
        per_step = g * h_prev.conj()  # (T, B, N) dL/dlambda
        d_nu = -torch.exp(getattr(self, f"nu_log_l{k}").detach()) * lam
        d_theta = 1j * torch.exp(getattr(self, f"theta_log_l{k}").detach()) * lam
        return torch.cat([(d_nu.conj() * per_step).real, (d_theta.conj() * per_step).real], dim=-1), None

    def to_real(self, h):
        return torch.cat([h.real, h.imag], dim=-1)

    def from_real(self, h):
        re, im = h.chunk(2, dim=-1)
        return torch.complex(re.contiguous(), im.contiguous())

    def next_input(self, k, out, u, w):
        c = torch.cat([w[f"C_re_l{k}"], -w[f"C_im_l{k}"]], dim=1)  # Re(C h) = C_re Re h - C_im Im h
        y = torch.addmm(u.flatten(0, 1) @ w[f"D_l{k}"].T, out.flatten(0, 1), c.T).view(*out.shape[:2], -1)
        return ACTIVATION_FNS[self.nonlinearity](y)

    def init_from(self, cfg, gen):
        N = self.hidden_size // 2
        r_max = min(cfg.weight_scale, LRU_R_MAX)
        r_min = max(r_max - LRU_RING_WIDTH, 0.0)
        with torch.no_grad():
            for k in range(self.num_layers):
                fan_in = getattr(self, f"B_re_l{k}").shape[1]
                u1, u2 = torch.rand(2, N, generator=gen, dtype=torch.float64)
                modulus_sq = (u1 * (r_max**2 - r_min**2) + r_min**2).clamp_min(1e-12)  # |lambda|^2 ~ U[r_min^2, r_max^2]
                getattr(self, f"nu_log_l{k}").copy_(torch.log(-0.5 * torch.log(modulus_sq)))
                getattr(self, f"theta_log_l{k}").copy_(torch.log((LRU_MAX_PHASE * u2).clamp_min(1e-12)))
                getattr(self, f"gamma_log_l{k}").copy_(0.5 * torch.log1p(-modulus_sq))
                for part in ("re", "im"):
                    getattr(self, f"B_{part}_l{k}").copy_(torch.randn(N, fan_in, generator=gen, dtype=torch.float64)
                                                          / math.sqrt(2 * fan_in))
                if k + 1 < self.num_layers:
                    for part in ("re", "im"):
                        getattr(self, f"C_{part}_l{k}").copy_(torch.randn(self.hidden_size, N, generator=gen,
                                                                          dtype=torch.float64) / math.sqrt(N))
                    getattr(self, f"D_l{k}").copy_(torch.randn(self.hidden_size, fan_in, generator=gen,
                                                               dtype=torch.float64) / math.sqrt(fan_in))
        return self
