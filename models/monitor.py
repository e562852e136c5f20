"""`GradientFlowMonitor`: ||dL/dh_t|| per timestep inside your own training loop, for your own loss.

    mon = GradientFlowMonitor(model.lstm, every=25, log_dir="runs/exp1")  # nn.RNN / LSTM / GRU, or models' MinGRU,
                                                                          # MinLSTM, IndRNN, LRU
    for step, (x, y) in enumerate(loader):
        loss = criterion(model(x), y); loss.backward(); opt.step(); opt.zero_grad()
    mon.close()

Every `every`-th forward call of the module made with gradients on (call 0, every, 2 every, ...) is
monitored: a forward hook keeps its input and a copy of its weights and puts tensor hooks on what the
module returned (output, h_n, c_n). Your own backward fills them with dL/d(output_t), dL/dh_n, dL/dc_n:
the direct part of dL/dh_t, whatever the loss reads (the last step, every step, the final states).
At the module's next forward call (or `flush()` / `close()`), the probe's fused mechanism
(`models.probe.backprop_layers`, bidirectional through `models.directions`; for the diagonal recurrences one
scan, `models.diagonal_probe`) adds the part through the recurrence, giving the exact total dL/dh_t of every layer and direction, with no per-step Python loop.
Other calls only pay two Python function calls; nothing is added to their graph.

Recorded per monitored step and direction, from the top layer's mean over samples of ||dL_b/dh_t||:
  grad      (T,) the whole curve; grad_layers (L, T) every layer;
  horizon   how many steps back from the loss's furthest reach the gradient stays within
            HORIZON_DECADES decades of its largest value (T if it never drops that far);
  grad_far  the gradient at the step furthest from the loss (t = 1 forward, t = T reverse).
Written to a JSON-lines file (`read_log` reads it back: the app's Train tab draws it) and, given
log_dir, to TensorBoard (scalars horizon and grad_at_t1, and the step x timestep heatmap as an image).
Not supported (a warning, and that step is skipped): a PackedSequence input, an initial state hx.
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .cells import empty_model, model_spec
from .directions import external_gradients, unit_module
from .probe import backprop_layers

HORIZON_DECADES = 3.0  # the horizon ends where the gradient has fallen 1000-fold below its peak
LOG_NAME = "gradient_flow.jsonl"
LOG_VERSION = 1
MAX_LOG_BYTES = 50_000_000  # what the app's Train tab reads
MAX_LOG_STEPS, MAX_LOG_T = 100_000, 5000


def horizon(grad: np.ndarray) -> int:
    """Steps t = T, T-1, ... (processing order: the loss reads the end) over which grad stays within
    HORIZON_DECADES decades of its maximum: T - (first t with grad >= max * 10^-d) + 1.  (T,) -> int."""
    g = np.where(np.isfinite(grad), grad, np.inf)
    peak = np.max(g) if len(g) else 0.0
    if not np.isfinite(peak):
        return len(g)
    if peak <= 0:
        return 0
    above = np.nonzero(g >= peak * 10.0 ** -HORIZON_DECADES)[0]
    return int(len(g) - above[0])


class GradientFlowMonitor:
    """Records ||dL/dh_t|| of `module` on every `every`-th training step (see the module docstring)."""

    def __init__(self, module: nn.Module, every: int = 25, log_dir: str | Path | None = None,
                 log_file: str | Path | None = None, name: str | None = None):
        self.spec = model_spec(module)  # ValueError for anything but nn.RNN / LSTM / GRU and this package's cells
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every={every!r} must be a whole number >= 1")
        self.module, self.every = module, every
        self.name = name or self.spec["cell"]
        self.directions = ("forward", "reverse") if self.spec["bidirectional"] else ("forward",)
        self.calls = 0  # forward calls with gradients on = training steps
        self.records: list[dict] = []
        self._pending: dict | None = None
        self._warned: set[str] = set()
        self.log_dir = None if log_dir is None else Path(log_dir)
        path = log_file or (self.log_dir / LOG_NAME if self.log_dir is not None else None)
        self._log = None
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._log = open(path, "w", encoding="utf-8")
            self.log_path = Path(path)
            header = {"kind": "header", "version": LOG_VERSION, "name": self.name, "every": every,
                      "batch_first": bool(module.batch_first), "directions": list(self.directions),
                      **{k: v for k, v in self.spec.items()}}
            self._log.write(json.dumps(header) + "\n")
        self._writer = None
        if self.log_dir is not None:
            from torch.utils.tensorboard import SummaryWriter  # needs the tensorboard package (requirements.txt)
            self._writer = SummaryWriter(str(self.log_dir))
        self._handle = module.register_forward_hook(self._on_forward)

    # --- hooks -------------------------------------------------------------------------------------
    def _warn(self, key: str, text: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(f"GradientFlowMonitor: {text}", stacklevel=3)

    def _on_forward(self, module, args, output) -> None:
        if not torch.is_grad_enabled():
            return  # evaluation passes are not training steps
        self.flush()  # the previous monitored step's backward is done by now
        step, self.calls = self.calls, self.calls + 1
        if step % self.every:
            return
        x = args[0] if args else None
        if not torch.is_tensor(x):
            return self._warn("packed", "a PackedSequence (or no tensor) input is not monitored; steps skipped")
        if len(args) > 1 and args[1] is not None:
            return self._warn("hx", "an initial state hx is not monitored (the probe starts from h_0 = 0); steps skipped")
        if x.dim() != 3:
            return self._warn("unbatched", f"an unbatched input {tuple(x.shape)} is not monitored; steps skipped")
        out, state = output
        h_n, c_n = state if isinstance(state, tuple) else (state, None)
        pending = {"step": step, "x": x.detach(), "grads": {},
                   "weights": {k: v.detach().clone() for k, v in module.state_dict().items()}}
        for key, t in (("out", out), ("h_n", h_n), ("c_n", c_n)):
            if t is not None and t.requires_grad:
                t.register_hook(lambda g, key=key: pending["grads"].__setitem__(key, g.detach()))
        self._pending = pending

    # --- the computation ---------------------------------------------------------------------------
    def _copy(self, weights: dict) -> nn.Module:
        s = self.spec
        model = empty_model(s["cell"], s["input_size"], s["hidden_size"], s["num_layers"], s["activation"],
                            next(iter(weights.values())).dtype, proj_size=s["proj_size"], bidirectional=s["bidirectional"])
        if not s["bias"]:
            weights = {**weights, **{k: torch.zeros_like(v) for k, v in model.state_dict().items() if k.startswith("bias")}}
        model.load_state_dict(weights)
        return model.requires_grad_(False)

    def gradients(self, pending: dict) -> dict[str, torch.Tensor]:
        """direction -> (L, T, B, P) total dL/dh_t per layer, in the original time order."""
        s, g = self.spec, pending["grads"]
        x = pending["x"].transpose(0, 1) if self.module.batch_first else pending["x"]  # (T, B, I)
        T, B = x.shape[:2]
        L, D = s["num_layers"], len(self.directions)
        P = s["proj_size"] or s["hidden_size"]
        model = self._copy(pending["weights"])
        dtype = next(model.parameters()).dtype
        x = x.to(dtype)
        e_out = g.get("out")
        if e_out is not None:
            e_out = (e_out.transpose(0, 1) if self.module.batch_first else e_out).to(dtype)  # (T, B, D*P)
        e_hn = g.get("h_n", torch.zeros(L * D, B, P, dtype=dtype)).to(dtype)
        e_cn = g.get("c_n")
        if not s["bidirectional"]:
            e_h = [torch.zeros(T, B, P, dtype=dtype) for _ in range(L)]
            for k in range(L):
                e_h[k][-1] += e_hn[k]  # h_n[k] is layer k's last step
            if e_out is not None:
                e_h[-1] += e_out
            e_c = None if e_cn is None else list(e_cn.to(dtype))
            return {"forward": torch.stack(backprop_layers(model, x, e_h, e_c))}
        units = external_gradients(model, x, e_out, e_hn, None if e_cn is None else e_cn.to(dtype))["units"]
        result = {}
        for d, name in enumerate(self.directions):
            layers = []
            for k in range(L):
                xin, e = units[k, d]
                e_c = None if e_cn is None else [e_cn[2 * k + d].to(dtype)]
                grad = backprop_layers(unit_module(model, k, d), xin, [e], e_c)[0]
                layers.append(grad.flip(0) if d else grad)
            result[name] = torch.stack(layers)
        return result

    def flush(self) -> None:
        """Compute and write the pending monitored step (called by the next forward and by close())."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        if not pending["grads"]:
            return self._warn("nograd", "a monitored step had no backward through the module's outputs; skipped")
        record = {"kind": "snapshot", "step": pending["step"], "seq_len": int(pending["x"].shape[1 if self.module.batch_first else 0]),
                  "directions": {}}
        with torch.no_grad():
            grads = self.gradients(pending)
        for name, g in grads.items():
            layers = g.double().norm(dim=-1).mean(-1).numpy()  # (L, T) mean_b ||dL_b/dh_t||
            top = layers[-1]
            in_order = top if name == "forward" else top[::-1]  # processing order: the loss reads the end
            record["directions"][name] = {
                "grad": _floats(top), "grad_layers": [_floats(r) for r in layers],
                "horizon": horizon(in_order), "grad_far": _float(in_order[0])}
        self.records.append(record)
        if self._log is not None:
            self._log.write(json.dumps(record, allow_nan=False) + "\n")
            self._log.flush()
        if self._writer is not None:
            self._write_tensorboard(record)

    def _write_tensorboard(self, record: dict) -> None:
        step = record["step"]
        for name, d in record["directions"].items():
            tag = self.name if name == "forward" else f"{self.name}_reverse"
            self._writer.add_scalar(f"{tag}/horizon", d["horizon"], step)
            far = d["grad_far"]
            self._writer.add_scalar(f"{tag}/grad_at_t1" if name == "forward" else f"{tag}/grad_at_tT",
                                    math.nan if far is None else far, step)
            steps, grads = snapshots_of(self.records, name)
            self._writer.add_image(f"{tag}/gradient_flow_heatmap", heatmap_image(grads), step, dataformats="HWC")
        self._writer.flush()

    def close(self) -> None:
        """Finish the pending step, remove the hook, close the files. The module is left as it was."""
        self.flush()
        self._handle.remove()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _float(v) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def _floats(a) -> list:
    return [_float(v) for v in a]


def snapshots_of(records: list[dict], direction: str = "forward") -> tuple[np.ndarray, np.ndarray]:
    """(steps (S,), grads (S, T_max)) of one direction; shorter sequences padded with NaN on the right."""
    rows = [(r["step"], r["directions"][direction]["grad"]) for r in records if direction in r["directions"]]
    T = max((len(g) for _, g in rows), default=0)
    grads = np.full((len(rows), T), np.nan)
    for i, (_, g) in enumerate(rows):
        grads[i, :len(g)] = [np.nan if v is None else v for v in g]
    return np.array([s for s, _ in rows], dtype=np.float64), grads


# A few viridis anchors (matplotlib's), linearly interpolated: the app's heatmaps use a viridis-like scale too.
_VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float64)


def heatmap_image(grads: np.ndarray, min_width: int = 256) -> np.ndarray:
    """(S, T) magnitudes -> (H, W, 3) uint8 image of log10, rows = training steps (top = first), x = t;
    non-finite or zero cells black. Each cell is repeated so the picture is at least min_width wide."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(grads)
    finite = np.isfinite(z)
    lo, hi = (z[finite].min(), z[finite].max()) if finite.any() else (0.0, 1.0)
    u = np.clip((z - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    pos = np.where(finite, u, 0) * (len(_VIRIDIS) - 1)
    i = np.minimum(pos.astype(int), len(_VIRIDIS) - 2)
    frac = (pos - i)[..., None]
    rgb = _VIRIDIS[i] * (1 - frac) + _VIRIDIS[i + 1] * frac
    rgb[~finite] = 0
    S, T = grads.shape
    rx, ry = max(1, math.ceil(min_width / max(T, 1))), max(1, math.ceil(64 / max(S, 1)))
    return np.repeat(np.repeat(rgb, ry, axis=0), rx, axis=1).astype(np.uint8)


def read_log(data: bytes) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A monitor's JSON-lines file -> {label: (steps (S,), grads (S, T))}, one label per direction,
    ready for `viz.training.gradient_flow_training_figure`. ValueError naming the line and what is wrong."""
    if len(data) > MAX_LOG_BYTES:
        raise ValueError(f"the file is {len(data) / 1e6:.1f} MB; the limit is {MAX_LOG_BYTES / 1e6:.0f} MB")
    try:
        lines = [ln for ln in data.decode("utf-8").splitlines() if ln.strip()]
    except UnicodeDecodeError:
        raise ValueError("not a monitor log: the file is not UTF-8 text (expected JSON lines from "
                         f"GradientFlowMonitor, {LOG_NAME})") from None
    if not lines:
        raise ValueError("the file is empty: expected JSON lines from GradientFlowMonitor")

    def parse(i, line):
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"line {i}: not JSON ({str(exc)[:80]}); expected {LOG_NAME} as the monitor wrote it") from None
        if not isinstance(obj, dict):
            raise ValueError(f"line {i}: expected a JSON object, found {type(obj).__name__}")
        return obj
    header = parse(1, lines[0])
    if header.get("kind") != "header" or header.get("version") != LOG_VERSION:
        raise ValueError(f"line 1: expected the monitor's header (kind \"header\", version {LOG_VERSION}); "
                         f"found kind {str(header.get('kind'))[:20]!r}, version {str(header.get('version'))[:10]!r}")
    name = str(header.get("name", "rnn"))[:40]
    directions = header.get("directions")
    if not isinstance(directions, list) or not directions or not set(directions) <= {"forward", "reverse"}:
        raise ValueError("line 1: the header's \"directions\" must be [\"forward\"] or [\"forward\", \"reverse\"]")
    records = []
    if len(lines) - 1 > MAX_LOG_STEPS:
        raise ValueError(f"{len(lines) - 1} snapshots; at most {MAX_LOG_STEPS:,}")
    for i, line in enumerate(lines[1:], start=2):
        r = parse(i, line)
        step, dirs = r.get("step"), r.get("directions")
        if r.get("kind") != "snapshot" or not isinstance(step, int) or isinstance(step, bool) or not isinstance(dirs, dict):
            raise ValueError(f"line {i}: expected a snapshot {{\"kind\": \"snapshot\", \"step\": int, \"directions\": {{...}}}}")
        for d in directions:
            grad = dirs.get(d, {}).get("grad") if isinstance(dirs.get(d), dict) else None
            if not isinstance(grad, list) or not 0 < len(grad) <= MAX_LOG_T or not all(
                    v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in grad):
                raise ValueError(f"line {i}: directions.{d}.grad must be a list of 1 to {MAX_LOG_T} numbers (null for "
                                 f"overflow); found {str(grad)[:40]}")
        records.append(r)
    if not records:
        raise ValueError("the log has a header but no snapshot yet: train for at least one monitored step")
    return {(name if d == "forward" else f"{name} reverse"): snapshots_of(records, d) for d in directions}
