"""Bring your own model: read a state_dict of nn.RNN / nn.LSTM / nn.GRU safely, infer its shape, rebuild it.

Only two readers are used, neither of which runs code from the file: `torch.load(weights_only=True)`
(PyTorch's restricted unpickler: tensors and plain containers only) and `safetensors` (a JSON header
plus raw bytes). The architecture is read from the keys and shapes, PyTorch's layout per layer k:
weight_ih_l{k} (G*H, I_k), weight_hh_l{k} (G*H, H), bias_ih_l{k} / bias_hh_l{k} (G*H,), with
G = 1 (RNN), 3 (GRU), 4 (LSTM); an LSTM with proj_size P adds weight_hr_l{k} (P, H) and has
weight_hh_l{k} (4H, P); a bidirectional module repeats every key with the suffix `_reverse`.
`find_modules` finds every such module in a whole model's state_dict, under any prefix
(`encoder.lstm.`), next to an embedding and a head (`find_embeddings`, `find_heads`).
Every refusal is a ValueError that says what is wrong.

Sizes are checked before anything is unpacked: the upload itself against `MAX_UPLOAD_BYTES`, and a
zip (torch.save's format) by the sizes its entries declare, since PyTorch allocates what an entry
declares and a deflated entry can unpack to a thousand times its size (a 50 MB "zip bomb" -> 50 GB).
"""
from __future__ import annotations

import io
import pickle
import re
import zipfile

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors

from .cells import empty_model
from .config import ProbeConfig

MAX_UPLOAD_BYTES = 50_000_000  # a 4-layer LSTM with H = 1024 is about 134 MB; classroom models are far smaller
BLOCKS_TO_CELL = {1: "rnn", 3: "gru", 4: "lstm"}
TRAINED_HEAD_KEYS = {"head.weight", "head.bias"}  # models.training.Net's linear head
KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?$")


def _first_line(exc: Exception, containing: str = "") -> str:
    """The informative part of a loader's long message: the first line mentioning `containing`, one sentence."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()] or [type(exc).__name__]
    line = next((ln for ln in lines if containing and containing in ln), lines[0])
    return line.split(". ")[0][:200]


def _check_unpacked_size(data: bytes) -> None:
    """ValueError if `data` is a zip whose entries would unpack to more than MAX_UPLOAD_BYTES."""
    if not data.startswith(b"PK"):
        return
    try:
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except Exception as exc:  # BadZipFile, EOFError, NotImplementedError ("zip file version 6.4"), ...
        # Refused rather than handed to torch.load, whose own zip reader might accept what this check
        # cannot size. torch.save writes plain zips; a legacy (non-zip) file starts with a pickle, not "PK".
        raise ValueError(f"not a readable PyTorch file (truncated or corrupted zip archive): {_first_line(exc)}") from None
    if unpacked > MAX_UPLOAD_BYTES:
        raise ValueError(f"the file unpacks to {unpacked / 1e6:,.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB")


def read_state_dict(data: bytes, filename: str) -> dict[str, torch.Tensor]:
    """Tensors of a `.pt`/`.pth` (torch.load, weights_only=True) or `.safetensors` file, on the CPU."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"the file is {len(data) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB")
    if not data:
        raise ValueError("the file is empty")
    if filename.lower().endswith(".safetensors"):
        try:
            state = load_safetensors(data)
        except (SafetensorError, ValueError, OverflowError) as exc:
            raise ValueError(f"not a readable .safetensors file (truncated or corrupted?): {exc}") from None
    else:
        _check_unpacked_size(data)
        try:
            state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            raise ValueError("refused: the file holds Python objects other than tensors (a pickled model or "
                             "code), which are never loaded here. Save `model.state_dict()` instead. "
                             f"Detail: {_first_line(exc, 'GLOBAL')}") from None
        except Exception as exc:  # a malformed stream trips IndexError, struct.error, ... (tests/test_fuzz_upload.py)
            raise ValueError(f"not a readable PyTorch file (truncated or not saved with torch.save?): "
                             f"{_first_line(exc)}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError("the file does not hold a state_dict (a dict of name -> tensor); "
                         "save it with torch.save(model.state_dict(), path)")
    return dict(state)


def _strip_prefix(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keys without one common module prefix such as "lstm." (a submodule's state_dict saved whole).

    A network from this app's training (rnn.* + head.weight, head.bias) loses its linear head:
    the probes read the hidden states, not the head.
    """
    if set(state) & TRAINED_HEAD_KEYS and all(k in TRAINED_HEAD_KEYS or k.startswith("rnn.") for k in state):
        state = {k: v for k, v in state.items() if k not in TRAINED_HEAD_KEYS}
    prefixes = {k[: len(k) - len(k.split(".")[-1])] for k in state}
    if len(prefixes) == 1:
        prefix = prefixes.pop()
        return {k[len(prefix):]: v for k, v in state.items()}
    return state


def _check_shapes(state: dict, layers: list, blocks: int, H: int, P: int, I: int, bias: bool, dirs: int) -> None:
    """ValueError naming the first key that is missing, unexpected or of the wrong shape."""
    cell = BLOCKS_TO_CELL[blocks].upper()
    for k in layers:
        in_k = I if k == 0 else dirs * P
        expected = {}
        for suffix in ("", "_reverse")[:dirs]:
            expected.update({f"weight_ih_l{k}{suffix}": (blocks * H, in_k), f"weight_hh_l{k}{suffix}": (blocks * H, P)})
            if bias:
                expected.update({f"bias_ih_l{k}{suffix}": (blocks * H,), f"bias_hh_l{k}{suffix}": (blocks * H,)})
            if P != H:
                expected[f"weight_hr_l{k}{suffix}"] = (P, H)
        present = {name for name in state if KEY.match(name).group(2) == str(k)}
        missing, extra = sorted(set(expected) - present), sorted(present - set(expected))
        if missing or extra:
            raise ValueError(f"layer {k}: missing {missing or 'nothing'}, unexpected {extra or 'nothing'}")
        for name, shape in expected.items():
            if tuple(state[name].shape) != shape:
                proj = f" and proj_size {P}" if P != H else ""
                raise ValueError(f"{name} has shape {tuple(state[name].shape)}; a {'bidirectional ' * (dirs == 2)}"
                                 f"{cell} with hidden size {H}{proj} needs {shape}")


def infer_spec(state: dict[str, torch.Tensor]) -> dict:
    """{"cell", "input_size", "hidden_size", "num_layers", "bias", "proj_size", "bidirectional"} of ONE
    recurrent module's state_dict (optionally under one prefix) from keys and shapes, or ValueError."""
    state = _strip_prefix(state)
    if not state:
        raise ValueError("the state_dict is empty")
    unknown = sorted(k for k in state if not KEY.match(k))
    if unknown:
        raise ValueError(f"unexpected keys {', '.join(unknown[:6])}{' ...' if len(unknown) > 6 else ''}: "
                         "expected only weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (weight_hr_l{k}, "
                         "*_reverse) of one nn.RNN / nn.LSTM / nn.GRU; a whole model's state_dict goes through "
                         "find_modules, which picks these keys out under their prefix")
    layers = sorted({int(KEY.match(k).group(2)) for k in state})
    if layers != list(range(len(layers))):
        raise ValueError(f"layers {layers} are not numbered 0..{len(layers) - 1}")
    w_hh, w_hr = state.get("weight_hh_l0"), state.get("weight_hr_l0")
    if w_hr is not None:  # LSTM with proj_size: weight_hh (4H, P), weight_hr (P, H)
        if w_hr.dim() != 2 or w_hh is None or w_hh.dim() != 2 or w_hr.shape[1] == 0 or w_hh.shape[0] != 4 * w_hr.shape[1] \
                or w_hh.shape[1] != w_hr.shape[0] or not 0 < w_hr.shape[0] < w_hr.shape[1]:
            raise ValueError("an LSTM with proj_size P < H needs weight_hr_l0 (P, H) and weight_hh_l0 (4H, P); got "
                             f"weight_hr_l0 {tuple(w_hr.shape)}, weight_hh_l0 {None if w_hh is None else tuple(w_hh.shape)}")
        H, P = w_hr.shape[1], w_hr.shape[0]
    else:
        if w_hh is None or w_hh.dim() != 2 or w_hh.shape[1] == 0 or w_hh.shape[0] % w_hh.shape[1]:
            raise ValueError("weight_hh_l0 must be a (G*H, H) matrix with G = 1 (RNN), 3 (GRU) or 4 (LSTM); "
                             f"got {None if w_hh is None else tuple(w_hh.shape)}")
        H = P = w_hh.shape[1]
    blocks = w_hh.shape[0] // H
    if blocks not in BLOCKS_TO_CELL:
        raise ValueError(f"weight_hh_l0 has {w_hh.shape[0]} = {blocks} x {H} rows: expected H (RNN), 3H (GRU) "
                         f"or 4H (LSTM) rows for H = {H}")
    w_ih = state.get("weight_ih_l0")
    if w_ih is None or w_ih.dim() != 2:
        raise ValueError("weight_ih_l0 is missing or not a matrix")
    bias = "bias_ih_l0" in state
    dirs = 2 if any(k.endswith("_reverse") for k in state) else 1
    _check_shapes(state, layers, blocks, H, P, w_ih.shape[1], bias, dirs)
    for name, t in state.items():
        if not t.is_floating_point():
            raise ValueError(f"{name} holds {t.dtype} values; weights must be floating point")
        if not torch.isfinite(t).all():
            raise ValueError(f"{name} contains NaN or infinite values")
    return {"cell": BLOCKS_TO_CELL[blocks], "input_size": w_ih.shape[1], "hidden_size": H,
            "num_layers": len(layers), "bias": bias, "proj_size": 0 if P == H else P, "bidirectional": dirs == 2}


def find_modules(state: dict[str, torch.Tensor]) -> tuple[list[dict], list[str]]:
    """Every recurrent module in a whole model's state_dict: keys weight_ih_l0, ... under any prefix.

    -> (modules, problems): each module is infer_spec's dict plus "prefix" ("encoder.lstm.", or "" at the
    top), in the order the state_dict lists them; problems say, per prefix, why a group of such keys is
    not a usable module. ValueError when there is no module at all.
    """
    groups: dict[str, dict] = {}
    for name, t in state.items():
        prefix, _, last = name.rpartition(".")
        if KEY.match(last):
            groups.setdefault(prefix + "." if prefix else "", {})[last] = t
    modules, problems = [], []
    for prefix, sub in groups.items():
        try:
            modules.append({"prefix": prefix, **infer_spec(sub)})
        except ValueError as exc:
            problems.append(f"{prefix or '(top level)'}: {exc}")
    if not modules:
        detail = "; ".join(problems) if problems else (
            f"no key ends in weight_ih_l0 / weight_hh_l0 (keys: {', '.join(list(state)[:6])}{' ...' * (len(state) > 6)})")
        raise ValueError(f"no nn.RNN / nn.LSTM / nn.GRU found: {detail}")
    return modules, problems


def module_state(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The keys of the module under `prefix`, without it."""
    return {name[len(prefix):]: t for name, t in state.items()
            if name.startswith(prefix) and KEY.match(name[len(prefix):])}


def _other_matrices(state: dict, modules: list[dict]) -> dict[str, torch.Tensor]:
    """Floating, finite, 2-D `*weight` tensors that belong to no recurrent module."""
    taken = {p["prefix"] + k for p in modules for k in module_state(state, p["prefix"])}
    return {name: t for name, t in state.items()
            if name not in taken and name.rpartition(".")[2] == "weight" and t.dim() == 2 and t.is_floating_point()
            and t.numel() and bool(torch.isfinite(t).all())}


def find_embeddings(state: dict, modules: list[dict], input_size: int) -> list[tuple[str, int]]:
    """(key, V) of every `*.weight` of shape (V, input_size): an embedding the module can read token ids through."""
    return [(name, t.shape[0]) for name, t in _other_matrices(state, modules).items() if t.shape[1] == input_size]


def find_heads(state: dict, modules: list[dict], width: int) -> list[tuple[str, int, str | None]]:
    """(weight key, K, bias key or None) of every `*.weight` of shape (K, width): a linear head on h_t
    (width = H, P for a projected LSTM, twice that for a bidirectional module). Last first: heads come last."""
    heads = []
    for name, t in _other_matrices(state, modules).items():
        if t.shape[1] == width:
            bias = name[: -len("weight")] + "bias"
            ok = bias in state and tuple(state[bias].shape) == (t.shape[0],) and state[bias].is_floating_point()
            heads.append((name, t.shape[0], bias if ok else None))
    return heads[::-1]


def build_from_state_dict(state: dict[str, torch.Tensor], activation: str = "tanh") -> torch.nn.Module:
    """The module the state_dict belongs to, with its weights loaded (float64 stays float64, else float32).

    activation applies to a vanilla RNN only; sizes are checked against the engine's limits.
    """
    spec = infer_spec(state)
    state = _strip_prefix(state)
    ProbeConfig(cell=spec["cell"], input_size=spec["input_size"], hidden_size=spec["hidden_size"],
                num_layers=spec["num_layers"], activation=activation, batch_size=1, seq_len=1)
    if spec["bidirectional"] and spec["cell"] == "rnn" and activation not in ("tanh", "relu"):
        raise ValueError(f"a bidirectional vanilla RNN runs as nn.RNN, which has tanh and relu only; got {activation!r}")
    dtype = torch.float64 if state["weight_hh_l0"].dtype == torch.float64 else torch.float32
    model = empty_model(spec["cell"], spec["input_size"], spec["hidden_size"], spec["num_layers"], activation, dtype,
                        proj_size=spec["proj_size"], bidirectional=spec["bidirectional"])
    if not spec["bias"]:
        state = dict(state)
        for k in range(spec["num_layers"]):  # a bias-free module is the same module with zero biases
            for suffix in ("", "_reverse")[:1 + spec["bidirectional"]]:
                rows = state[f"weight_hh_l{k}{suffix}"].shape[0]
                state[f"bias_ih_l{k}{suffix}"] = state[f"bias_hh_l{k}{suffix}"] = torch.zeros(rows, dtype=dtype)
    model.load_state_dict({k: v.to(dtype) for k, v in state.items()}, strict=True)
    return model


def load_uploaded_model(data: bytes, filename: str, activation: str = "tanh") -> torch.nn.Module:
    """read_state_dict + build_from_state_dict: bytes of an upload -> a ready module, or ValueError."""
    return build_from_state_dict(read_state_dict(data, filename), activation)
