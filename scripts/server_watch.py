"""What a running Streamlit server does under load, seen from outside: memory, CPU, and a canary client.

Used by scripts/load_test.py. Everything is read from /proc (no psutil): the server's peak resident
set (VmHWM), the RSS of it and its children, its CPU time, how many of its threads are runnable (want
a core) and the whole machine's busy time. The canary opens a fresh session over Streamlit's own
websocket protocol, with no browser, and times the server alone: request -> first chart message ->
script finished.
"""
from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(path: Path) -> list[str]:
    """Fields of a /proc .../stat file after the command name: [0] state, [1] ppid, [11] utime, [12] stime."""
    return path.read_text().rsplit(")", 1)[1].split()


def tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                children.setdefault(int(_stat_fields(proc / "stat")[1]), []).append(int(proc.name))
            except OSError:
                continue
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


def child_pid(port: int) -> int:
    """PID of this process's child `streamlit run ... --server.port <port>` (or `python -m scripts.serve ...`)."""
    for pid in tree(os.getpid())[1:]:
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        command = b" ".join(args)
        if (b"streamlit" in command or b"scripts.serve" in command) and str(port).encode() in args:
            return pid
    raise RuntimeError(f"no streamlit child on port {port}")


def status_kb(pid: int, key: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE).group(1))


def cpu_seconds(pids: list[int]) -> float:
    """user + system CPU time of these processes (those still alive)."""
    total = 0
    for p in pids:
        try:
            total += sum(int(x) for x in _stat_fields(Path(f"/proc/{p}/stat"))[11:13])
        except OSError:
            continue
    return total / TICK


def runnable_threads(pid: int) -> int:
    """Threads of pid in state R (running or waiting for a core); a thread waiting for the GIL sleeps (S)."""
    count = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            count += _stat_fields(task / "stat")[0] == "R"
        except OSError:
            continue
    return count


def machine_busy_seconds() -> float:
    """CPU time all cores spent outside idle and iowait since boot."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / TICK


class Watch(threading.Thread):
    """Every `every` s until `done` is set: peak RSS of the server's tree, its runnable threads, CPU times."""

    def __init__(self, server: int, every: float = 0.5):
        super().__init__(daemon=True)
        self.server, self.every, self.done = server, every, threading.Event()
        self.peak_kb, self.runnable, self.samples = 0, 0, 0
        self.started = time.monotonic()
        self.start_cpu = (cpu_seconds([server]), cpu_seconds(tree(os.getpid())), machine_busy_seconds())
        self.server_cpu = self.test_cpu = 0.0

    def run(self) -> None:
        while not self.done.wait(self.every):
            rss = 0
            for p in tree(self.server):
                try:
                    rss += status_kb(p, "VmRSS")
                except (OSError, AttributeError):
                    continue
            self.peak_kb = max(self.peak_kb, rss)
            self.runnable, self.samples = self.runnable + runnable_threads(self.server), self.samples + 1
            self.server_cpu = cpu_seconds([self.server]) - self.start_cpu[0]
            self.test_cpu = max(self.test_cpu, cpu_seconds(tree(os.getpid())) - self.start_cpu[1])

    def summary(self) -> str:
        wall = time.monotonic() - self.started
        machine = machine_busy_seconds() - self.start_cpu[2]
        return (f"CPU over {wall:.0f} s on {os.cpu_count()} cores: server {self.server_cpu:.0f} core-s "
                f"({self.server_cpu / wall:.2f} cores; {self.runnable / max(self.samples, 1):.2f} of its threads "
                f"runnable on average), this test incl. browsers {self.test_cpu:.0f} core-s, whole machine "
                f"{machine:.0f} core-s (other jobs: about {max(0.0, machine - self.test_cpu):.0f} core-s)")


async def canary(url: str, query: str, timeout: float = 120.0) -> tuple[float | None, float]:
    """A fresh session of the app at `url` with `query`: (s to the first chart message, s to script end)."""
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_script_hash = ""
    async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=None, open_timeout=timeout) as ws:
        start, first_chart = time.perf_counter(), None
        await ws.send(msg.SerializeToString())
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await asyncio.wait_for(ws.recv(), timeout))
            kind = reply.WhichOneof("type")
            if (first_chart is None and kind == "delta" and reply.delta.WhichOneof("type") == "new_element"
                    and reply.delta.new_element.WhichOneof("type") == "plotly_chart"):
                first_chart = time.perf_counter() - start
            if kind == "script_finished":
                return first_chart, time.perf_counter() - start

