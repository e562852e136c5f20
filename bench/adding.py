"""Every cell on the adding problem at long T: what it learns, how fast, and what its gradient does.

    nice -n 10 python -m bench.adding [--seq-len 100,200] [--steps 4000] [--seeds 0] [--arms all] [--out FILE.json]

The README's setting (the lesson's chapter 8, beside Arjovsky et al. 2016's T = 100): H = 64, batch 64, Adam 3e-3,
gradient norm clipped at 1, PyTorch's default init, forget bias 1; each arm trained alone on the same seeded
batches (`models.training.Trainer`, one torch thread), tested on 1,000 fresh samples. Arms: every cell, the RNN with
W_hh kept orthogonal, IndRNN also with two layers (|u_j| clipped to 2^(1/T) after every step, as Li et al. do), and
the LRU three ways
(one layer with a linear head, the same with an MLP head, two layers with tanh between). Prints per arm: test MSE (predicting 1 scores 1/6), accuracy (|error| < 0.04), the first step
whose 50-step mean training loss is below 0.01, and the gradient reaching t = 1 (mean over the snapshot samples of
||dL/dh_1|| / ||dL/dh_T||, task loss) at the start and at the end. Timings, not tests: nothing here asserts.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from models.lesson import first_below
from models.training import TrainConfig, Trainer

ARMS = {  # name -> (cell, TrainConfig changes)
    "rnn": ("rnn", {}), "rnn_orthogonal": ("rnn_orthogonal", {}), "lstm": ("lstm", {}), "gru": ("gru", {}),
    "mingru": ("mingru", {}), "minlstm": ("minlstm", {}), "indrnn": ("indrnn", {}),
    "indrnn_2_layers": ("indrnn", {"num_layers": 2}), "lru": ("lru", {}),
    "lru_mlp_head": ("lru", {"head": "mlp"}), "lru_2_layers": ("lru", {"num_layers": 2}),
}


def run_arm(arm: str, seq_len: int, steps: int, seed: int) -> dict:
    cell, changes = ARMS[arm]
    cfg = TrainConfig(task="adding", cells=(cell,), seq_len=seq_len, hidden_size=64, batch_size=64, steps=steps,
                      lr=3e-3, clip=True, clip_value=1.0, max_seconds=3600.0, snapshot_every=max(1, steps // 20),
                      seed=seed, **changes)
    start = time.perf_counter()
    trainer = Trainer(cfg).run()
    h = trainer.progress()[cell]
    far = h["snapshots"][:, 0] / h["snapshots"][:, -1]  # ||dL/dh_1|| / ||dL/dh_T|| per snapshot
    return {"arm": arm, "seq_len": seq_len, "seed": seed, "steps": trainer.step,
            "test_mse": h["test"]["loss"], "test_accuracy": h["test"]["metric"],
            "below_0.01_at": first_below(h["loss"], 0.01), "grad_t1_start": float(far[0]), "grad_t1_end": float(far[-1]),
            "diverged_at": h["diverged_at"], "seconds": time.perf_counter() - start}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.adding", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seq-len", default="100,200", help="comma-separated T (default %(default)s)")
    parser.add_argument("--steps", type=int, default=4000, help="training steps per arm (default %(default)s)")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default %(default)s)")
    parser.add_argument("--arms", default="all", help=f"comma-separated, from {', '.join(ARMS)} (default all)")
    parser.add_argument("--out", default=None, help="also write the rows as JSON lines to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    arms = list(ARMS) if args.arms == "all" else args.arms.split(",")
    print(f"torch {torch.__version__}, 1 thread; adding, H 64, batch 64, Adam 3e-3, clip 1, {args.steps} steps")
    print(f"{'arm':15} {'T':>4} {'seed':>4} {'test MSE':>9} {'acc':>6} {'<0.01 at':>9} "
          f"{'grad t=1 start':>15} {'grad t=1 end':>13} {'s':>6}")
    for T in [int(t) for t in args.seq_len.split(",")]:
        for seed in [int(s) for s in args.seeds.split(",")]:
            for arm in arms:
                row = run_arm(arm, T, args.steps, seed)
                print(f"{arm:15} {T:4d} {seed:4d} {row['test_mse']:9.4f} {row['test_accuracy']:6.1%} "
                      f"{str(row['below_0.01_at'] or '-'):>9} {row['grad_t1_start']:15.3g} {row['grad_t1_end']:13.3g} "
                      f"{row['seconds']:6.0f}", flush=True)
                if args.out:
                    with open(args.out, "a", encoding="utf-8") as f:
                        f.write(json.dumps({k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                                            for k, v in row.items()}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
