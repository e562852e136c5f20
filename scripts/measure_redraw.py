"""Measure end-to-end redraw time in headless Chromium: slider change -> updated first chart.

    python -m scripts.measure_redraw [--runs 10] [--query "seq_len=1000&hidden_size=256"]

Presses an arrow key on the sequence-length slider `runs` times, each time to a new, uncached T,
so every redraw includes the probes of all three cells (ArrowRight from T=100, ArrowLeft from
T=1000). Prints the median and range in milliseconds.
"""
from __future__ import annotations

import argparse
import statistics

from playwright.sync_api import sync_playwright

from .browser import focus_slider, launch_chromium, streamlit_server, timed_change, wait_for_app


def measure(query: str, runs: int, key: str = "ArrowRight", label: str = "Sequence length") -> list[float]:
    """`runs` redraw times (s) for presses of `key` on the slider labelled `label`."""
    with streamlit_server() as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/?{query}")
        wait_for_app(page, charts=3)
        slider = focus_slider(page, label)
        times = []
        for _ in range(runs):
            times.append(timed_change(page, lambda: slider.press(key)))
            wait_for_app(page, charts=3)
        browser.close()
    return times


def report(name: str, times: list[float]) -> str:
    ms = [1000 * t for t in times]
    return f"{name}: median {statistics.median(ms):.0f} ms (min {min(ms):.0f}, max {max(ms):.0f}, n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--query", action="append", default=None,
                        help="URL query to start from (repeatable); default: defaults and T=1000, H=256")
    args = parser.parse_args()
    for query in args.query or ["seq_len=100", "seq_len=1000&hidden_size=256"]:
        first = "ArrowRight" if "seq_len=1000" not in query else "ArrowLeft"
        print(report(f"{query} new T each time", measure(query, args.runs, first)), flush=True)


if __name__ == "__main__":
    main()
