"""`python -m models sweep`: a phase-diagram table from the command line (models.sweep).

    python -m models sweep --cells rnn,lstm,gru --weight-scale 0.5:1.5:21 --seq-len 200 \\
        --forget-bias 0:3:7 --seeds 3 --out DIR

Each axis takes one value (`200`), a list (`25,50,100` or `orthogonal,identity`) or a range
`lo:hi:n` (n evenly spaced values from lo to hi, both included; rounded for whole-number axes).
Every point of the axes' product is probed once per seed. Writes DIR/sweep.json (the settings) at
the start, DIR/chunks/*.parquet as chunks finish (a rerun of the same command skips them; Ctrl-C keeps
them) and DIR/sweep.parquet at the end. Local by default (a process pool, one torch thread per
worker); `--scheduler tcp://host:8786` runs the chunks on a Dask cluster instead (its scheduler and
workers need this repository on their PYTHONPATH and the same requirements).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from ..config import CHOICES, LIMITS, SWEEP_AXES, SWEEP_MAX_COST, SWEEP_MAX_POINTS, ProbeConfig
from ..sweep import CHUNK_SIZE, cores, plan, sweep

AXIS_HELP = {
    "cell": "cells",
    "weight_scale": "spectral norm of every recurrent gate block, the x of a phase diagram",
    "seq_len": "T, timesteps the gradient travels back through",
    "forget_bias": "LSTM forget-gate bias (the RNN and GRU ignore it and are probed once)",
    "init": "initialisation of W_hh",
    "activation": "vanilla RNN activation (the LSTM and GRU ignore it)",
    "hidden_size": "H, hidden units",
    "batch_size": "B, sequences per probe (the summaries use their mean gradient)",
    "num_layers": "stacked layers (the summaries read the top layer)",
    "input_scale": "inputs x_t ~ input_scale * N(0, 1)",
}
DEFAULT_AXES = {"cell": "rnn,lstm,gru", "weight_scale": "0.5:1.5:21"}


def flag(name: str) -> str:
    return "--cells" if name == "cell" else "--" + name.replace("_", "-")


def parse_axis(name: str, text: str) -> list:
    """'lo:hi:n' | 'a,b,c' | 'v' -> values of the axis `name` (ValueError naming the option)."""
    text = text.strip()
    if name in CHOICES:
        return [v.strip() for v in text.split(",") if v.strip()]
    kind = type(LIMITS[name][0])
    try:
        if ":" in text:
            lo, hi, n = text.split(":")
            n = int(n)
            if n < 1:
                raise ValueError(f"{flag(name)} {text}: the range is empty (n = {n}); give n >= 1 in lo:hi:n")
            values = np.linspace(float(lo), float(hi), n)
            values = [int(round(v)) for v in values] if kind is int else [round(float(v), 10) for v in values]
        else:
            values = [kind(float(v)) if kind is int else float(v) for v in text.split(",") if v.strip()]
    except ValueError as err:
        if str(err).startswith(flag(name)):
            raise
        raise ValueError(f"{flag(name)} {text!r} is not a value, a list a,b,c or a range lo:hi:n") from None
    if not values:
        raise ValueError(f"{flag(name)} is empty: give at least one value")
    return list(dict.fromkeys(values))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    axes = parser.add_argument_group("axes (each: a value, a list a,b,c or a range lo:hi:n)")
    for name in SWEEP_AXES:
        allowed = ", ".join(CHOICES[name]) if name in CHOICES else f"{LIMITS[name][0]} to {LIMITS[name][1]}"
        default = DEFAULT_AXES.get(name, getattr(ProbeConfig(), name))
        axes.add_argument(flag(name), dest=name, default=None, metavar="SPEC",
                          help=f"{AXIS_HELP[name]}; {allowed} (default {default})")
    parser.add_argument("--seeds", type=int, default=1, help="runs per point, seeds --seed, --seed + 1, ... (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--input-size", type=int, default=ProbeConfig().input_size, help="I, input features (default 1)")
    parser.add_argument("--dtype", choices=CHOICES["dtype"], default="float32", help="float64 delays overflow (default float32)")
    parser.add_argument("--workers", type=int, default=None, help=f"local processes (default: the cores, {cores()} here)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on this Dask scheduler, e.g. tcp://host:8786, instead of locally")
    parser.add_argument("--chunk-size", type=int, default=None, help=f"probes per chunk file and task (default: up to {CHUNK_SIZE}, fewer for small grids)")
    parser.add_argument("--out", type=Path, required=True, help="directory for sweep.parquet, sweep.json and chunks/")
    parser.epilog = (f"Caps: {SWEEP_MAX_POINTS:,} points (configurations x seeds) and {SWEEP_MAX_COST:.0e} "
                     "probe-units, T x B x H^2 x layers summed over the probes (printed before the run).")


class ProgressBar:
    """`[#####.....] 120/567 probes  12 s, about 35 s left` on stderr, redrawn in place."""

    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width, self.start, self.first = width, time.monotonic(), None

    def __call__(self, done: int, total: int) -> None:
        if self.first is None:
            self.first = done  # found finished in --out: not part of the rate
        elapsed = time.monotonic() - self.start
        fill = int(self.width * done / max(total, 1))
        rate = (done - self.first) / elapsed if elapsed > 0 else 0
        left = f", about {(total - done) / rate:.0f} s left" if rate > 0 and done < total else ""
        self.stream.write(f"\r[{'#' * fill}{'.' * (self.width - fill)}] {done}/{total} probes  {elapsed:.0f} s{left}   ")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def main(args: argparse.Namespace) -> int:
    try:
        axes = {name: parse_axis(name, getattr(args, name) or DEFAULT_AXES.get(name, ""))
                for name in SWEEP_AXES if getattr(args, name) is not None or name in DEFAULT_AXES}
        base = ProbeConfig(seed=args.seed, input_size=args.input_size, dtype=args.dtype)
        p = plan(base, axes, args.seeds)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    workers = args.workers or cores()
    where = (f"the Dask scheduler {args.scheduler}" if args.scheduler
             else "this process" if workers == 1 else f"{workers} local worker processes")
    print(f"{p.describe()}; on {where}", file=sys.stderr)
    try:
        table = sweep(base, axes, args.seeds, workers=args.workers, scheduler=args.scheduler, out=args.out,
                      chunk_size=args.chunk_size, on_progress=ProgressBar())
    except ValueError as err:
        print(f"\nerror: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        kept = len(list((args.out / "chunks").glob("chunk-*.parquet")))
        print(f"\ninterrupted: {kept} finished chunks kept in {args.out}; run the same command to finish",
              file=sys.stderr)
        return 130
    bad = int((table["nonfinite"] >= 0).sum())
    print(f"wrote {args.out / 'sweep.parquet'} ({len(table):,} rows; {bad} overflowed) and {args.out / 'sweep.json'}")
    return 0
