"""Benchmark of training mode: does a preset show its lesson in time, and what do the snapshots cost?

    python -m bench.train                      # the adding preset, then the overhead ratio
    python -m bench.train --preset recall_short --overhead-steps 0

Part 1 trains the preset's cells together (as the app does) and prints, per cell, the test loss and
metric on fresh samples, the training seconds, and the first step at which the 50-step running mean
of the training loss fell below --target. Part 2 times, side by side in one process, the same number
of steps of (a) a bare PyTorch loop (forward, backward, clip, Adam), (b) the Trainer without
snapshots and (c) the Trainer with a gradient-flow snapshot every k steps; it prints (c)/(a) and
(c)/(b), medians over --reps interleaved repetitions. Timings, not tests: nothing here asserts.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from models.training import PRESETS, TrainConfig, Trainer, task_loss


def first_below(loss: list, target: float, window: int = 50) -> int | None:
    """First step s (1-based) with mean(loss[s-window:s]) < target, or None."""
    v = np.asarray(loss, dtype=np.float64)
    if len(v) < window:
        return None
    running = np.convolve(v, np.ones(window) / window, mode="valid")  # running[i] = mean(v[i : i+window])
    hits = np.flatnonzero(running < target)
    return int(hits[0]) + window if len(hits) else None


def bare_loop_seconds(cfg: TrainConfig, steps: int) -> float:
    """(a) the loop every training script has: same models, same batches, no recording at all."""
    trainer = Trainer(cfg)
    gen = torch.Generator().manual_seed(cfg.seed)
    start = time.perf_counter()
    for _ in range(steps):
        x, y = trainer.task.batch(cfg.batch_size, gen)
        for cell, net in trainer.nets.items():
            opt = trainer.optims[cell]
            opt.zero_grad(set_to_none=True)
            task_loss(trainer.task, net(x), y).backward()
            if cfg.clip:
                torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.clip_value)
            opt.step()
    return time.perf_counter() - start


def trainer_seconds(cfg: TrainConfig) -> float:
    """(b)/(c) the Trainer's loop time (without the final test on fresh samples)."""
    return Trainer(cfg).run().seconds


def run_preset(cfg: TrainConfig, target: float) -> None:
    print(f"preset: {cfg}")
    trainer = Trainer(cfg).run()
    print(f"  {trainer.step} steps in {trainer.seconds:.1f} s (stopped by {trainer.stopped_by}); "
          f"test on {cfg.eval_samples} fresh samples; best constant predictor's loss {trainer.task.baseline_loss:.4f}")
    print(f"  {'cell':<15} {'test loss':>10} {'test ' + trainer.task.metric:>14} {'train s':>8} "
          f"{'step loss<' + format(target, 'g'):>14}")
    for cell, h in trainer.history.items():
        hit = first_below(h.loss, target)
        print(f"  {cell:<15} {h.test['loss']:>10.4f} {h.test['metric']:>14.3f} {h.seconds:>8.1f} "
              f"{'never' if hit is None else hit:>14}" + (f"  (diverged at {h.diverged_at})" if h.diverged_at else ""))


def run_overhead(cfg: TrainConfig, steps: int, every: int, reps: int) -> None:
    base = cfg.replace(steps=steps, max_seconds=3600)
    plain, no_snap, snap = [], [], []
    for _ in range(reps):  # interleaved, so a busy moment on the machine hits all three alike
        plain.append(bare_loop_seconds(base, steps))
        no_snap.append(trainer_seconds(base.replace(snapshot_every=10_000)))
        snap.append(trainer_seconds(base.replace(snapshot_every=every)))
    a, b, c = (statistics.median(t) for t in (plain, no_snap, snap))
    print(f"overhead, {steps} steps of {', '.join(cfg.cells)} (T={cfg.seq_len}, H={cfg.hidden_size}, "
          f"B={cfg.batch_size}), median of {reps}:")
    print(f"  {'(a) bare PyTorch loop':<34} {a:7.2f} s")
    print(f"  {'(b) Trainer, no snapshots':<34} {b:7.2f} s   ratio b/a {b / a:.3f}")
    print(f"  {f'(c) Trainer, snapshot every {every}':<34} {c:7.2f} s   ratio c/a {c / a:.3f}   c/b {c / b:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.train", description=__doc__.split("\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="adding", help="preset (default %(default)s)")
    parser.add_argument("--seed", type=int, help="override the preset's seed")
    parser.add_argument("--target", type=float, default=0.01, help="training-loss level to report (default %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads, as in the app (default %(default)s)")
    parser.add_argument("--overhead-steps", type=int, default=300, help="steps per overhead timing; 0 skips it")
    parser.add_argument("--every", type=int, default=PRESETS["adding"].snapshot_every, help="snapshot interval k")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of the overhead timing (default %(default)s)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = PRESETS[args.preset] if args.seed is None else PRESETS[args.preset].replace(seed=args.seed)
    run_preset(cfg, args.target)
    if args.overhead_steps:
        run_overhead(cfg, args.overhead_steps, args.every, args.reps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
