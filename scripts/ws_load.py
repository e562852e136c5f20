"""Load generator that does not render: N clients of Streamlit's own WebSocket protocol against one server.

    python -m scripts.ws_load [--clients 30] [--seconds 600] [--browsers 2] [--trainings 0] [--url URL --pid PID]
    python -m scripts.ws_load --processes 1,2 [...]    # through `make class`'s proxy: 1 process, then 2, one table
    python -m scripts.ws_load --profile class --clients 60 --processes 1,2   # a teacher and 60 students (ws_class)

Each client opens a session of the explorer (a fresh seed each), then repeats until --seconds: one widget
change (sequence length, hidden size or batch size: a rerun carrying the new widget state, as a browser
sends it), the wait until the server reports the script run finished, a think pause. It times the
change -> first chart message and change -> script finished, and checks the change was taken (the page's
URL, which mirrors every setting, comes back with the new value). Errors: exception elements, a run not
finished within --timeout, a change the page did not take, a closed connection. Every --rss-every s the
server's resident memory (its process tree, from /proc) is printed. Optionally --trainings users train on
the Train tab and --browsers real headless Chromiums change sliders and presets (scripts/load_test.py's
users, in a child process at the lowest CPU priority) as canaries of what a person sees.

Loopback only, bounded: --clients 1-60, --seconds 5-3600, and the whole run stops by itself within
--seconds + 2 x --timeout + 60 s (for each process count). Without --url it starts its own server as `make run`
does (scripts.serve) and stops it. With --processes N,M,... it starts `make class`'s launcher
(scripts.class_serve: N Streamlit processes behind HAProxy, a fresh class store and probe cache each time) on a
free loopback port for each count in turn, drives its proxy, and ends with the counts side by side; memory and
CPU are then the launcher's whole process tree (HAProxy and every Streamlit process).
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import time
import urllib.parse
import websockets

from . import ws_class
from .load_test import percentile
from .server_watch import child_pid
from .ws_session import Session, connect
from .ws_tally import CHANGES, Tally, memory_lines, watched

URL_NAMES = {"probe_seq_len": "seq_len", "probe_hidden_size": "hidden_size", "probe_batch_size": "batch_size"}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def taken(query: str, key: str, value: int) -> bool:
    """Whether the page's URL shows widget `key` at `value`."""
    return urllib.parse.parse_qs(query).get(URL_NAMES[key]) == [str(value)]


async def client(url: str, index: int, args, tally: Tally) -> None:
    """Open the explorer with seed = index, then change a slider every ~--pause s until --seconds."""
    await asyncio.sleep(index * args.stagger)
    rng, deadline = random.Random(index), time.monotonic() + args.seconds
    try:
        async with await connect(url, args.timeout) as ws:
            session = Session(ws, f"seed={index}")
            run = await session.rerun(args.timeout)
            tally.opens.append(run.finished)
            tally.open_bytes.append((run.received, run.chart_bytes))
            if run.exceptions or not set(CHANGES) <= set(run.widgets):
                tally.error("first run: exception or sliders missing", f"client {index}: {run.exceptions[:1]}")
                return
            while time.monotonic() < deadline:
                key = rng.choice(list(CHANGES))
                now = urllib.parse.parse_qs(session.query).get(URL_NAMES[key], [""])[0]
                value = rng.choice([v for v in CHANGES[key] if str(v) != now])
                session.set_slider(key, value)
                try:
                    run = await session.rerun(args.timeout)
                except TimeoutError:
                    tally.error("run not finished within timeout", f"client {index}: {key}={value}")
                    return  # the session may still be busy; a new change would measure the queue
                tally.finished.append(run.finished)
                tally.change_bytes.append((run.received, run.chart_bytes))
                if run.first_chart is not None:
                    tally.first_charts.append(run.first_chart)
                if run.exceptions:
                    tally.error("exception element", f"client {index}: {run.exceptions[0][:120]}")
                elif run.status != "FINISHED_SUCCESSFULLY":
                    tally.error(f"run ended {run.status}", f"client {index}: {key}={value}")
                elif not taken(run.query, key, value):
                    tally.error("change not taken", f"client {index}: {key}={value}, URL {run.query}")
                await asyncio.sleep(rng.uniform(0.5, 1.5) * args.pause)
    except (OSError, websockets.WebSocketException) as exc:
        tally.error(f"connection: {type(exc).__name__}", f"client {index}: {exc}")


async def run_clients(url: str, args, pid: int | None = None) -> Tally:
    """All clients against the server at `url`, with the memory watch; returns what they saw."""
    tally = Tally()
    return await watched([client(url, i, args, tally) for i in range(args.clients)], args, pid, tally)


def browser_users(url: str, args, out) -> None:
    """Child process: scripts/load_test.py's Chromium users (canaries) and training users, niced."""
    from . import load_test
    ns = argparse.Namespace(sessions=args.browsers, trainings=args.trainings, seconds=args.seconds, pause=args.pause,
                            stagger=2.0, timeout=args.timeout, client_nice=19)
    load_test.browsers(url, ns, out)


def check_url(url: str) -> str:
    host = urllib.parse.urlsplit(url).hostname
    if host not in LOOPBACK:
        raise ValueError(f"--url must be a loopback address (127.0.0.1, localhost or ::1), not {host!r}")
    return url.rstrip("/")


def report(args, tally: Tally, browsers=None) -> str:
    ms = lambda xs: [1000 * x for x in xs]
    kb = lambda pairs, i: f"{percentile([p[i] / 1000 for p in pairs], 50):.0f}"
    finished, first, opens = ms(tally.finished), ms(tally.first_charts), ms(tally.opens)
    lines = [
        f"{args.clients} WebSocket clients for {args.seconds:.0f} s, think time {args.pause:g} s",
        f"changes: {len(finished)}; change -> script finished p50 {percentile(finished, 50):.0f} ms, "
        f"p95 {percentile(finished, 95):.0f} ms, max {max(finished or [float('nan')]):.0f} ms; "
        f"-> first chart p50 {percentile(first, 50):.0f} ms, p95 {percentile(first, 95):.0f} ms",
        f"session opens: {len(opens)}; p50 {percentile(opens, 50):.0f} ms, p95 {percentile(opens, 95):.0f} ms",
        f"bytes received: first page p50 {kb(tally.open_bytes, 0)} KB (charts {kb(tally.open_bytes, 1)} KB); "
        f"a change p50 {kb(tally.change_bytes, 0)} KB (charts {kb(tally.change_bytes, 1)} KB)",
        f"errors: {sum(tally.errors.values())} {tally.errors or ''}" + "".join(f"\n  {d}" for d in tally.details),
    ]
    if tally.cpu is not None:
        runs = len(tally.finished) + len(tally.opens)
        lines.append(f"server CPU: {tally.cpu:.1f} core-s, {1000 * tally.cpu / max(runs, 1):.0f} ms a script run "
                     f"({runs} runs: opens and changes)")
    lines += memory_lines(tally)
    if browsers is not None:
        redraws = ms(browsers.redraws)
        lines.append(f"Chromium canaries: {len(redraws)} changes, change -> redrawn first chart p50 "
                     f"{percentile(redraws, 50):.0f} ms, p95 {percentile(redraws, 95):.0f} ms; errors "
                     f"{sum(browsers.errors.values())} {browsers.errors or ''}; trainings completed {len(browsers.trainings)}")
    return "\n".join(lines)


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=30, help="WebSocket clients (1-60)")
    parser.add_argument("--seconds", type=float, default=600.0, help="how long each client acts (5-3600)")
    parser.add_argument("--pause", type=float, default=1.0, help="mean think time between changes, s")
    parser.add_argument("--stagger", type=float, default=0.2, help="s between clients opening their session")
    parser.add_argument("--timeout", type=float, default=120.0, help="a run not finished after this is an error")
    parser.add_argument("--rss-every", type=float, default=60.0, help="s between memory readings")
    parser.add_argument("--browsers", type=int, default=None, help="headless Chromium canaries (0-4; default 2, "
                                                                   "none in the class profile)")
    parser.add_argument("--trainings", type=int, default=0, help="training users in Chromium (0-4)")
    parser.add_argument("--file-watcher", default="none",
                        help="server.fileWatcherType of the server it starts (default none, as `make class`: with "
                             "watching, an edit in the tree unloads modules under running sessions)")
    parser.add_argument("--url", default=None, help="a running server on loopback (default: start one)")
    parser.add_argument("--pid", type=int, default=None, help="that server's PID, for its memory")
    parser.add_argument("--profile", choices=("explorer", "class"), default="explorer",
                        help="explorer: every client changes the explorer's sliders at its own seed (the worst case); "
                             "class: a teacher and --clients students of one class (scripts/ws_class.py; needs "
                             "--processes)")
    parser.add_argument("--teacher-every", type=float, default=20.0, help="class profile: s between teacher changes")
    parser.add_argument("--explorers", type=float, default=0.2, help="class profile: share of students in the explorer")
    parser.add_argument("--processes", default=None, help="comma-separated counts of Streamlit processes (1-8 "
                        "each): start `make class`'s launcher with each in turn and drive its proxy")
    args = parser.parse_args(argv)
    if args.browsers is None:
        args.browsers = 0 if args.profile == "class" else 2
    if not (1 <= args.clients <= 60 and 5 <= args.seconds <= 3600 and 0 <= args.browsers <= 4
            and 0 <= args.trainings <= 4 and 1 <= args.timeout <= 600 and args.rss_every >= 1):
        parser.error("bounded on purpose: --clients 1-60, --seconds 5-3600, --browsers 0-4, --trainings 0-4, "
                     "--timeout 1-600, --rss-every >= 1")
    try:
        args.url = None if args.url is None else check_url(args.url)
        args.processes = [] if args.processes is None else [int(n) for n in args.processes.split(",")]
    except ValueError as exc:
        parser.error(str(exc))
    if not all(1 <= n <= 8 for n in args.processes) or len(args.processes) > 4 or (args.processes and args.url):
        parser.error("--processes: up to 4 counts of 1-8, and not with --url")
    if args.profile == "class" and not (args.processes and args.browsers == 0 and args.trainings == 0
                                        and 5 <= args.teacher_every <= 600 and 0 <= args.explorers <= 1):
        parser.error("--profile class runs through make class's launcher (--processes N[,M]), without browsers "
                     "(--browsers 0), with --teacher-every 5-600 and --explorers 0-1")
    return args


def drive(url: str, args, pid: int | None) -> tuple[Tally, object]:
    """The WebSocket clients, and the browser users in a child process if any: (their tally, the browsers')."""
    users, out = None, None
    if args.browsers or args.trainings:
        out = multiprocessing.get_context("fork").Queue()
        users = multiprocessing.get_context("fork").Process(target=browser_users, args=(url, args, out), daemon=True)
        users.start()
    tally = asyncio.run(run_clients(url, args, pid))
    browsers = None
    if users is not None:
        try:
            browsers = out.get(timeout=args.stagger * args.clients + 4 * args.timeout + 60)
        except Exception:  # queue.Empty: the browsers hung; the report says so
            tally.error("browser process failed or hung")
        users.join(timeout=10)
        if users.is_alive():
            users.terminate()
    return tally, browsers


def side_by_side(args, tallies: dict) -> str:
    """One row per process count: the figures to compare."""
    if args.profile == "class":
        return ws_class.side_by_side(args, tallies)
    rows = ["| Streamlit processes | changes | change -> finished p50 / p95 | errors | server CPU a run | "
            "memory, start -> end (peak) |", "|---|---|---|---|---|---|"]
    for n, tally in tallies.items():
        finished = [1000 * x for x in tally.finished]
        runs = len(tally.finished) + len(tally.opens)
        rss = [m for _, m in tally.rss] or [float("nan")]
        rows.append(f"| {n} | {len(finished)} | {percentile(finished, 50):.0f} / {percentile(finished, 95):.0f} ms | "
                    f"{sum(tally.errors.values())} | {1000 * (tally.cpu or 0) / max(runs, 1):.0f} ms | "
                    f"{rss[0]:.0f} -> {rss[-1]:.0f} ({max(rss):.0f}) MiB |")
    return f"{args.clients} clients, {args.seconds:.0f} s each run, think time {args.pause:g} s\n" + "\n".join(rows)


def through_proxy(args) -> None:
    """For each process count: `make class`'s launcher on loopback, the load through its proxy, its report."""
    import tempfile

    from .class_child import started
    tallies = {}
    for n in args.processes:
        with tempfile.TemporaryDirectory(prefix="ws-load-") as tmp:
            extra = ["--class-dir", f"{tmp}/class", "--probe-cache", f"{tmp}/probes"]
            with started(n, extra=extra) as run:
                print(f"== {n} Streamlit process(es) behind HAProxy at {run.url}", flush=True)
                if args.profile == "class":
                    tally = asyncio.run(ws_class.run_class(run.url, run.teacher, run.students, args, run.proc.pid))
                else:
                    tally, browsers = drive(run.url, args, run.proc.pid)
        print(ws_class.report(args, tally) if args.profile == "class" else report(args, tally, browsers), flush=True)
        tallies[n] = tally
    print(side_by_side(args, tallies))


def main(argv=None) -> None:
    args = parse(argv)
    if args.processes:
        through_proxy(args)
        return
    if args.url is not None:
        print(report(args, *drive(args.url, args, args.pid)))
        return
    from .browser import streamlit_server
    with streamlit_server(warm=True, watcher=args.file_watcher) as url:  # started as `make run` starts it
        print(report(args, *drive(url, args, child_pid(int(url.rsplit(":", 1)[1])))))


if __name__ == "__main__":
    main()
