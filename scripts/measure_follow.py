"""How long a student's page takes to follow the teacher: `python -m scripts.measure_follow [--changes 10]`.

Two `streamlit run` processes share a fresh class store (as `make class` runs several); the teacher's page on
process A turns chapters (Next, Previous, alternately, chapters 4 and 5), the student's page on process B, at
phone size, follows. For each change it prints three times from the click: the class's version moving in the
store (the teacher's page published), and the student's heading showing the new chapter (poll + redraw). The
first pass over each chapter computes its probes; the later ones hit the cache. Browsers run at nice 10.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from playwright.sync_api import sync_playwright

from classroom import ClassStore
from classroom.store import ENV_DIR

from .browser import launch_chromium, streamlit_server, wait_for_app

HEADINGS = {4: "4. Long-range dependencies", 5: "5. The LSTM: gates and the cell-state highway"}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        store = ClassStore(directory)
        code, key = store.create_class()
        env = {ENV_DIR: directory}
        with streamlit_server(env=env) as a, streamlit_server(env=env) as b, sync_playwright() as p:
            browser = launch_chromium(p)
            teacher = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            student = browser.new_context(**PHONE).new_page()
            teacher.goto(f"{a}/lesson?class={code}&key={key}&chapter=4")
            wait_for_app(teacher)
            student.goto(f"{b}/lesson?class={code}")
            student.get_by_role("heading", name=HEADINGS[4]).wait_for(timeout=60_000)
            wait_for_app(student)
            published, followed = [], []
            for i in range(args.changes):
                target, button = (5, "Next ▶") if i % 2 == 0 else (4, "◀ Previous")
                version = store.version(code)
                start = time.perf_counter()
                teacher.get_by_role("button", name=button).first.click()
                while store.version(code) == version:
                    time.sleep(0.005)
                published.append(time.perf_counter() - start)
                student.get_by_role("heading", name=HEADINGS[target]).wait_for(timeout=60_000)
                followed.append(time.perf_counter() - start)
                print(f"change {i + 1:2d} -> chapter {target}: published {published[-1]:.2f} s, "
                      f"student shows it {followed[-1]:.2f} s", flush=True)
                wait_for_app(student)
                wait_for_app(teacher)
                time.sleep(1.0)
            browser.close()
    warm = followed[2:] or followed
    print(f"student follows: p50 {statistics.median(followed):.2f} s, max {max(followed):.2f} s; after the first "
          f"pass over each chapter p50 {statistics.median(warm):.2f} s, max {max(warm):.2f} s; "
          f"teacher publishes: p50 {statistics.median(published):.2f} s")


if __name__ == "__main__":
    main()
