"""Benchmark: probe() time / PyTorch's fused forward+backward of the same module, side by side.

    python -m bench.probe [--reps 15] [--threads 2] [--cells rnn,lstm,gru,mingru,minlstm,indrnn,lru]

For each cell at (T=1000, H=128, B=1) and (T=256, H=64, B=8): the fused baseline is the module's own
forward and backward of L = sum_b v . h_T^(b) with every parameter requiring grad (what training
costs; for minGRU, minLSTM and the LRU their scan and its reverse scan, for IndRNN (ReLU, as Li et al.)
PyTorch's fused RNN kernel with W_hh = diag(u)); probe() computes every array of ProbeResult but the Jacobian norms, which are computed on their first
read (an iterative eigen-solver costing more than the whole probe); their time is printed beside it,
and so is the probe without the gradient paths (`probe(..., paths=False)`): "paths cost" is the ratio.
Runs alternate and the median of each is
printed, so both see the same machine load. Target ratio <= 2.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from models.config import CELLS, ProbeConfig
from models.probe import make_inputs, make_readout, probe

SHAPES = [(1000, 128, 1), (256, 64, 8)]


def fused_forward_backward(model, x, v) -> None:
    """Baseline: out = model(x); (out[-1] @ v).sum().backward()."""
    model.zero_grad(set_to_none=True)
    out, _ = model(x)
    (out[-1] @ v).sum().backward()


def measure(cfg: ProbeConfig, reps: int) -> tuple[float, float, float, float]:
    """Median seconds of (probe, probe without the gradient paths, fused baseline, first read of
    jacobian_norm), interleaved, after a warm-up."""
    model, x, v = probe(cfg).model, make_inputs(cfg), make_readout(cfg)
    fused_forward_backward(model, x, v)
    t_probe, t_bare, t_fused, t_jac = [], [], [], []
    for _ in range(reps):
        start = time.perf_counter()
        r = probe(cfg, model=model, inputs=x)
        t_probe.append(time.perf_counter() - start)
        start = time.perf_counter()
        probe(cfg, model=model, inputs=x, paths=False)
        t_bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        fused_forward_backward(model, x, v)
        t_fused.append(time.perf_counter() - start)
        start = time.perf_counter()
        r.jacobian_norm
        t_jac.append(time.perf_counter() - start)
    return tuple(statistics.median(t) for t in (t_probe, t_bare, t_fused, t_jac))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.probe", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=15, help="timed runs of each (default 15)")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    parser.add_argument("--cells", default=",".join(CELLS), help="comma-separated cells (default: all)")
    parser.add_argument("--shapes", default=",".join(f"{T}x{H}x{B}" for T, H, B in SHAPES),
                        help="comma-separated TxHxB (default %(default)s)")
    args = parser.parse_args(argv)
    cells = [c for c in args.cells.split(",") if c]
    shapes = [tuple(int(n) for n in s.split("x")) for s in args.shapes.split(",") if s]
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, median of {args.reps}")
    print(f"{'cell':7} {'T':>5} {'H':>4} {'B':>3} {'probe ms':>9} {'fused ms':>9} {'ratio':>6} "
          f"{'no paths ms':>12} {'paths cost':>11} {'jacobian ms':>12} {'ratio with it':>14}")
    for T, H, B in shapes:
        for cell in cells:
            cfg = ProbeConfig(cell=cell, seq_len=T, hidden_size=H, batch_size=B,
                              activation="relu" if cell == "indrnn" else "tanh")
            tp, tb, tf, tj = measure(cfg, args.reps)
            print(f"{cell:7} {T:5d} {H:4d} {B:3d} {tp * 1e3:9.2f} {tf * 1e3:9.2f} {tp / tf:6.2f} "
                  f"{tb * 1e3:12.2f} {tp / tb:10.2f}x {tj * 1e3:12.2f} {(tp + tj) / tf:14.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
