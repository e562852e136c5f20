"""`python -m models train`: train one cell on one task from the shell, write DIR/train.json and DIR/model.pt.

    python -m models train --task adding --cell lstm --seq-len 50 --steps 2000 --max-seconds 60 --seed 0 --out DIR

train.json holds the settings, the per-step training loss / metric / raw gradient norm, the
gradient-flow snapshots (mean over samples of ||dL_b/dh_t||, one row per snapshot step) and the
final test loss and metric on --eval-samples fresh samples. model.pt is the network's state_dict
(keys rnn.* of the nn.RNN/LSTM/GRU and head.* of the linear head): `torch.load(path, weights_only=True)`,
and the app's upload page accepts it as it is.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ..config import ACTIVATIONS, INITS
from ..nets import AUTO_ACTIVATION, HEADS, TRAIN_CELLS, plain_state_dict
from ..sources import cite
from ..tasks import TASKS, parse_series_csv
from ..training import TrainConfig, Trainer

DEFAULTS = TrainConfig()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Every option of `python -m models train`, with its default from TrainConfig."""
    d = DEFAULTS
    parser.add_argument("--task", choices=TASKS, default=d.task,
                        help="adding: sum of two marked values; recall: first of T symbols; sine: y = 3 sin x + cos 5x + "
                             f"noise + 6, the series of the tutorial {cite('lstm_part_2')}; series: your CSV (--series) "
                             "(default %(default)s)")
    parser.add_argument("--cell", choices=TRAIN_CELLS, default="lstm",
                        help="recurrent cell; rnn_orthogonal: the RNN with W_hh kept orthogonal (default %(default)s)")
    parser.add_argument("--seq-len", type=int, default=d.seq_len, help="T, the dependency length (default %(default)s)")
    parser.add_argument("--hidden-size", type=int, default=d.hidden_size, help="H (default %(default)s)")
    parser.add_argument("--num-layers", type=int, default=d.num_layers, help="stacked layers (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=d.batch_size, help="samples per step (default %(default)s)")
    parser.add_argument("--steps", type=int, default=d.steps, help="training steps at most (default %(default)s)")
    parser.add_argument("--max-seconds", type=float, default=d.max_seconds,
                        help="stop after this many seconds, keeping what was learned (default %(default)s)")
    parser.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate (default %(default)s)")
    parser.add_argument("--clip", type=float, default=d.clip_value,
                        help="clip the gradient norm to this value; 0 turns clipping off (default %(default)s)")
    parser.add_argument("--init", choices=INITS, default=d.init,
                        help="recurrent weight initialisation (default %(default)s: PyTorch's own)")
    parser.add_argument("--forget-bias", type=float, default=d.forget_bias,
                        help="LSTM forget-gate bias at initialisation (default %(default)s)")
    parser.add_argument("--activation", choices=(AUTO_ACTIVATION,) + ACTIVATIONS, default=d.activation,
                        help="phi of the RNN and IndRNN, and between LRU layers; auto: tanh, IndRNN relu (default %(default)s)")
    parser.add_argument("--head", choices=HEADS, default=d.head,
                        help="on h_T: linear, or mlp = W2 tanh(W1 h + b1) + b2 (default %(default)s)")
    parser.add_argument("--num-classes", type=int, default=d.num_classes,
                        help="recall: K symbols, chance 1/K (default %(default)s)")
    parser.add_argument("--noise", type=float, default=d.noise, help="sine: noise std (default %(default)s)")
    parser.add_argument("--series", type=Path, help="series: CSV file with one numeric column")
    parser.add_argument("--snapshot-every", type=int, default=d.snapshot_every,
                        help="gradient-flow snapshot every k steps (default %(default)s)")
    parser.add_argument("--eval-samples", type=int, default=d.eval_samples,
                        help="fresh samples for the final test metric (default %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for training (default %(default)s)")
    parser.add_argument("--seed", type=int, default=d.seed, help="batches, weights and head (default %(default)s)")
    parser.add_argument("--out", type=Path, required=True, help="directory for train.json and model.pt")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(task=args.task, cells=(args.cell,), seq_len=args.seq_len, hidden_size=args.hidden_size,
                       num_layers=args.num_layers, batch_size=args.batch_size, steps=args.steps, lr=args.lr,
                       clip=args.clip > 0, clip_value=args.clip if args.clip > 0 else DEFAULTS.clip_value,
                       init=args.init, forget_bias=args.forget_bias, activation=args.activation, head=args.head,
                       num_classes=args.num_classes,
                       noise=args.noise, snapshot_every=args.snapshot_every, max_seconds=args.max_seconds,
                       eval_samples=args.eval_samples, seed=args.seed)


def finite_list(a) -> list:
    """Numbers as a JSON list; inf/NaN (a diverged step) become null, as strict JSON has no inf."""
    return [float(v) if math.isfinite(v) else None for v in np.asarray(a, dtype=np.float64).ravel()]


def run_report(trainer: Trainer) -> dict:
    """The JSON-able record of a finished one-cell run."""
    cell = trainer.cfg.cells[0]
    p = trainer.progress()[cell]
    task = trainer.task
    return {
        "config": dataclasses.asdict(trainer.cfg),
        "task": {"name": task.name, "kind": task.kind, "metric": task.metric, "baseline_loss": task.baseline_loss},
        "cell": cell, "steps_done": trainer.step, "seconds": trainer.seconds, "stopped_by": trainer.stopped_by,
        "diverged_at": p["diverged_at"],
        "loss": finite_list(p["loss"]), "metric": finite_list(p["metric"]), "grad_norm": finite_list(p["grad_norm"]),
        "snapshots": {"steps": p["snapshot_steps"].tolist(), "grad_h": [finite_list(r) for r in p["snapshots"]]},
        "test": {**{k: (v if math.isfinite(v) else None) for k, v in p["test"].items()},
                 "samples": trainer.cfg.eval_samples},
    }


def main(args: argparse.Namespace) -> int:
    """Train, write DIR/train.json and DIR/model.pt, print the test result. 0 on success, 2 on bad input."""
    try:
        if args.threads < 1:
            raise ValueError(f"--threads {args.threads}: must be at least 1")
        series = parse_series_csv(args.series.read_bytes()) if args.series is not None else None
        trainer = Trainer(config_from_args(args), series=series)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    trainer.run()
    report = run_report(trainer)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "train.json").write_text(json.dumps(report, allow_nan=False))
    torch.save(plain_state_dict(trainer.nets[args.cell]), args.out / "model.pt")
    test = {k: "not finite" if v is None else f"{v:.4g}" for k, v in report["test"].items()}
    print(f"{args.cell} on {args.task} (T={args.seq_len}): {trainer.step} steps in {time.perf_counter() - start:.1f} s "
          f"(ended by {trainer.stopped_by}); test loss {test['loss']}, {report['task']['metric']} {test['metric']} "
          f"on {test['samples']} fresh samples -> {args.out}")
    return 0
