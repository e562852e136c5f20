"""The data behind each view as tidy pandas tables, and their CSV / JSON text for download.

Pure: results in, DataFrame or str out. Rows are (run, t, ...) with t = 1..T as on the charts;
values are full resolution (heatmaps on screen may be block-averaged, the downloads never are).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from viz.gradient_norm import batch_stats
from viz.paths import path_shares


def _long(run: str, a: np.ndarray, columns: tuple[str, str], value: str) -> pd.DataFrame:
    """(T, N) -> rows (run, t, n, value) with 1-based t and n."""
    T, N = a.shape
    return pd.DataFrame({"run": run, columns[0]: np.repeat(np.arange(1, T + 1), N),
                         columns[1]: np.tile(np.arange(1, N + 1), T), value: a.reshape(-1)})


def gradient_frame(results: dict) -> pd.DataFrame:
    """View 1: ||dL/dh_t|| batch mean/min/max, ||dL/dc_t|| batch mean, the RNN bound, the direct path alone."""
    frames = []
    for run, r in results.items():
        mean, lo, hi = batch_stats(r.grad_h)
        T = mean.size
        frames.append(pd.DataFrame({
            "run": run, "t": np.arange(1, T + 1), "grad_h_mean": mean, "grad_h_min": lo, "grad_h_max": hi,
            "grad_c_mean": batch_stats(r.grad_c)[0] if r.grad_c is not None else np.nan,
            "bound": r.bound if r.bound is not None else np.nan,
            "direct_path_only_mean": batch_stats(r.grad_highway)[0] if r.grad_highway is not None else np.nan}))
    return pd.concat(frames, ignore_index=True)


def paths_of(results: dict, layer: int = -1) -> dict:
    """run -> {path -> (B, T)} of one layer (default the top), for the runs that have a path split."""
    return {run: r.grad_paths_layers[layer] for run, r in results.items()
            if r.grad_paths_layers and -len(r.grad_paths_layers) <= layer < len(r.grad_paths_layers)
            and r.grad_paths_layers[layer]}


def path_total(r, layer: int = -1):
    """(B, T) the norm the paths of `layer` add up to: ||dL/dc_t|| (LSTM top layer) or ||dL/dh_t||."""
    top = layer in (-1, len(r.grad_paths_layers) - 1)
    if r.config.cell == "lstm":
        return r.grad_c if top else None  # the lower layers' ||dL/dc_t|| is not kept
    return r.grad_h_layers[layer]


def paths_frame(results: dict, layer: int = -1) -> pd.DataFrame:
    """View 2: per run, state t = 1..T-1 and path, the batch mean/min/max of ||the part of dL/dc_t (LSTM) or
    dL/dh_t that step t+1 sends back along that path|| and the batch mean of its share of the paths' norms."""
    frames = []
    for run, paths in paths_of(results, layer).items():
        shares = path_shares(paths)
        for name, a in paths.items():
            mean, lo, hi = batch_stats(np.asarray(a, dtype=np.float64)[:, 1:])
            frames.append(pd.DataFrame({"run": run, "t": np.arange(1, mean.size + 1), "path": name,
                                        "norm_mean": mean, "norm_min": lo, "norm_max": hi, "share_mean": shares[name]}))
    if not frames:
        return pd.DataFrame(columns=["run", "t", "path", "norm_mean", "norm_min", "norm_max", "share_mean"])
    return pd.concat(frames, ignore_index=True)


def direct_path_frame(results: dict) -> pd.DataFrame:
    """Per gated run, the share of the direct path (LSTM B_t = f_t g^c_t, GRU z_t g^h_t) in the paths' norms,
    batch mean: at state t = 1 (what reaches the first step) and averaged over t = 1..T-1."""
    rows = []
    for run, paths in paths_of(results).items():
        direct = next((n for n in ("forget_direct", "copy") if n in paths), None)
        if direct is None:
            continue
        share = path_shares(paths)[direct]
        rows.append({"run": run, "path": direct, "share_t1": share[0] if share.size else np.nan,
                     "share_mean": np.nanmean(share) if np.isfinite(share).any() else np.nan})
    return pd.DataFrame(rows, columns=["run", "path", "share_t1", "share_mean"])


def connectivity_frame(results: dict) -> pd.DataFrame:
    """View 3: ||dL/dx_t|| batch mean/min/max."""
    frames = []
    for run, r in results.items():
        mean, lo, hi = batch_stats(r.grad_x)
        frames.append(pd.DataFrame({"run": run, "t": np.arange(1, mean.size + 1), "grad_x_mean": mean,
                                    "grad_x_min": lo, "grad_x_max": hi}))
    return pd.concat(frames, ignore_index=True)


def units_frame(results: dict) -> pd.DataFrame:
    """View 4: |dL/dh_t| per hidden unit (top layer), batch mean."""
    return pd.concat([_long(run, np.asarray(r.grad_h_units, dtype=np.float64).mean(axis=0), ("t", "unit"),
                            "abs_grad_h") for run, r in results.items()], ignore_index=True)


def layers_frame(results: dict) -> pd.DataFrame:
    """View 4 with layers: ||dL/dh_t|| per layer (1 = bottom), batch mean."""
    return pd.concat([_long(run, np.asarray(r.grad_h_layers, dtype=np.float64).mean(axis=1).T, ("t", "layer"),
                            "grad_h_mean") for run, r in results.items()], ignore_index=True)


def gates_frame(results: dict) -> pd.DataFrame:
    """View 5: every gate's activation per (t, unit), batch mean; vanilla RNNs have no rows."""
    frames = [_long(run, np.asarray(g, dtype=np.float64).mean(axis=0), ("t", "unit"), "value").assign(gate=name)
              for run, r in results.items() for name, g in r.gates.items()]
    if not frames:
        return pd.DataFrame(columns=["run", "t", "unit", "value", "gate"])
    return pd.concat(frames, ignore_index=True)


def contributions_frame(results: dict) -> pd.DataFrame:
    """View 6: ||C_t||_F (step t's share of dL/dW_hh) and ||dh_t/dh_{t-1}||_2."""
    return pd.concat([pd.DataFrame({"run": run, "t": np.arange(1, r.grad_w_steps.size + 1),
                                    "grad_w_step": r.grad_w_steps, "jacobian_norm": r.jacobian_norm})
                      for run, r in results.items()], ignore_index=True)


def to_csv(df: pd.DataFrame) -> str:
    """CSV with inf/-inf written as such and NaN as 'nan'."""
    return df.to_csv(index=False, na_rep="nan")


def to_json(df: pd.DataFrame, results: dict) -> str:
    """{"configs": run -> settings, "columns": [...], "data": rows}; inf/NaN become null (strict JSON)."""
    table = json.loads(df.to_json(orient="split", index=False))
    configs = {run: r.config.to_dict() for run, r in results.items()}
    return json.dumps({"configs": configs, "nonfinite_as": "null", **table})
