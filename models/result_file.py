"""A shareable `ProbeResult` as one .npz file and back: plain arrays and a JSON header, never a pickle.

    write(r, file)            # r as `ui.cache.freeze` leaves it: no model, inputs or dL/dW_hh factors
    r = read(file, cfg)       # None unless the file holds a result of exactly cfg, in this format

What is written: every public array of the result (readout as numpy), the gates and path norms by name, and either
the Jacobian norms (if known) or what computes them on first access (`_jacobian_inputs`: the top layer's W_hh and
its element-wise forward tensors, a nested dict, stored flat as `jacobian/fwd/<path>`; its gates and cell state
are the result's own `gates` and `cell_state`, time-major, so they are stored once and read back as views of
them: an LSTM's file is 30% smaller). A JSON header holds the config, the format, `nonfinite`/`nonfinite_stage`,
the order of every name and the shape of the forward dict.
`np.load(allow_pickle=False)` reads it: a file that is not what it claims raises, it never runs code.
Read arrays are read-only, as in a frozen shared result. Layer rule: numpy and torch only.

Reads take a process-wide lock: numpy parses each member's header with `ast.literal_eval`, and CPython 3.11.7's
conversion of a parse tree to Python objects is not safe across threads (gh-106905, fixed in later releases):
a page read a "SystemError: AST constructor recursion depth mismatch" once in about 17,000 script runs, two
server threads reading cached results at once. `read_norm` / `write_norm` do the same for a Jacobian-norm file.
"""
from __future__ import annotations

import json
import threading

import numpy as np
import torch

from .config import ProbeConfig
from .result import ProbeResult

FORMAT = 1
READ_LOCK = threading.Lock()  # one numpy header parse at a time in this process (see the docstring)
FROM_RESULT = ("gates", "cell_state")  # forward-dict entries that are the result's own arrays, (T, B, ...) views
ARRAYS = ("loss", "hidden", "cell_state", "grad_h", "grad_h_layers", "grad_h_units", "grad_c", "grad_x",
          "grad_w_steps", "bound", "grad_highway")  # (name of a field holding an ndarray or None)


def _flatten(tree: dict, prefix: str, out: dict) -> dict:
    """{name: tensor | None | dict} -> its shape as JSON ({name: true | null | {...}}); tensors into `out`."""
    shape = {}
    for name, value in tree.items():
        if isinstance(value, dict):
            shape[name] = _flatten(value, f"{prefix}/{name}", out)
        elif value is None:
            shape[name] = None
        else:
            out[f"{prefix}/{name}"] = value.detach().numpy() if torch.is_tensor(value) else np.asarray(value)
            shape[name] = True
    return shape


def _unflatten(shape: dict, prefix: str, data) -> dict:
    return {name: (_unflatten(kind, f"{prefix}/{name}", data) if isinstance(kind, dict) else
                   None if kind is None else torch.from_numpy(data[f"{prefix}/{name}"]))
            for name, kind in shape.items()}


def write(r: ProbeResult, file) -> None:
    """r's arrays into `file` (a path or a binary file object), uncompressed .npz."""
    arrays = {name: getattr(r, name) for name in ARRAYS if getattr(r, name) is not None}
    arrays["readout"] = r.readout.detach().numpy() if torch.is_tensor(r.readout) else np.asarray(r.readout)
    arrays.update({f"gates/{k}": v for k, v in r.gates.items()})
    arrays.update({f"paths/{k}": v for k, v in r.grad_paths.items()})
    for layer, paths in enumerate(r.grad_paths_layers):
        arrays.update({f"paths_layers/{layer}/{k}": v for k, v in paths.items()})
    header = {"format": FORMAT, "config": r.config.to_dict(), "nonfinite": r.nonfinite,
              "nonfinite_stage": r.nonfinite_stage, "gates": list(r.gates), "paths": list(r.grad_paths),
              "paths_layers": [list(p) for p in r.grad_paths_layers], "fwd": None}
    if r._jacobian_norm is not None:
        arrays["jacobian_norm"] = r._jacobian_norm
    elif r._jacobian_inputs is not None:
        w_hh, fwd = r._jacobian_inputs
        arrays["jacobian/w_hh"] = w_hh.detach().numpy()
        header["fwd"] = _flatten({k: v for k, v in fwd.items() if k not in FROM_RESULT}, "jacobian/fwd", arrays)
    arrays["header"] = np.array(json.dumps(header, sort_keys=True))
    np.savez(file, **arrays)


def read(file, cfg: ProbeConfig) -> ProbeResult | None:
    """The result in `file` if it was written by `write` for exactly `cfg` in this FORMAT, else None.
    A damaged file raises (OSError, ValueError, KeyError, zipfile.BadZipFile): the caller treats it as absent."""
    with READ_LOCK, np.load(file, allow_pickle=False) as data:
        header = json.loads(str(data["header"]))
        if header.get("format") != FORMAT or header.get("config") != cfg.to_dict():
            return None

        def get(name):
            return data[name] if name in data.files else None

        fields = {name: get(name) for name in ARRAYS}
        fields.update(readout=data["readout"], gates={k: data[f"gates/{k}"] for k in header["gates"]},
                      grad_paths={k: data[f"paths/{k}"] for k in header["paths"]},
                      grad_paths_layers=[{k: data[f"paths_layers/{i}/{k}"] for k in names}
                                         for i, names in enumerate(header["paths_layers"])])
        jacobian_norm, jacobian_inputs = get("jacobian_norm"), None
        if jacobian_norm is None and header["fwd"] is not None:
            fwd = _unflatten(header["fwd"], "jacobian/fwd", data)
            fwd["gates"] = {k: torch.from_numpy(g).transpose(0, 1) for k, g in fields["gates"].items()}
            cell = fields["cell_state"]
            fwd["cell_state"] = None if cell is None else torch.from_numpy(cell).transpose(0, 1)
            jacobian_inputs = (torch.from_numpy(data["jacobian/w_hh"]), fwd)
    for a in [v for v in fields.values() if isinstance(v, np.ndarray)] + list(fields["gates"].values()) + [
            a for p in [fields["grad_paths"], *fields["grad_paths_layers"]] for a in p.values()] + [jacobian_norm]:
        if a is not None:
            a.flags.writeable = False
    return ProbeResult(config=cfg, model=None, inputs=None, nonfinite=header["nonfinite"],
                       nonfinite_stage=header["nonfinite_stage"], _jacobian_inputs=jacobian_inputs,
                       _jacobian_norm=jacobian_norm, **fields)


def write_norm(norm: np.ndarray, file) -> None:
    """A (T,) array of Jacobian norms as .npy."""
    np.save(file, norm, allow_pickle=False)


def read_norm(file) -> np.ndarray:
    with READ_LOCK:
        return np.load(file, allow_pickle=False)


def with_jacobian_norm(r: ProbeResult, jacobian_norm: np.ndarray) -> None:
    """Set r's Jacobian-norm memo from elsewhere (another process computed it), read-only, dropping its inputs."""
    norm = np.array(jacobian_norm, dtype=np.float64)
    if norm.shape != (r.seq_len,):
        raise ValueError(f"jacobian_norm must have shape ({r.seq_len},), got {norm.shape}")
    norm.flags.writeable = False
    r._jacobian_norm, r._jacobian_inputs = norm, None

