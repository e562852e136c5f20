"""The monitor's overhead: the same training loop with and without GradientFlowMonitor, side by side.

    python -m bench.monitor [--every 25] [--steps 100] [--rounds 3] [--seq-len 100] [--hidden 64]

An embedding + LSTM + linear head on random token batches, Adam; the rounds alternate (plain, monitored,
plain, ...) so a busy machine slows both alike. Prints seconds per step of each round, the medians and
their ratio. The monitored loop also writes its JSON-lines log (not TensorBoard: that is the writer's own cost).
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import torch
from torch import nn

from models.monitor import GradientFlowMonitor


class Model(nn.Module):
    def __init__(self, vocab: int, emb: int, hidden: int, classes: int):
        super().__init__()
        self.emb, self.lstm, self.fc = nn.Embedding(vocab, emb), nn.LSTM(emb, hidden, batch_first=True), nn.Linear(hidden, classes)

    def forward(self, ids):  # (B, T) -> (B, K)
        out, _ = self.lstm(self.emb(ids))
        return self.fc(out[:, -1])


def run(steps: int, every: int | None, seq_len: int, hidden: int, batch: int, log_dir: str) -> float:
    """Seconds per training step over `steps` steps (monitored every `every` steps if given)."""
    torch.manual_seed(0)
    model = Model(50, 16, hidden, 10)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    gen = torch.Generator().manual_seed(1)
    data = [(torch.randint(0, 50, (batch, seq_len), generator=gen), torch.randint(0, 10, (batch,), generator=gen))
            for _ in range(8)]
    mon = GradientFlowMonitor(model.lstm, every=every, log_file=os.path.join(log_dir, "m.jsonl")) if every else None
    start = time.perf_counter()
    for step in range(steps):
        ids, y = data[step % len(data)]
        loss = nn.functional.cross_entropy(model(ids), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
    if mon is not None:
        mon.close()
    return (time.perf_counter() - start) / steps


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.monitor", description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, default=25)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seq-len", type=int, default=100)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    a = ap.parse_args(argv)
    plain, monitored = [], []
    with tempfile.TemporaryDirectory() as tmp:
        run(5, None, a.seq_len, a.hidden, a.batch, tmp)  # warm-up
        for _ in range(a.rounds):
            plain.append(run(a.steps, None, a.seq_len, a.hidden, a.batch, tmp))
            monitored.append(run(a.steps, a.every, a.seq_len, a.hidden, a.batch, tmp))
    print(f"LSTM H={a.hidden}, T={a.seq_len}, batch {a.batch}, {a.steps} steps per round, monitor every {a.every}, "
          f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"{'round':>5}  {'plain ms/step':>14}  {'monitored ms/step':>18}")
    for i, (p, m) in enumerate(zip(plain, monitored), start=1):
        print(f"{i:>5}  {p * 1e3:>14.2f}  {m * 1e3:>18.2f}")
    p, m = statistics.median(plain), statistics.median(monitored)
    print(f"median {p * 1e3:>13.2f}  {m * 1e3:>18.2f}   overhead {100 * (m / p - 1):+.1f}%")


if __name__ == "__main__":
    main()
