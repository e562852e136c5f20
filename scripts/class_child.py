"""`make class`'s launcher as a child process, for the tests and the load runs: `started(processes)` -> `Running`.

    with started(2, extra=["--class-dir", d1, "--probe-cache", d2]) as run:
        run.url, run.teacher, run.students, run.ports, run.pids()

It starts `python -m scripts.class_serve` on loopback and a free port, waits for the proxy and every Streamlit
process to answer their health checks, and stops the launcher with SIGTERM at the end (its own cleanup).
"""
from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from .browser import free_port, healthy
from .class_serve import ROOT, STOP_GRACE_S


@dataclass
class Running:
    """A launcher started by `started()`: its Popen, the proxy's URL, the two links, and per process its port."""

    proc: subprocess.Popen
    url: str
    teacher: str
    students: str
    ports: list
    lines: list  # every line it printed so far (a reader thread appends)

    def pids(self) -> list[int]:
        """The current PID of each Streamlit process, in order (a restart changes one)."""
        pids = {}
        for line in self.lines:
            for match in re.finditer(r"^process (\d+): s\d+ on .*, pid (\d+)$|^s(\d+): started again, pid (\d+) ",
                                     line):
                index, pid = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
                pids[int(index) - 1] = int(pid)
        return [pids[i] for i in range(len(self.ports))]


@contextlib.contextmanager
def started(processes: int = 2, timeout: float = 240.0, extra: list[str] | None = None):
    """`python -m scripts.class_serve` on loopback and a free port, as a child; yields `Running` once the proxy
    and every Streamlit process answer their health checks; SIGTERM (the launcher's own cleanup) at the end."""
    port = free_port()
    cmd = [sys.executable, "-m", "scripts.class_serve", "--address", "127.0.0.1", "--port", str(port),
           "--processes", str(processes), *(extra or [])]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(line.rstrip("\n") for line in proc.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        while len([l for l in lines if l.startswith("process ")]) < processes or len(lines) < 2:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the launcher did not start (exit {proc.poll()}): " + "\n".join(lines[-20:]))
            time.sleep(0.1)
        ports = [int(re.search(r"127\.0\.0\.1:(\d+)", l).group(1)) for l in lines if l.startswith("process ")]
        url = f"http://127.0.0.1:{port}"
        while not (all(healthy(f"http://127.0.0.1:{p}") for p in ports) and healthy(url)):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"not healthy within {timeout:.0f} s (exit {proc.poll()}): " + "\n".join(lines[-20:]))
            time.sleep(0.3)
        time.sleep(2.5)  # HAProxy's next check (every 2 s) has seen each process up
        yield Running(proc, url, lines[0].split(" ", 1)[1], lines[1].split(" ", 1)[1], ports, lines)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_GRACE_S + 20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        reader.join(timeout=5)
