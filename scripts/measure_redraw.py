"""Measure end-to-end times in headless Chromium: cold page loads, and slider change -> updated first chart.

    python -m scripts.measure_redraw [--runs 10] [--cold 5] [--query "seq_len=1000&hidden_size=256"]

Cold loads: a server started as `make run` starts it (scripts.serve), then `cold` new visitors one after
another, each in a fresh browser context (empty cache, so Streamlit's scripts are fetched and parsed
again): time from navigation to the first chart's traces drawn, and to the whole page idle.
--floor measures scripts/floor_app.py (one slider, three Plotly charts) the same way in the same run:
Streamlit's and Plotly's own cost on this machine, beside the app's.

From each starting URL (default: the defaults, and T=1000 with H=256), presses an arrow key on
the sequence-length slider `runs` times, each to a new T, so every redraw includes probing all
three cells; then `runs` times back and forth between two already-probed values (cached).
For each press it records the time until the first chart (view 1) has changed and until the
whole page (views 1-3; views 4-6 are shut expanders) has finished. Prints medians in milliseconds.
"""
from __future__ import annotations

import argparse
import statistics
import time

from playwright.sync_api import sync_playwright

from .browser import SIGNATURE_JS, focus_slider, launch_chromium, streamlit_server, timed_change, wait_for_app


APP, FLOOR = "app.py", "scripts/floor_app.py"
PAGE = {APP: "explorer", FLOOR: ""}  # the path each is opened at
# Resolves after two idle callbacks 250 ms apart, with nothing left for the renderer to do.
SETTLE_JS = """() => new Promise(done => requestIdleCallback(() => setTimeout(() =>
  requestIdleCallback(() => done(), {timeout: 5000}), 250), {timeout: 5000}))"""


def press_and_time(page, slider, key: str) -> tuple[float, float]:
    """(s until view 1 redraws, s until the script has finished) after pressing `key`.

    First waits until Chromium has been idle for a moment (as a person looking at the page would): the
    script finishes before the browser has drawn the last heatmaps, and on 2 cores a press made then
    would time the server's probe against the browser's drawing.
    """
    page.evaluate(SETTLE_JS)
    start = time.perf_counter()
    first = timed_change(page, lambda: slider.press(key), timeout_ms=600_000)
    wait_for_app(page, charts=3, timeout_ms=600_000)
    return first, time.perf_counter() - start


def measure(query: str, runs: int, label: str = "Sequence length", app: str = APP) -> dict[str, list[tuple[float, float]]]:
    """{"new T": [...], "cached": [...]}: (first chart, whole page) times in s."""
    forward, back = ("ArrowLeft", "ArrowRight") if "seq_len=1000" in query else ("ArrowRight", "ArrowLeft")
    with streamlit_server(app, warm=app == APP) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/{PAGE[app]}?{query}")
        wait_for_app(page, charts=3, timeout_ms=600_000)
        slider = focus_slider(page, label)
        new = [press_and_time(page, slider, forward) for _ in range(runs)]
        cached = [press_and_time(page, slider, back if i % 2 == 0 else forward) for i in range(runs)]
        browser.close()
    return {"new T": new, "cached": cached}


def measure_cold(visits: int, app: str = APP) -> list[tuple[float, float]]:
    """(first chart, whole page) s for `visits` new visitors, each in a fresh browser context, after one
    visit that is not timed (the server's own first session)."""
    times = []
    with streamlit_server(app, warm=app == APP) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        for visit in range(visits + 1):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            start = time.perf_counter()
            page.goto(f"{url}/{PAGE[app]}")
            page.wait_for_function(f"() => ({SIGNATURE_JS})() !== ''", polling=25, timeout=600_000)
            first = time.perf_counter() - start
            wait_for_app(page, charts=3, timeout_ms=600_000)
            if visit:
                times.append((first, time.perf_counter() - start))
            context.close()
        browser.close()
    return times


def report(name: str, times: list[tuple[float, float]]) -> str:
    first = [1000 * t for t, _ in times]
    full = [1000 * t for _, t in times]
    return (f"{name}: first chart median {statistics.median(first):.0f} ms (min {min(first):.0f}, "
            f"max {max(first):.0f}); whole page median {statistics.median(full):.0f} ms; n={len(times)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cold", type=int, default=5, help="cold page loads by new visitors (0: none)")
    parser.add_argument("--floor", action="store_true",
                        help="also measure scripts/floor_app.py (a trivial 3-chart page: Streamlit's own floor) alike")
    parser.add_argument("--query", action="append", default=None,
                        help="URL query to start from (repeatable); default: defaults, then T=1000 H=256")
    args = parser.parse_args()
    for app in (APP, FLOOR) if args.floor else (APP,):
        if args.cold:
            print(report(f"{app} cold page load (new visitor)", measure_cold(args.cold, app)), flush=True)
        for query in args.query or ["seq_len=100", "seq_len=1000&hidden_size=256"]:
            for kind, times in measure(query, args.runs, app=app).items():
                print(report(f"{app} [{query}] {kind}", times), flush=True)


if __name__ == "__main__":
    main()
