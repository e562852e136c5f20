"""Load test on loopback: one `streamlit run app.py`, N headless-Chromium users moving sliders and presets,
plus M users training through the Train tab, for a bounded time; then a report.

    python -m scripts.load_test [--sessions 10] [--seconds 120] [--trainings 2] [--omp-threads 1]

Users open the page --stagger s apart. Every probe user opens the app with its own seed, then
repeats: one change (an arrow key on the sequence-length or hidden-size slider, or the next preset
button), the time until the first chart's drawn traces differ (and until the server's first chart
message arrived on the websocket: the server's share), the wait until the page is idle, a pause.
Errors are exception boxes, changes whose chart never redrew within --timeout, first loads over
--timeout, and page crashes. Training users press Start (the default "adding" preset, up to 60 s),
press it again whenever a run ends, and Stop at the end. Memory: the server's /proc VmHWM (peak
resident set) and the polled VmRSS of it and its children; CPU: the server's, this test's (browsers
included) and the whole machine's, since the browsers share the server's cores. Everything stops by
itself: each user after --seconds, the whole run at --seconds + stagger x users + 4 x timeout.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright, expect

from ui.presets import PRESETS

from .browser import CHART, CHROMIUM, CHROMIUM_ARGS, SIGNATURE_JS, streamlit_server

EXCEPTION = '[data-testid="stException"]'
IDLE_JS = f"""n => document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelectorAll('[data-stale="true"]').length === 0
    && document.querySelectorAll('{CHART} .scatterlayer .trace').length >= n"""
CHANGED_JS = f"old => {{ const s = ({SIGNATURE_JS})(); return s !== '' && s !== old; }}"
SLIDERS = ("Sequence length", "Hidden size")
POLL_MS = 25  # how often a page checks for the redraw (every frame would cost 12 pages a lot of CPU)
REPLY_BYTES = 4096  # sidebar and text deltas are smaller; a chart's figure is larger


@dataclass
class Tally:
    """What all users saw; appended to from one event loop, so no lock is needed."""

    redraws: list = field(default_factory=list)  # s from a change to the first chart's redraw
    replies: list = field(default_factory=list)  # s from a change to the server's first chart message
    first_loads: list = field(default_factory=list)  # s from opening the page to its charts
    errors: dict = field(default_factory=dict)  # kind -> count
    trainings: list = field(default_factory=list)  # final status texts of the training runs

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def server_pid(port: int) -> int:
    """PID of this script's child `streamlit run ... --server.port <port>` (found in /proc, read only)."""
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) != os.getpid():
                continue
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(args) and str(port).encode() in args:
            return int(proc.name)
    raise RuntimeError(f"no streamlit child on port {port}")


def status_kb(pid: int, key: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{key}:\s+(\d+) kB", text, re.M).group(1))


def tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                children.setdefault(int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]), []).append(int(proc.name))
            except OSError:
                continue
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


def cpu_seconds(pids: list[int]) -> float:
    """user + system CPU time of these processes (those still alive)."""
    total = 0
    for p in pids:
        try:
            total += sum(int(x) for x in Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[11:13])
        except OSError:
            continue
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time all cores spent outside idle and iowait since boot."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Watch(threading.Thread):
    """Every `every` s until stopped: peak RSS of the server's tree, CPU of the server and of this whole test."""

    def __init__(self, server: int, every: float = 0.5):
        super().__init__(daemon=True)
        self.server, self.every, self.done = server, every, threading.Event()
        self.peak_kb, self.server_cpu, self.test_cpu = 0, 0.0, 0.0
        self.start_cpu = (cpu_seconds(tree(server)), cpu_seconds(tree(os.getpid())), machine_busy_seconds())

    def run(self) -> None:
        while not self.done.wait(self.every):
            rss = 0
            for p in tree(self.server):
                try:
                    rss += status_kb(p, "VmRSS")
                except (OSError, AttributeError):
                    continue
            self.peak_kb = max(self.peak_kb, rss)
            self.server_cpu = max(self.server_cpu, cpu_seconds(tree(self.server)) - self.start_cpu[0])
            self.test_cpu = max(self.test_cpu, cpu_seconds(tree(os.getpid())) - self.start_cpu[1])

    def machine_cpu(self) -> float:
        return machine_busy_seconds() - self.start_cpu[2]


async def open_page(context, url: str, tally: Tally, args, charts: int) -> tuple:
    """(page, frames): the app loaded and idle; frames collects (time, bytes) of every websocket message received."""
    page, frames = await context.new_page(), []
    page.on("crash", lambda _: tally.error("page crashed"))
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append((time.perf_counter(), len(data)))))
    start = time.perf_counter()
    await page.goto(url, timeout=args.timeout * 1000, wait_until="commit")
    try:
        await page.wait_for_function(IDLE_JS, arg=charts, polling=100, timeout=args.timeout * 1000)
    except PlaywrightTimeout:
        tally.error("first load over timeout")  # a student staring at a spinner; give it one more timeout
        await page.wait_for_function(IDLE_JS, arg=charts, polling=100, timeout=args.timeout * 1000)
    tally.first_loads.append(time.perf_counter() - start)
    return page, frames


async def timed_change(page, frames: list, action, args, tally: Tally) -> None:
    """Record the seconds from `action()` until the first chart's traces differ, and until the server's
    first large message (REPLY_BYTES or more: the chart's figure) arrived."""
    before = await page.evaluate(SIGNATURE_JS)
    start = time.perf_counter()
    await action()
    await page.wait_for_function(CHANGED_JS, arg=before, polling=POLL_MS, timeout=args.timeout * 1000)
    tally.redraws.append(time.perf_counter() - start)
    replies = [t for t, size in frames if t > start and size >= REPLY_BYTES]
    if replies:
        tally.replies.append(min(replies) - start)


def next_change(page, rng: random.Random, preset: int) -> tuple:
    """(action, preset shown after it): the next preset (30%) or an arrow key on a slider."""
    if rng.random() < 0.3:
        preset = (preset + 1) % len(PRESETS)  # never the preset already shown: the chart must change
        return page.get_by_test_id("stSidebar").get_by_role("button", name=PRESETS[preset].en, exact=True).click, preset
    handle = page.locator('[data-testid="stSlider"]').filter(has_text=rng.choice(SLIDERS)).locator('input[type="range"]')
    key = rng.choice(["ArrowRight", "ArrowRight", "ArrowLeft"])

    async def press():
        await handle.first.focus()
        await handle.first.press(key)
    return press, preset


async def probe_user(context, url: str, index: int, args, tally: Tally) -> None:
    """Open the app with seed = index, then change a slider or a preset for args.seconds."""
    await asyncio.sleep(index * args.stagger)
    page, frames = await open_page(context, f"{url}/?seed={index}", tally, args, charts=3)
    rng, preset, deadline = random.Random(index), index % len(PRESETS), time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        action, preset = next_change(page, rng, preset)
        try:
            await timed_change(page, frames, action, args, tally)
            await page.wait_for_function(IDLE_JS, arg=1, polling=100, timeout=args.timeout * 1000)
        except PlaywrightTimeout:
            tally.error("no redraw within timeout")
        if await page.locator(EXCEPTION).count():
            tally.error("exception box")
            await page.reload()
            await page.wait_for_function(IDLE_JS, arg=1, polling=100, timeout=args.timeout * 1000)
        await asyncio.sleep(rng.uniform(0.5, 1.5) * args.pause)
    await page.close()


async def training_user(context, url: str, index: int, args, tally: Tally) -> None:
    """Start a training on the Train tab, start another whenever one ends, Stop after args.seconds."""
    await asyncio.sleep(index * args.stagger)
    page, _ = await open_page(context, url, tally, args, charts=1)
    deadline = time.monotonic() + args.seconds
    await page.get_by_role("tab", name="Train").click()
    tab = page.get_by_test_id("stTabs")  # the header's own "Stop" (stop the script) is another button
    start, stop = (tab.get_by_role("button", name=n, exact=True) for n in ("Start", "Stop"))
    progress = page.locator('[data-testid="stProgress"]')
    while time.monotonic() < deadline - 5:
        await start.click()
        await expect(stop).to_be_enabled(timeout=args.timeout * 1000)
        while time.monotonic() < deadline and await stop.is_enabled():
            await asyncio.sleep(1)
        if await stop.is_enabled():
            await stop.click()
        await expect(progress.first).to_contain_text("Finished:", timeout=args.timeout * 1000)
        tally.trainings.append(await progress.first.inner_text())
    if await page.locator(EXCEPTION).count():
        tally.error("exception box (train tab)")
    await page.close()


async def drive(url: str, args, tally: Tally) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        contexts = [await browser.new_context(viewport={"width": 1280, "height": 900})
                    for _ in range(args.sessions + args.trainings)]
        users = [training_user(c, url, i, args, tally) for i, c in enumerate(contexts[:args.trainings])]
        users += [probe_user(c, url, i, args, tally) for i, c in enumerate(contexts[args.trainings:], args.trainings)]
        bound = args.seconds + args.stagger * len(users) + 4 * args.timeout
        results = await asyncio.wait_for(asyncio.gather(*users, return_exceptions=True), bound)
        for r in results:
            if isinstance(r, Exception):
                tally.error(f"user stopped: {type(r).__name__}: {str(r).splitlines()[0][:120]}")
        await browser.close()


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1] if len(values) > 1 else values[0]


def report(args, tally: Tally, hwm_kb: int, watch: Watch, wall: float) -> str:
    ms = [1000 * t for t in tally.redraws] or [float("nan")]
    server_ms = [1000 * t for t in tally.replies] or [float("nan")]
    lines = [
        f"sessions {args.sessions} probe users + {args.trainings} training users, {args.seconds:.0f} s, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
        f"fileWatcherType={os.environ.get('STREAMLIT_SERVER_FILE_WATCHER_TYPE', 'default')}, {os.cpu_count()} cores",
        f"changes measured: {len(tally.redraws)}; change -> redrawn first chart: p50 {percentile(ms, 50):.0f} ms, "
        f"p95 {percentile(ms, 95):.0f} ms, max {max(ms):.0f} ms",
        f"  of which the server (change -> first chart message received): p50 {percentile(server_ms, 50):.0f} ms, "
        f"p95 {percentile(server_ms, 95):.0f} ms",
        f"first load (page open -> charts): median {statistics.median(tally.first_loads or [float('nan')]):.1f} s",
        f"errors: {sum(tally.errors.values())} {tally.errors or ''}",
        f"trainings completed: {len(tally.trainings)}" + "".join(f"\n  {t}" for t in tally.trainings),
        f"server peak memory: VmHWM {hwm_kb / 1024:.0f} MiB; polled RSS incl. children {watch.peak_kb / 1024:.0f} MiB",
        f"CPU over {wall:.0f} s: server {watch.server_cpu:.0f} core-s ({watch.server_cpu / wall:.2f} cores), "
        f"this test incl. server and browsers {watch.test_cpu:.0f} core-s, whole machine {watch.machine_cpu():.0f} core-s "
        f"(other jobs on the machine: about {max(0.0, watch.machine_cpu() - watch.test_cpu):.0f} core-s)",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help="probe users (1-30)")
    parser.add_argument("--trainings", type=int, default=2, help="training users (0-4)")
    parser.add_argument("--seconds", type=float, default=120.0, help="how long users act (10-600)")
    parser.add_argument("--pause", type=float, default=1.0, help="mean think time between changes, s")
    parser.add_argument("--stagger", type=float, default=2.0, help="s between users opening the page")
    parser.add_argument("--timeout", type=float, default=60.0, help="a change with no redraw after this is an error")
    parser.add_argument("--client-nice", type=int, default=10,
                        help="niceness of the browsers: students' browsers run on their own machines, not the server's")
    parser.add_argument("--omp-threads", type=int, default=None, help="OMP_NUM_THREADS for the server")
    parser.add_argument("--file-watcher", default=None, help="the server's server.fileWatcherType (e.g. none)")
    args = parser.parse_args()
    if not (1 <= args.sessions <= 30 and 0 <= args.trainings <= 4 and 10 <= args.seconds <= 600):
        parser.error("bounded on purpose: --sessions 1-30, --trainings 0-4, --seconds 10-600")
    if args.omp_threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(args.omp_threads)
    if args.file_watcher is not None:
        os.environ["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = args.file_watcher
    tally = Tally()
    with streamlit_server() as url:
        pid = server_pid(int(url.rsplit(":", 1)[1]))
        watch, start = Watch(pid), time.monotonic()
        watch.start()
        os.nice(args.client_nice)  # this process and the browsers it starts, not the server started above
        asyncio.run(drive(url, args, tally))
        watch.done.set()
        watch.join()
        hwm, wall = status_kb(pid, "VmHWM"), time.monotonic() - start
    print(report(args, tally, hwm, watch, wall))


if __name__ == "__main__":
    main()
