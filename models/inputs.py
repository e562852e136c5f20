"""Your own inputs for a probe: a tensor file, or token ids looked up in the checkpoint's embedding.

    read_tensor(data, filename, input_size, batch_first) -> x (T, B, I) float
    read_token_ids(data, vocab_size) -> ids (T, B) int64;  embed(ids, weight (V, I)) -> x (T, B, I)

Same safety as `models.checkpoint`: a size cap before anything is parsed, `.npy` read with
allow_pickle=False, `.pt` with torch.load(weights_only=True) after the zip's declared sizes are checked,
`.safetensors` by its own reader. Every refusal is a ValueError naming the expected and the found shape,
dtype or value, and what to do.
"""
from __future__ import annotations

import io
import pickle

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors

from .checkpoint import MAX_UPLOAD_BYTES, _check_unpacked_size, _first_line
from .config import LIMITS

MAX_CSV_BYTES = 2_000_000  # a token CSV: 512 rows of 1,000 ids is about 2 MB
MAX_T, MAX_B = LIMITS["seq_len"][1], LIMITS["batch_size"][1]


def _single_tensor(obj, what: str) -> torch.Tensor:
    """The one tensor of a file: a bare tensor, or a dict holding exactly one."""
    if isinstance(obj, dict):
        tensors = [v for v in obj.values() if isinstance(v, torch.Tensor)]
        if len(tensors) != 1 or len(obj) != 1:
            raise ValueError(f"the {what} holds {len(obj)} entries ({', '.join(map(str, list(obj)[:4]))}); "
                             "expected exactly one tensor: save it with torch.save(x, path)")
        return tensors[0]
    if not isinstance(obj, torch.Tensor):
        raise ValueError(f"the {what} holds a {type(obj).__name__}, not a tensor: save it with torch.save(x, path)")
    return obj


def _load(data: bytes, filename: str) -> torch.Tensor:
    name = filename.lower()
    if name.endswith(".npy"):
        try:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:  # object arrays need pickle: refused
            raise ValueError(f"not a plain numeric .npy array ({_first_line(exc)}); save it with np.save(path, x)") from None
        except Exception as exc:
            raise ValueError(f"not a readable .npy file (truncated or corrupted?): {_first_line(exc)}") from None
        if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "fiub":
            raise ValueError(f"the .npy array holds {getattr(arr, 'dtype', type(arr))} values; expected numbers (float or int)")
        return torch.from_numpy(arr.astype(np.float64, copy=False))
    if name.endswith(".safetensors"):
        try:
            return _single_tensor(load_safetensors(data), ".safetensors file")
        except (SafetensorError, OverflowError) as exc:
            raise ValueError(f"not a readable .safetensors file (truncated or corrupted?): {exc}") from None
    if not name.endswith((".pt", ".pth")):
        raise ValueError(f"{filename}: expected a .npy, .pt, .pth or .safetensors file")
    _check_unpacked_size(data)
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ValueError("refused: the file holds Python objects other than tensors, which are never loaded here. "
                         f"Save the tensor itself. Detail: {_first_line(exc, 'GLOBAL')}") from None
    except Exception as exc:
        raise ValueError(f"not a readable PyTorch file (truncated or not saved with torch.save?): {_first_line(exc)}") from None
    return _single_tensor(obj, ".pt file")


def read_tensor(data: bytes, filename: str, input_size: int, batch_first: bool = False) -> torch.Tensor:
    """The inputs in a tensor file -> (T, B, I) float64; (B, T, I) files with batch_first=True."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"the file is {len(data) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB")
    if not data:
        raise ValueError("the file is empty")
    x = _load(data, filename)
    layout = "(B, T, I)" if batch_first else "(T, B, I)"
    if x.dim() != 3 or x.shape[2] != input_size:
        hint = "" if x.dim() == 3 else " (one sequence? add a batch axis of 1)"
        raise ValueError(f"expected shape {layout} with I = {input_size} (the module's input size); "
                         f"found {tuple(x.shape)}{hint}")
    if x.is_complex() or not (x.is_floating_point() or x.dtype in (torch.int8, torch.int16, torch.int32, torch.int64,
                                                                    torch.uint8, torch.bool)):
        raise ValueError(f"the tensor holds {x.dtype} values; expected real numbers")
    x = x.to(torch.float64)
    if batch_first:
        x = x.transpose(0, 1)
    T, B, _ = x.shape
    if not (1 <= T <= MAX_T and 1 <= B <= MAX_B):
        raise ValueError(f"found T = {T}, B = {B} (layout {layout}); allowed 1 <= T <= {MAX_T}, 1 <= B <= {MAX_B}"
                         + ("; is the batch-first switch right?" if T <= MAX_B and B <= MAX_T else ""))
    if not torch.isfinite(x).all():
        raise ValueError("the tensor contains NaN or infinite values")
    return x.contiguous()


def read_token_ids(data: bytes, vocab_size: int) -> torch.Tensor:
    """A CSV of integer token ids, one sequence per row, all rows of one length T -> (T, B) int64."""
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(f"the CSV is {len(data) / 1e6:.1f} MB; the limit is {MAX_CSV_BYTES / 1e6:.0f} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the CSV is not UTF-8 text: expected integer token ids separated by commas") from None
    rows = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = line.split(",")
        row = []
        for col, cell in enumerate(cells, start=1):
            cell = cell.strip()
            if not cell.lstrip("-").isdigit() or not cell.isascii():
                raise ValueError(f"row {line_no}, column {col}: expected an integer token id, found {cell[:20]!r}")
            row.append(int(cell))
        if rows and len(row) != len(rows[0]):
            raise ValueError(f"row {line_no} has {len(row)} ids, the first row {len(rows[0])}: every row (one "
                             "sequence) must have the same length T; pad them yourself")
        rows.append(row)
        if len(rows) > MAX_B:
            raise ValueError(f"more than {MAX_B} rows (sequences); use at most {MAX_B}")
    if not rows:
        raise ValueError("the CSV holds no token ids: expected one sequence of integer ids per row")
    if len(rows[0]) > MAX_T:
        raise ValueError(f"sequences of {len(rows[0])} ids; at most {MAX_T}")
    ids = torch.tensor(rows, dtype=torch.int64)  # (B, T)
    low, high = int(ids.min()), int(ids.max())
    if low < 0 or high >= vocab_size:
        bad = low if low < 0 else high
        r, c = [int(i) + 1 for i in torch.nonzero(ids == bad)[0]]
        raise ValueError(f"token id {bad} (row {r}, column {c}) is outside the embedding's vocabulary: "
                         f"expected 0 <= id < V = {vocab_size}")
    return ids.T.contiguous()


def embed(ids: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """x_t^(b) = E[id_t^(b)]: (T, B) ids, E (V, I) -> (T, B, I) (ids are checked by read_token_ids)."""
    return weight.detach()[ids]
