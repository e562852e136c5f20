"""How long a visitor waits for the lesson's downloads, in a fresh server as `make run` starts it.

    python -m scripts.measure_lesson_download

Opens /lesson in Chromium and prints: seconds from the first page load until "Download the whole lesson" is
offered (the file is prepared on the server in the background meanwhile, its progress shown), and seconds
from each button's click to the browser's download (the chapter's file is built on click).
"""
from __future__ import annotations

import time

from playwright.sync_api import sync_playwright

from scripts.browser import launch_chromium, streamlit_server, wait_for_app


def main() -> None:
    with streamlit_server(warm=True) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        start = time.perf_counter()
        page.goto(f"{url}/lesson?chapter=2")
        wait_for_app(page, charts=1)
        shown = time.perf_counter() - start
        saw_progress = page.get_by_text("Preparing the whole lesson").count() > 0
        whole = page.get_by_role("button", name="Download the whole lesson (HTML)")
        whole.wait_for(timeout=300_000)
        ready = time.perf_counter() - start
        for name, button in (("whole lesson", whole),
                             ("chapter 2", page.get_by_role("button", name="Download this chapter (HTML)"))):
            clicked = time.perf_counter()
            with page.expect_download(timeout=300_000) as download:
                button.click()
            size = len(open(download.value.path(), "rb").read())
            print(f"{name}: click -> download {time.perf_counter() - clicked:.2f} s, {size / 1e6:.1f} MB")
        print(f"page with its first chart: {shown:.1f} s; whole-lesson button offered {ready:.1f} s after the first load"
              f" (progress shown meanwhile: {saw_progress})")
        browser.close()


if __name__ == "__main__":
    main()
