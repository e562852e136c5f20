"""Benchmark of models.sweep: probes per second here, on a local pool and on a Dask cluster, side by side.

    python -m bench.sweep [--scales 20] [--seq-len 100,300] [--hidden-size 32] [--batch-size 8]

One grid (RNN, LSTM, GRU x weight scales x lengths), run in one go:
- a lone `probe()` per point, one torch thread (the per-probe cost without the sweep around it);
- `sweep(workers=1)`: the same probes, summarised, in this process;
- `sweep(workers=2)`: a local process pool (target: >= 1.6x one worker);
- the same through Dask's own in-process LocalCluster with 2 worker processes on loopback
  (target: >= 0.8x the local pool).
Pools and the cluster are started and warmed up (torch imported, one small sweep) before timing;
the four runs alternate, --reps rounds, and the shortest of each is shown.
Figures depend on the machine's load: the load average is printed with them.
"""
from __future__ import annotations

import argparse
import os
import time

import torch

from models.config import ProbeConfig
from models.probe import probe
from models.sweep import default_chunk_size, local_pool, plan, sweep


def lone_probes(configs) -> None:
    """probe() on each config, one torch thread, nothing else around it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for cfg in configs:
            probe(cfg)
    finally:
        torch.set_num_threads(threads)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, default=20, help="weight scales from 0.5 to 1.5 (default 20)")
    parser.add_argument("--seq-len", default="100,300", help="lengths, comma-separated (default 100,300)")
    parser.add_argument("--hidden-size", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--chunk-size", type=int, default=None, help="probes per task (default: sweep's own choice)")
    parser.add_argument("--reps", type=int, default=3, help="rounds of the four runs, the shortest of each is shown (default 3)")
    args = parser.parse_args(argv)
    base = ProbeConfig(hidden_size=args.hidden_size, batch_size=args.batch_size)
    axes = {"cell": ["rnn", "lstm", "gru"], "seq_len": [int(t) for t in args.seq_len.split(",")],
            "weight_scale": [round(0.5 + k / max(args.scales - 1, 1), 6) for k in range(args.scales)]}
    p = plan(base, axes)
    n = len(p.probes)
    warm = {"cell": ["rnn", "lstm", "gru"], "seq_len": [10], "weight_scale": [1.0, 1.1]}
    chunk = args.chunk_size or default_chunk_size(n)
    print(f"torch {torch.__version__}; grid: {p.describe()}; {chunk} probes per task")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    import dask
    from distributed import Client, LocalCluster

    with local_pool(2) as pool, \
            dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                         worker_dashboard_address=None, silence_logs=40) as cluster, Client(cluster) as client:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        for cell in ("rnn", "lstm", "gru"):  # torch's first-call costs, outside the timings
            probe(base.replace(cell=cell, seq_len=10))
        torch.set_num_threads(threads)
        sweep(base, warm, workers=pool)  # both pool processes started and warm
        sweep(base, warm, scheduler=client)  # both Dask workers too
        runs = {
            "lone": lambda: lone_probes(p.probes),
            "one": lambda: sweep(base, axes, workers=1, chunk_size=args.chunk_size),
            "two": lambda: sweep(base, axes, workers=pool, chunk_size=args.chunk_size),
            "dask": lambda: sweep(base, axes, scheduler=client, chunk_size=args.chunk_size),
        }
        times = {k: [] for k in runs}
        for _ in range(args.reps):  # interleaved, so every way sees the same machine load
            for k, fn in runs.items():
                start = time.perf_counter()
                fn()
                times[k].append(time.perf_counter() - start)
    lone, one, two, on_dask = (min(times[k]) for k in runs)

    rate = lambda seconds: n / seconds
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'run':34} {'seconds':>8} {'probes/s':>9} {'ratio':>22}")
    print(f"{'lone probe() x ' + str(n):34} {lone:8.2f} {rate(lone):9.1f} {'':>22}")
    print(f"{'sweep, 1 local worker':34} {one:8.2f} {rate(one):9.1f} {f'{one / lone:.2f}x lone per probe':>22}")
    print(f"{'sweep, 2 local workers (pool)':34} {two:8.2f} {rate(two):9.1f} {f'{one / two:.2f}x one (>= 1.6)':>22}")
    print(f"{'sweep, Dask LocalCluster, 2 workers':34} {on_dask:8.2f} {rate(on_dask):9.1f} {f'{two / on_dask:.2f}x pool (>= 0.8)':>22}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
