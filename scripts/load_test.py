"""Load test on loopback: one `streamlit run app.py`, N headless-Chromium users moving sliders and presets,
plus M users training through the Train tab, for a bounded time; then a report.

    python -m scripts.load_test [--sessions 10] [--seconds 120] [--trainings 2] [--omp-threads 1]

Users open the page --stagger s apart. Every probe user opens the app with its own seed, then
repeats: one change (an arrow key on the sequence-length or hidden-size slider, or the next preset
button), the time until the first chart's drawn traces differ (and until the chart's message reached
the browser), the wait until the page is idle, a pause. Errors are exception boxes, changes whose
chart never redrew within --timeout, first loads over --timeout, page crashes. Training users press
Start (the default "adding" preset, up to 60 s), again whenever a run ends, and Stop at the end.
The browsers run in a child process with the lowest CPU weight (they would be on the students'
machines), and a canary client without a browser opens a fresh session every --canary-every s to
time the server alone (scripts/server_watch.py, which also reads memory and CPU from /proc).
Everything stops by itself: each user after --seconds, the whole run within --seconds + stagger x
users + 4 x timeout + 60 s.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright, expect

from ui.presets import PRESETS

from .browser import CHROMIUM, CHROMIUM_ARGS, IDLE_JS, SIGNATURE_JS, streamlit_server
from .server_watch import Watch, canary, child_pid, status_kb, tree

EXCEPTION = '[data-testid="stException"]'
# Redrawn: the first chart's traces differ, or (a change that leaves view 1 as it was, such as the hidden
# size of a linear RNN with orthogonal W, whose ||dL/dh_t|| = gamma^(T-t) for every H) the page took the
# new settings into its URL and has finished the run.
CHANGED_JS = f"""([old, url]) => {{
  const s = ({SIGNATURE_JS})();
  return (s !== '' && s !== old) || (location.href !== url && ({IDLE_JS})(1));
}}"""
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
    details: list = field(default_factory=list)  # what each erring change was, and the URL around it

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


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
    before, url = await page.evaluate(SIGNATURE_JS), page.url
    start = time.perf_counter()
    await action()
    await page.wait_for_function(CHANGED_JS, arg=[before, url], polling=POLL_MS, timeout=args.timeout * 1000)
    tally.redraws.append(time.perf_counter() - start)
    replies = [t for t, size in frames if t > start and size >= REPLY_BYTES]
    if replies:
        tally.replies.append(min(replies) - start)


def next_change(page, rng: random.Random, preset: int) -> tuple:
    """(action, preset shown after it, what it does): the next preset (30%) or an arrow key on a slider."""
    if rng.random() < 0.3:
        preset = (preset + 1) % len(PRESETS)  # never the preset already shown: the chart must change
        button = page.get_by_test_id("stSidebar").get_by_role("button", name=PRESETS[preset].en, exact=True)
        return button.click, preset, f"preset {PRESETS[preset].en!r}"
    slider, key = rng.choice(SLIDERS), rng.choice(["ArrowRight", "ArrowRight", "ArrowLeft"])
    handle = page.locator('[data-testid="stSlider"]').filter(has_text=slider).locator('input[type="range"]')

    async def press():
        await handle.first.focus()
        await handle.first.press(key)
    return press, preset, f"{key} on {slider}"


async def probe_user(context, url: str, index: int, args, tally: Tally) -> None:
    """Open the app with seed = index, then change a slider or a preset for args.seconds."""
    await asyncio.sleep(index * args.stagger)
    page, frames = await open_page(context, f"{url}/?seed={index}", tally, args, charts=3)
    rng, preset, deadline = random.Random(index), index % len(PRESETS), time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        action, preset, what = next_change(page, rng, preset)
        url_before = page.url  # the URL mirrors every setting: it tells whether the page took the change
        try:
            await timed_change(page, frames, action, args, tally)
        except PlaywrightTimeout:
            tally.error("no redraw within timeout" if page.url != url_before else "change not taken by the page")
            tally.details.append(f"{what}: {url_before} -> {page.url}")
        try:
            await page.wait_for_function(IDLE_JS, arg=1, polling=100, timeout=args.timeout * 1000)
        except PlaywrightTimeout:
            tally.error("redrawn, but the page still running after the timeout")
            tally.details.append(f"{what}: now {page.url}")
        if await page.locator(EXCEPTION).count():
            tally.error("exception box")
            await page.reload()
            await page.wait_for_function(IDLE_JS, arg=1, polling=100, timeout=args.timeout * 1000)
        await asyncio.sleep(rng.uniform(0.5, 1.5) * args.pause)
    await page.close()


async def training_user(context, url: str, index: int, args, tally: Tally) -> None:
    """Start a training on the Train tab, start another whenever one ends, Stop after args.seconds."""
    await asyncio.sleep(index * args.stagger)
    page, _ = await open_page(context, f"{url}/explorer", tally, args, charts=1)  # a bare URL opens the lesson
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


async def drive(url: str, args) -> Tally:
    """All browser users against the server at `url`; returns what they saw."""
    tally = Tally()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        contexts = [await browser.new_context(viewport={"width": 1280, "height": 900})
                    for _ in range(args.sessions + args.trainings)]
        users = [training_user(c, url, i, args, tally) for i, c in enumerate(contexts[:args.trainings])]
        users += [probe_user(c, url, i, args, tally) for i, c in enumerate(contexts[args.trainings:], args.trainings)]
        results = await asyncio.wait_for(asyncio.gather(*users, return_exceptions=True), bound(args))
        for r in results:
            if isinstance(r, Exception):
                tally.error(f"user stopped: {type(r).__name__}: {str(r).splitlines()[0][:120]}")
        await browser.close()
    return tally


def bound(args) -> float:
    """The longest the users may take, all included."""
    return args.seconds + args.stagger * (args.sessions + args.trainings) + 4 * args.timeout


def keep_niced(niceness: int, stop: threading.Event) -> None:
    """Every 0.5 s, set every thread of this process tree to `niceness` (Chromium, as root, raises its own),
    and the scheduler autogroup of each process too: Chromium starts its own session, and with
    /proc/sys/kernel/sched_autogroup_enabled = 1 a thread's nice only ranks it inside its autogroup,
    while autogroups share the cores evenly. Without this, 10 "nice 19" browsers took about 1.2 of
    the 2 cores from the server (measured: server 0.63 cores with 2 threads runnable)."""
    while not stop.wait(0.5):
        for pid in tree(os.getpid()):
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/autogroup").write_text(str(niceness))
            with contextlib.suppress(OSError):
                for task in Path(f"/proc/{pid}/task").iterdir():
                    with contextlib.suppress(OSError):
                        os.setpriority(os.PRIO_PROCESS, int(task.name), niceness)


def browsers(url: str, args, out) -> None:
    """Child process: the browsers, kept at the lowest CPU priority.

    Students' browsers run on their own machines; here they share the server's two cores. At nice 19
    the server gets first call on the cores; what the browsers lose shows in their redraw times, not
    in the canary's.
    """
    stop = threading.Event()
    threading.Thread(target=keep_niced, args=(args.client_nice, stop), daemon=True).start()
    out.put(asyncio.run(drive(url, args)))
    stop.set()


async def canaries(url: str, args, users) -> list[tuple]:
    """Fresh sessions, one at a time every --canary-every s, while the browser users run."""
    found, n, give_up = [], 0, time.monotonic() + bound(args) + 60
    while users.is_alive() and time.monotonic() < give_up:
        n += 1
        try:
            found.append(await canary(url, f"seed={10_000 + n}", args.timeout))
        except (TimeoutError, OSError, websockets.WebSocketException):
            found.append((None, float("inf")))
        await asyncio.sleep(args.canary_every)
    return found


def percentile(values: list[float], q: float) -> float:
    values = values or [float("nan")]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1] if len(values) > 1 else values[0]


def report(args, tally: Tally, canary_times: list[tuple], hwm_kb: int, watch: Watch) -> str:
    ms = [1000 * t for t in tally.redraws]
    server_ms = [1000 * t for t in tally.replies]
    first = [1000 * c[0] for c in canary_times if c[0] is not None]
    whole = [1000 * c[1] for c in canary_times]
    return "\n".join([
        f"{args.sessions} probe users + {args.trainings} training users for {args.seconds:.0f} s each, think time "
        f"{args.pause:g} s; server OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
        f"fileWatcherType={os.environ.get('STREAMLIT_SERVER_FILE_WATCHER_TYPE', 'auto')}",
        f"browser: {len(ms)} changes; change -> redrawn first chart p50 {percentile(ms, 50):.0f} ms, "
        f"p95 {percentile(ms, 95):.0f} ms, max {max(ms or [float('nan')]):.0f} ms "
        f"(first chart message reached the browser: p50 {percentile(server_ms, 50):.0f} ms, p95 {percentile(server_ms, 95):.0f} ms)",
        f"browser: first load (page open -> 3 charts drawn) median {percentile(tally.first_loads, 50):.1f} s, "
        f"max {max(tally.first_loads or [float('nan')]):.1f} s",
        f"canary (server alone, fresh session, new seed): {len(canary_times)} runs; first chart p50 "
        f"{percentile(first, 50):.0f} ms, p95 {percentile(first, 95):.0f} ms; whole page p50 {percentile(whole, 50):.0f} ms, "
        f"p95 {percentile(whole, 95):.0f} ms",
        f"errors: {sum(tally.errors.values())} {tally.errors or ''}" + "".join(f"\n  {d}" for d in tally.details),
        f"trainings completed: {len(tally.trainings)}" + "".join(f"\n  {t}" for t in tally.trainings),
        f"server peak memory: VmHWM {hwm_kb / 1024:.0f} MiB; peak RSS of server and children {watch.peak_kb / 1024:.0f} MiB",
        watch.summary(),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help="probe users (1-30)")
    parser.add_argument("--trainings", type=int, default=2, help="training users (0-4)")
    parser.add_argument("--seconds", type=float, default=120.0, help="how long each user acts (10-600)")
    parser.add_argument("--pause", type=float, default=1.0, help="mean think time between changes, s")
    parser.add_argument("--stagger", type=float, default=2.0, help="s between users opening the page")
    parser.add_argument("--timeout", type=float, default=60.0, help="a change with no redraw after this is an error")
    parser.add_argument("--canary-every", type=float, default=2.0, help="s between canary sessions")
    parser.add_argument("--client-nice", type=int, default=19, help="niceness of the browsers (0-19)")
    parser.add_argument("--omp-threads", type=int, default=None, help="OMP_NUM_THREADS for the server")
    parser.add_argument("--file-watcher", default=None, help="the server's server.fileWatcherType (e.g. none)")
    args = parser.parse_args()
    if not (1 <= args.sessions <= 30 and 0 <= args.trainings <= 4 and 10 <= args.seconds <= 600):
        parser.error("bounded on purpose: --sessions 1-30, --trainings 0-4, --seconds 10-600")
    if args.omp_threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(args.omp_threads)
    if args.file_watcher is not None:
        os.environ["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = args.file_watcher
    with streamlit_server() as url:
        pid = child_pid(int(url.rsplit(":", 1)[1]))
        out = multiprocessing.get_context("fork").Queue()
        users = multiprocessing.get_context("fork").Process(target=browsers, args=(url, args, out), daemon=True)
        users.start()
        watch = Watch(pid)
        watch.start()
        canary_times = asyncio.run(canaries(url, args, users))
        tally = out.get(timeout=60) if users.exitcode == 0 else Tally(errors={"browser process failed or hung": 1})
        if users.is_alive():
            users.terminate()
        watch.done.set()
        watch.join()
        hwm = status_kb(pid, "VmHWM")
    print(report(args, tally, canary_times, hwm, watch))


if __name__ == "__main__":
    main()
