"""What a load run keeps and watches, for both of `scripts.ws_load`'s profiles (the explorer's, and the class
profile in `scripts.ws_class`): `Tally`, what every client saw; `watched`, the clients run to their end while the
server's memory is read every --rss-every s and its CPU time measured; `memory_lines`, the memory report with its
growth after minute 5; `CHANGES`, the explorer sliders a client moves and their values.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from .server_watch import cpu_seconds, status_kb, tree

# widget key -> values a client moves it between (small enough that 30 clients stay in the server's caps)
CHANGES = {"probe_seq_len": (50, 80, 100, 150, 200, 300), "probe_hidden_size": (16, 24, 32, 48, 64),
           "probe_batch_size": (4, 8, 16)}


@dataclass
class Tally:
    """What every client saw; appended to from one event loop, so no lock is needed."""

    opens: list = field(default_factory=list)  # s from a new session's first rerun to its script finished
    first_charts: list = field(default_factory=list)  # s from a change to the first chart message
    finished: list = field(default_factory=list)  # s from a change to script finished
    open_bytes: list = field(default_factory=list)  # (all, charts) bytes of each session's first page
    change_bytes: list = field(default_factory=list)  # (all, charts) bytes of each change's rerun
    errors: dict = field(default_factory=dict)
    details: list = field(default_factory=list)
    rss: list = field(default_factory=list)  # (s since start, MiB)
    cpu: float | None = None  # CPU seconds the server's process tree used during the run
    # the class profile (scripts/ws_class.py): s per kind of run, s from a teacher's change to a student at it
    runs: dict = field(default_factory=dict)
    follow: list = field(default_factory=list)
    followed: dict = field(default_factory=dict)  # student index -> changes it caught up with
    expected_follows: int = 0
    changes: int = 0

    def error(self, kind: str, detail: str = "") -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if detail and len(self.details) < 20:
            self.details.append(f"{kind}: {detail}")


def rss_mib(pid: int) -> float:
    """Resident memory of pid and its children, MiB."""
    total = 0
    for p in tree(pid):
        try:
            total += status_kb(p, "VmRSS")
        except (OSError, AttributeError):
            continue
    return total / 1024


async def watch_memory(pid: int | None, every: float, tally: Tally, start: float) -> None:
    """Every `every` s: the server's RSS, printed and kept."""
    while pid is not None:
        await asyncio.sleep(every)
        tally.rss.append((time.monotonic() - start, rss_mib(pid)))
        print(f"  {tally.rss[-1][0]:6.0f} s  server RSS {tally.rss[-1][1]:.0f} MiB", flush=True)


async def watched(users: list, args, pid: int | None, tally: Tally) -> Tally:
    """Run the clients' coroutines to their end (bounded), reading the server's memory meanwhile and its CPU time."""
    start = time.monotonic()
    cpu_before = None if pid is None else cpu_seconds(tree(pid))
    memory = asyncio.create_task(watch_memory(pid, args.rss_every, tally, start))
    try:
        await asyncio.wait_for(asyncio.gather(*users), args.seconds + args.stagger * args.clients + 2 * args.timeout)
    except TimeoutError:
        tally.error("clients still running at the run's bound")
    memory.cancel()
    if pid is not None:
        tally.rss.append((time.monotonic() - start, rss_mib(pid)))
        tally.cpu = cpu_seconds(tree(pid)) - cpu_before
    return tally


def memory_growth(rss: list, after: float = 300.0) -> tuple[float, float, float] | None:
    """Growth of the readings taken after `after` s: (last against first, %; least-squares trend over the span, %
    of their mean; the trend's slope, MiB a minute). One reading can sit 5% off the trend (a collection, a burst of
    reruns), so the trend is the steadier figure. None with fewer than 3 readings."""
    points = [(t, m) for t, m in rss if t >= after]
    if len(points) < 3:
        return None
    n, mean_t, mean_m = len(points), sum(t for t, _ in points) / len(points), sum(m for _, m in points) / len(points)
    slope = sum((t - mean_t) * (m - mean_m) for t, m in points) / sum((t - mean_t) ** 2 for t, _ in points)
    span = points[-1][0] - points[0][0]
    return 100 * (points[-1][1] / points[0][1] - 1), 100 * slope * span / mean_m, 60 * slope


def memory_lines(tally: Tally) -> list[str]:
    if not tally.rss:
        return []
    lines = ["server RSS: " + ", ".join(f"{t:.0f} s {m:.0f} MiB" for t, m in tally.rss)]
    growth = memory_growth(tally.rss)
    if growth is not None:
        lines.append(f"  growth after the first 5 minutes: last reading against the first {growth[0]:+.1f}%; "
                     f"least-squares trend {growth[1]:+.1f}% ({growth[2]:+.1f} MiB a minute)")
    return lines
