"""Command line: `python -m models probe ...` (and `python -m models train ...`, `python -m models sweep ...`;
the subcommands live in models.cli.train and models.cli.sweep, `models/__main__.py` only forwards here).

    python -m models probe --cell lstm --seq-len 200 --hidden-size 32 --out DIR
writes DIR/probe.json (ProbeResult.to_dict()) and DIR/model.pt (the state_dict, loadable with
torch.load(path, weights_only=True)). Every ProbeConfig field is an option; --help lists them.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import torch

from ..config import CELL_CONTROLS, CHOICES, LIMITS, MODERN_CELLS, ProbeConfig
from ..probe import probe
from . import sweep as sweep_cli
from . import train as train_cli

FIELD_HELP = {
    "cell": "recurrent cell",
    "seq_len": "T, timesteps the gradient travels back through",
    "hidden_size": "H, hidden units per layer",
    "input_size": "I, input features per step",
    "num_layers": "stacked layers",
    "weight_scale": "spectral norm of each recurrent gate block under orthogonal/identity init "
                    "(a multiplier under gaussian/pytorch)",
    "init": "initialisation of the recurrent weights",
    "activation": "vanilla RNN activation phi",
    "forget_bias": "LSTM forget-gate bias",
    "input_scale": "inputs x_t ~ input_scale * N(0, 1)",
    "batch_size": "B, independent sequences (one loss L_b = v . h_T each)",
    "seed": "seed of weights, inputs and readout v",
    "dtype": "floating-point type; float64 delays overflow",
}


def add_probe_arguments(parser: argparse.ArgumentParser) -> None:
    """One option per ProbeConfig field, with its default, choices and range."""
    for f in dataclasses.fields(ProbeConfig):
        flag = "--" + f.name.replace("_", "-")
        if f.name in CHOICES:
            parser.add_argument(flag, choices=CHOICES[f.name], default=f.default,
                                help=f"{FIELD_HELP[f.name]} (default {f.default})")
        else:
            lo, hi = LIMITS[f.name]
            parser.add_argument(flag, type=type(f.default), default=f.default,
                                help=f"{FIELD_HELP[f.name]}, {lo} to {hi} (default {f.default})")
    parser.add_argument("--out", type=Path, required=True, help="directory for probe.json and model.pt")


def controls_epilog() -> str:
    """What --weight-scale, --init, --activation and --forget-bias drive in each cell after the LSTM
    (models.config.CELL_CONTROLS), one line per cell."""
    lines = ["In the cells after the LSTM (- : not used):"]
    for cell in MODERN_CELLS:
        parts = [f"{name.replace('_', '-')}: {m[0] if m else '-'}" for name, m in CELL_CONTROLS[cell].items()]
        lines.append(f"  {cell}: " + "; ".join(parts))
    return "\n".join(lines)


def run_probe(args: argparse.Namespace) -> int:
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(ProbeConfig)}
    try:
        cfg = ProbeConfig(**values)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    r = probe(cfg)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "probe.json").write_text(json.dumps(r.to_dict(), allow_nan=False))
    torch.save(r.model.state_dict(), args.out / "model.pt")
    g = r.grad_h.mean(0)
    print(f"{cfg.cell}: ||dL/dh_1|| = {g[0]:.3g} (mean over batch), ||dL/dh_T|| = {g[-1]:.3g}")
    if r.nonfinite is not None:
        print(f"overflow in the {r.nonfinite_stage} pass at t = {r.nonfinite + 1}")
    print(f"wrote {args.out / 'probe.json'} and {args.out / 'model.pt'}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models", description="Gradient flow through time in RNN/LSTM/GRU.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("probe", help="probe a freshly initialised cell", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_probe_arguments(p)
    p.epilog = controls_epilog()
    p.set_defaults(func=run_probe)
    t = sub.add_parser("train", help="train a cell on a long-range task",
                       description=train_cli.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    train_cli.add_arguments(t)
    t.set_defaults(func=train_cli.main)
    w = sub.add_parser("sweep", help="probe a grid of settings: a phase-diagram table",
                       description=sweep_cli.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sweep_cli.add_arguments(w)
    w.set_defaults(func=sweep_cli.main)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
