"""`ProbeResult`: what `probe()` returns. Plain arrays, no computation beyond serialisation.

Shapes use B = batch, T = seq_len, H = hidden_size, L = num_layers, G = gate blocks (1, 4, 3).
For the LRU every (B, T, H) array is the real view [Re h_t ; Im h_t] of its complex state (models.diagonal).
Analysis arrays are numpy: norms in float64 (a norm of finite float32 values must not overflow),
per-unit arrays in the probe's dtype; `model`, `inputs` and
`readout` are the torch objects the numbers were computed from, so they can be re-run.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from .config import ProbeConfig
from .denormals import flush_denormals
from .jacobian import jacobian_spectral_norm
from .recurrence import cell_math

JACOBIAN_CHUNK_ROWS = 2048  # (t, b) pairs per Lanczos batch: big enough to batch well, ~0.1-0.5 s each


def _jsonable(a):
    """Arrays -> nested lists with non-finite values as None (strict JSON has no inf/NaN)."""
    if a is None:
        return None
    arr = np.asarray(a, dtype=np.float64)
    obj = arr.astype(object)
    obj[~np.isfinite(arr)] = None
    return obj.tolist()


@dataclass
class ProbeResult:
    config: ProbeConfig  # the settings actually probed (sizes taken from a user model if given)
    model: torch.nn.Module  # the module probed
    inputs: torch.Tensor  # (T, B, I) time-major
    readout: torch.Tensor  # v, (H,) unit norm (or (B, H) if the caller gave one per sample): L_b = v . h_T^(b)
    loss: np.ndarray  # (B,) L_b
    hidden: np.ndarray  # (B, T, H) h_t of the top layer
    cell_state: np.ndarray | None  # (B, T, H) c_t of the top layer (LSTM), else None
    grad_h: np.ndarray  # (B, T) ||dL_b/dh_t||, total derivative, top layer
    grad_h_layers: np.ndarray  # (L, B, T) the same for every layer (index 0 = bottom)
    grad_h_units: np.ndarray  # (B, T, H) |dL_b/dh_t| per hidden unit, top layer
    grad_c: np.ndarray | None  # (B, T) ||dL_b/dc_t|| (LSTM, top layer), else None
    grad_x: np.ndarray  # (B, T) ||dL_b/dx_t||
    # (T,) ||step t's contribution to dL/d(layer 0's recurrent weights)||: W_hh; IndRNN u; LRU (nu_log, theta_log);
    # minGRU W_z, minLSTM W_f and W_i (the rows that set a_t): RECURRENT_WEIGHTS in models.config
    grad_w_steps: np.ndarray
    gates: dict[str, np.ndarray]  # name -> (B, T, H), top layer; {} for the vanilla RNN, IndRNN and the LRU
    # (T,) vanilla RNN and IndRNN: (gamma ||W_hh||_2)^(T-t) (IndRNN: gamma max|u|), LRU max|lambda|^(T-t), top layer; else None
    bound: np.ndarray | None
    # models/paths.py: name -> (B, T) ||step t's contribution to dL_b/dc_{t-1} (LSTM) or dL_b/dh_{t-1}||, top layer
    grad_paths: dict[str, np.ndarray] = field(default_factory=dict)
    grad_paths_layers: list[dict[str, np.ndarray]] = field(default_factory=list)  # the same per layer, bottom first
    # (B, T) ||prod f * dL/dc_T|| (LSTM), ||prod z * dL/dh_T|| (GRU); None for the RNN and for the diagonal cells,
    # whose one path is the whole recurrence (grad_h itself)
    grad_highway: np.ndarray | None = None
    path_vectors: list[dict[str, np.ndarray]] | None = None  # per layer name -> (B, T, H), if probe(keep_path_vectors=True)
    nonfinite: int | None = None  # first timestep (0-based) where a value overflowed, else None
    nonfinite_stage: str | None = None  # "forward" (h_t overflowed) or "backward" (a gradient did)
    # Layer 0's per-step factors of dL/dW_hh = sum_t delta_t^T h_{t-1}; see w_hh_contributions().
    _delta_h0: torch.Tensor | None = field(default=None, repr=False)  # (T, B, G*H)
    _h_prev0: torch.Tensor | None = field(default=None, repr=False)  # (T, B, H); None: C_t = sum_b delta_t^(b)
    # Top layer's W_hh and element-wise forward quantities (models.recurrence), for jacobian_norm
    _jacobian_inputs: tuple | None = field(default=None, repr=False)
    _jacobian_norm: np.ndarray | None = field(default=None, repr=False)

    @property
    def jacobian_norm(self) -> np.ndarray:
        """(T,) batch mean of ||dh_t/dh_{t-1}||_2, top layer, c_{t-1} held fixed (LSTM).

        Computed on first access (batched Lanczos, models/jacobian.py): it costs more than the
        whole probe, and callers such as training snapshots never need it.
        """
        if self._jacobian_norm is None:
            for _ in self.jacobian_norm_progress():
                pass
        return self._jacobian_norm

    def jacobian_norm_progress(self, chunk_rows: int = JACOBIAN_CHUNK_ROWS) -> Iterator[float]:
        """Compute `jacobian_norm` a block of timesteps at a time (about `chunk_rows` (t, b) pairs),
        yielding the fraction of timesteps done after each block; the memo is set with the last one.

        Abandoning the iterator cancels the work and memoises nothing: an interactive caller can
        show progress and stop between blocks. Yields nothing if the norms are already known.
        """
        inputs = self._jacobian_inputs  # read before the memo: a finishing thread sets the memo, then drops these
        if inputs is None or self._jacobian_norm is not None:
            return
        w_hh, fwd = inputs
        d0, d = cell_math(self.config.cell, self.config.activation).jacobian_factors(fwd)
        T, B, G, H = d.shape
        steps = max(1, chunk_rows // B)
        jacobian_norm = np.empty(T)
        for start in range(0, T, steps):
            block = slice(start, min(T, start + steps))
            n = (block.stop - start) * B
            with flush_denormals():
                norms = jacobian_spectral_norm(w_hh, d[block].reshape(n, G, H),
                                               None if d0 is None else d0[block].reshape(n, H),
                                               seed=self.config.seed + start)
            jacobian_norm[block] = norms.double().view(-1, B).mean(1).numpy()
            if block.stop < T:
                yield block.stop / T
        jacobian_norm.flags.writeable = False  # a memo: results may be shared (ui/cache.py)
        self._jacobian_norm = jacobian_norm
        self._jacobian_inputs = None  # no longer needed: up to a third of a cached LSTM result
        yield 1.0

    @property
    def seq_len(self) -> int:
        return self.grad_h.shape[1]

    def w_hh_contributions(self) -> torch.Tensor:
        """(T, G*H, H): C_t = sum_b delta_t^(b) h_{t-1}^(b)T, so sum_t C_t = dL/dW_hh_l0 (L = sum_b L_b).
        The newer cells' recurrent weights (see grad_w_steps): minGRU (T, H, I) for W_z, minLSTM (T, 2H, I) for
        [W_f; W_i] (their rows of weight_ih_l0), IndRNN (T, H) for u_l0, LRU (T, H) for [nu_log_l0, theta_log_l0].

        Materialises T*G*H*H values: meant for checks on small sizes.
        """
        if self._h_prev0 is None:
            return self._delta_h0.sum(1)
        return torch.einsum("tbg,tbh->tgh", self._delta_h0, self._h_prev0)

    def to_dict(self) -> dict:
        """JSON-able summary: config, every (T,)-indexed array, batch-level arrays; no per-unit arrays."""
        return {
            "config": self.config.to_dict(),
            "readout": _jsonable(np.asarray(self.readout.detach().cpu() if torch.is_tensor(self.readout) else self.readout)),
            "loss": _jsonable(self.loss),
            "grad_h": _jsonable(self.grad_h),
            "grad_h_layers": _jsonable(self.grad_h_layers),
            "grad_c": _jsonable(self.grad_c),
            "grad_x": _jsonable(self.grad_x),
            "grad_w_steps": _jsonable(self.grad_w_steps),
            "gate_means": {name: _jsonable(g.mean(axis=(0, 2))) for name, g in self.gates.items()},
            "jacobian_norm": _jsonable(self.jacobian_norm),
            "bound": _jsonable(self.bound),
            "grad_paths": {name: _jsonable(a) for name, a in self.grad_paths.items()},
            "grad_highway": _jsonable(self.grad_highway),
            "nonfinite": self.nonfinite,
            "nonfinite_stage": self.nonfinite_stage,
        }
