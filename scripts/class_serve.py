"""`make class`: N warmed Streamlit processes behind HAProxy, one class created, its two links printed first.

    python -m scripts.class_serve [--port 8501] [--processes N] [--address 0.0.0.0] [--class-dir DIR]

1. Creates a class in the shared store (`classroom.ClassStore`) and prints, as the first two lines of output,
   `Teacher: http://HOST:PORT/lesson?class=CODE&key=SECRET` and `Students: http://HOST:PORT/lesson?class=CODE`
   (HOST: this machine's LAN address where it has one, else 127.0.0.1).
2. Starts N Streamlit processes (default: one per core), each as `make run` starts one (`scripts.serve`: warmed,
   gc frozen, no file watching) plus headless, uploads capped at 50 MB and no collection after each run
   (STREAMLIT_OPTIONS), on loopback ports, and HAProxy
   (`scripts.proxy`) on address:port in front of them, its configuration in a temporary directory.
3. Supervises: a process that exits is started again on its port (HAProxy's health check takes it out meanwhile
   and sends its browsers' next requests elsewhere); HAProxy too. Ctrl-C or SIGTERM stops everything: HAProxy
   first, then each Streamlit process's whole process group (SIGTERM, SIGKILL after 10 s), then the temporary
   directory goes. Children also get SIGTERM if this launcher is killed outright (PR_SET_PDEATHSIG).

Every process shares the class store and the probe cache on disk (`ui.disk_cache`), so identical probe settings
are computed once per machine. Each Streamlit process gets cores // N torch threads (at least 1).
"""
from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import proxy
from .browser import free_port, healthy

ROOT = Path(__file__).resolve().parent.parent
# As `make run`, plus headless, uploads capped at 50 MB, and no full garbage collection after every script run
# (runner.postScriptGC): it walks every live session's objects, ~10 ms a run with 30 students, and a student's page
# reruns a poll fragment every second. Class profile, 30 students, 1 process, two A/B pairs in one run: poll p50
# 124-167 -> 46-47 ms, a student's page rerun p50 539-598 -> 271-278 ms, server CPU 16-19 -> 13-15 core-s a
# minute. Python's own generational collector still frees cycles (memory: `scripts.ws_load --seconds 1800`).
STREAMLIT_OPTIONS = ["--server.address", "127.0.0.1", "--server.headless", "true", "--server.maxUploadSize", "50",
                     "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
                     "--runner.postScriptGC", "false"]
FAILED_START_S = 30.0  # a process that exits sooner than this after its start failed to start
MAX_FAILED_STARTS = 5  # in a row: then the launcher gives up rather than loop
STOP_GRACE_S = 10.0
PROBE_CACHE_ENV = "GRADIENT_FLOW_PROBE_CACHE"  # read by ui.disk_cache: the probe cache's directory
PUBLIC_URL_ENV = "GRADIENT_FLOW_PUBLIC_URL"  # read by the teacher's page: the address students reach (its QR code)


def cores() -> int:
    return len(os.sched_getaffinity(0))


def interface_addresses() -> list[str]:
    """The IPv4 addresses of this machine's network interfaces, loopback included (ioctl SIOCGIFADDR)."""
    found = []
    for _, name in socket.if_nameindex():
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            request = struct.pack("256s", name.encode()[:15])
            found.append(socket.inet_ntoa(fcntl.ioctl(s.fileno(), 0x8915, request)[20:24]))  # SIOCGIFADDR
    return found


def lan_address() -> str:
    """This machine's address on its network: the source address of its default route, else (a laptop running
    its own Wi-Fi hotspot has no default route) its first non-loopback interface address, else 127.0.0.1.
    A UDP socket's connect() only picks a route: nothing is sent."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # TEST-NET-1: routed like any address beyond the LAN, never answered
        address = s.getsockname()[0]
        if not address.startswith("127.") and address != "0.0.0.0":
            return address
    return next((a for a in interface_addresses() if not a.startswith("127.")), "127.0.0.1")


def link_host(address: str) -> str:
    """The host in the printed links: the LAN address when listening on every interface."""
    return lan_address() if address in ("0.0.0.0", "") else address


def port_free(address: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def _die_with_parent() -> None:
    """In the child, before exec: its own process group (the launcher stops it as a whole), and SIGTERM when the
    launcher dies, however it dies."""
    os.setsid()
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:  # the launcher died before prctl took effect
        os._exit(1)


@dataclass
class Child:
    """One supervised process: how to start it, its Popen, and its restart history."""

    name: str
    command: list[str]
    log: Path
    env: dict
    proc: subprocess.Popen | None = None
    started: float = 0.0
    failed_starts: int = 0
    restarts: int = 0

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        self.started = time.monotonic()

    def tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)  # the process and whatever it started (a sweep's pool)


class Launcher:
    """The processes of one `make class`: build, start, supervise, stop."""

    def __init__(self, args, workdir: Path, public_url: str):
        self.args, self.workdir = args, workdir
        self.ports = [free_port() for _ in range(args.processes)]
        threads = max(1, cores() // args.processes)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": str(threads), PUBLIC_URL_ENV: public_url,
               PROBE_CACHE_ENV: "" if args.no_probe_cache else str(args.probe_cache)}
        if args.class_dir:
            env["GRADIENT_FLOW_CLASS_DIR"] = str(args.class_dir)
        self.streamlits = [
            Child(proxy.server_name(i), [sys.executable, "-m", "scripts.serve", *STREAMLIT_OPTIONS,
                                         "--server.port", str(p)], workdir / f"streamlit-{i + 1}.log", env)
            for i, p in enumerate(self.ports)]
        cfg = workdir / "haproxy.cfg"
        cfg.write_text(proxy.config(args.address, args.port, self.ports))
        self.haproxy = Child("haproxy", [proxy.haproxy_binary(), "-f", str(cfg), "-db"], workdir / "haproxy.log",
                             dict(os.environ))
        self.stopping = False

    def start(self) -> None:
        self.haproxy.start()
        for child in self.streamlits:
            child.start()
        for i, (child, port) in enumerate(zip(self.streamlits, self.ports)):
            print(f"process {i + 1}: {child.name} on 127.0.0.1:{port}, pid {child.proc.pid}", flush=True)
        print(f"proxy: haproxy on {self.args.address}:{self.args.port}, pid {self.haproxy.proc.pid}; "
              f"logs and config in {self.workdir}", flush=True)

    def supervise(self, poll: float = 0.5) -> int:
        """Restart whatever exits, until stopped (returns 0) or a process keeps failing to start (returns 1).
        Says once when every Streamlit process first answers its health check."""
        waiting = set(self.ports)
        while not self.stopping:
            if waiting:
                waiting = {p for p in waiting if not healthy(f"http://127.0.0.1:{p}", timeout=0.5)}
                if not waiting:
                    print(f"ready: {len(self.ports)} Streamlit process(es) answer", flush=True)
            for child in [self.haproxy, *self.streamlits]:
                code = child.proc.poll()
                if code is None or self.stopping:
                    continue
                quick = time.monotonic() - child.started < FAILED_START_S
                child.failed_starts = child.failed_starts + 1 if quick else 0
                print(f"{child.name} (pid {child.proc.pid}) exited with code {code}; "
                      + ("giving up after repeated failed starts" if child.failed_starts >= MAX_FAILED_STARTS
                         else "starting it again"), flush=True)
                if child.failed_starts >= MAX_FAILED_STARTS:
                    print(child.tail(), file=sys.stderr, flush=True)
                    return 1
                if quick:
                    time.sleep(min(30.0, 2.0 ** child.failed_starts))  # back off a process that will not start
                child.start()
                child.restarts += 1
                print(f"{child.name}: started again, pid {child.proc.pid} (restart {child.restarts})", flush=True)
            time.sleep(poll)
        return 0

    def stop(self) -> None:
        """HAProxy first (no new requests), then every Streamlit process group; SIGKILL whatever outlives the grace."""
        self.stopping = True
        children = [self.haproxy, *self.streamlits]
        for child in children:
            child.stop()
        deadline = time.monotonic() + STOP_GRACE_S
        for child in children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.stop(signal.SIGKILL)
                child.proc.wait()
            with contextlib.suppress(ProcessLookupError, PermissionError):  # its group's stragglers
                os.killpg(child.proc.pid, signal.SIGKILL)


def parse(argv=None):
    parser = argparse.ArgumentParser(prog="python -m scripts.class_serve", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8501, help="the port students connect to (default 8501)")
    parser.add_argument("--address", default="0.0.0.0", help="the proxy's listening address (default: every "
                                                             "interface; 127.0.0.1 for this machine only)")
    parser.add_argument("--processes", type=int, default=cores(), help=f"Streamlit processes (default: one per "
                                                                       f"core, here {cores()})")
    parser.add_argument("--class-dir", type=Path, default=None, help="the class store's directory (default: "
                        "$GRADIENT_FLOW_CLASS_DIR, else ~/.cache/gradient-flow/class)")
    parser.add_argument("--probe-cache", type=Path, default=None, help="the probe cache's directory (default: "
                        f"${PROBE_CACHE_ENV}, else ~/.cache/gradient-flow/probes)")
    parser.add_argument("--no-probe-cache", action="store_true", help="no probe cache on disk: each process computes "
                                                                      "its own probes")
    args = parser.parse_args(argv)
    if not 1 <= args.processes <= 64:
        parser.error("--processes must be 1-64")
    if not 1 <= args.port <= 65535:
        parser.error("--port must be 1-65535")
    args.probe_cache = (args.probe_cache or Path(os.environ.get(PROBE_CACHE_ENV) or "~/.cache/gradient-flow/probes")
                        ).expanduser()
    return args


class _Stop(Exception):
    pass


def _on_signal(signum, frame):
    raise _Stop(signal.Signals(signum).name)


def main(argv=None) -> int:
    args = parse(argv)
    if not port_free(args.address, args.port):
        print(f"port {args.port} on {args.address} is in use: stop what uses it, or pick another "
              f"(make class PORT=8502)", file=sys.stderr)
        return 2
    try:
        proxy.haproxy_binary()
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    from classroom import ClassStore, links  # standard library only: no torch, no Streamlit here
    try:
        code, secret = ClassStore(args.class_dir).create_class()
    except ValueError as exc:  # the store's cap on classes
        print(exc, file=sys.stderr)
        return 2
    public_url = f"http://{link_host(args.address)}:{args.port}"
    teacher, students = links(public_url, code, secret)
    print(f"Teacher: {teacher}\nStudents: {students}", flush=True)

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    with tempfile.TemporaryDirectory(prefix="gradient-flow-class-") as tmp:
        launcher, code = None, 1
        try:
            launcher = Launcher(args, Path(tmp), public_url)
            launcher.start()
            print("Give the students' link to the class (the teacher's link holds the key: keep it). "
                  "Ctrl-C stops the class.", flush=True)
            code = launcher.supervise()
        except _Stop as stop:
            print(f"{stop}: stopping", flush=True)
            code = 0
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the cleanup
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            if launcher is not None:
                launcher.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
