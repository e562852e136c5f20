"""Screenshots of every lesson chapter at 1280x720, presenter and normal mode, English and Chinese, reveal open.

    python -m scripts.lesson_shots --out /tmp/shots [--url http://127.0.0.1:8501] [--chapters 1,3]

Starts its own server (as the tests do) unless --url is given. For each shot it prints the height of the
page's scrolling container against the window (presenter mode must fit: scroll <= 720) and the rendered
figure's height, so the one-screen rule can be checked and tuned by eye and by number.
"""
from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from playwright.sync_api import sync_playwright

from scripts.browser import launch_chromium, streamlit_server, wait_for_app

# Streamlit 1.67 scrolls [data-testid="stMain"], not the document.
SCROLL_JS = """() => { const main = document.querySelector('[data-testid="stMain"]');
    return {scroll: Math.max(main ? main.scrollHeight : 0, document.scrollingElement.scrollHeight),
            window: innerHeight}; }"""
REVEAL = {"en": "Reveal (computed", "zh": "揭晓答案"}


def open_reveal(page, lang: str) -> None:
    summary = page.locator('[data-testid="stExpander"] summary').filter(has_text=REVEAL[lang]).first
    summary.click()
    page.locator('[data-testid="stExpander"] details[open]').first.wait_for()


def shoot(page, base: str, chapter: int, lang: str, present: bool, out: Path) -> dict:
    mode = "present" if present else "normal"
    page.goto(f"{base}/lesson?chapter={chapter}&language={lang}" + ("&present=1" if present else ""))
    wait_for_app(page, charts=0)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=120_000)
    open_reveal(page, lang)
    page.wait_for_timeout(400)  # the expander's opening animation
    sizes = page.evaluate(SCROLL_JS)
    if present:
        page.screenshot(path=out / f"ch{chapter}_{mode}_{lang}.png")
    else:  # a reader's page scrolls: its top (title, text, figure), then where the open answer is
        page.screenshot(path=out / f"ch{chapter}_{mode}_{lang}_reveal.png")
        page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
        page.wait_for_timeout(200)
        page.screenshot(path=out / f"ch{chapter}_{mode}_{lang}_top.png")
    return {"chapter": chapter, "mode": mode, "lang": lang, **sizes}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--url", help="a running server; default: start one")
    parser.add_argument("--chapters", default="1,2,3,4,5,6,7,8,9")
    parser.add_argument("--modes", default="present,normal")
    parser.add_argument("--langs", default="en,zh")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    server = contextlib.nullcontext(args.url) if args.url else streamlit_server()
    with server as base, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        for chapter in (int(c) for c in args.chapters.split(",")):
            for mode in args.modes.split(","):
                for lang in args.langs.split(","):
                    r = shoot(page, base, chapter, lang, mode == "present", args.out)
                    fits = "fits" if r["scroll"] <= r["window"] else "SCROLLS"
                    print(f"chapter {chapter} {mode:7s} {lang}: scroll {r['scroll']} / {r['window']} {fits}", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
