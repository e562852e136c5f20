"""The lesson on a projector: presenter mode (`?present=1`) at 1280x720 in headless Chromium.

Checks what the issue asks a projector to show: no sideways scrolling, chart text read from the rendered SVG
at least 20 px, drawn lines at least 3 px, Next moving the URL to the next chapter; and that a chapter's knob
redraws its chart. Screenshots go to the test's tmp dir.
"""
import pytest
from playwright.sync_api import sync_playwright

from scripts.browser import CHART, focus_slider, launch_chromium, streamlit_server, timed_change, wait_for_app

EXCEPTION = '[data-testid="stException"]'
NO_SIDEWAYS_SCROLL_JS = """() => [document.documentElement, document.querySelector('[data-testid="stMain"]')]
    .filter(Boolean).every(el => el.scrollWidth <= el.clientWidth + 1)"""
CHART_TEXT_PX_JS = f"""() => Array.from(document.querySelectorAll('{CHART} .main-svg text'))
    .filter(t => t.textContent.trim() && t.getBBox().width > 0)
    .map(t => parseFloat(getComputedStyle(t).fontSize))"""
LINE_PX_JS = f"""() => Array.from(document.querySelectorAll('{CHART} .scatterlayer path.js-line'))
    .filter(p => (p.getAttribute('d') || '').length > 2)
    .map(p => parseFloat(getComputedStyle(p).strokeWidth))
    .filter(w => w > 0)"""  # the batch band's edges are drawn with width 0: a fill, not a line


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


@pytest.fixture
def projector(server):
    with sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser.new_page(viewport={"width": 1280, "height": 720})
        browser.close()


def test_presenter_mode_reads_from_the_back_and_next_moves_the_url(server, projector, tmp_path):
    page = projector
    page.goto(f"{server}/lesson?present=1&chapter=2")
    wait_for_app(page, charts=1)
    assert page.locator(EXCEPTION).count() == 0
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS)
    sizes = page.evaluate(CHART_TEXT_PX_JS)
    assert sizes and min(sizes) >= 20, sizes
    widths = page.evaluate(LINE_PX_JS)
    assert widths and min(widths) >= 3, widths
    assert page.locator('[data-testid="stSidebar"][aria-expanded="true"]').count() == 0  # collapsed
    page.screenshot(path=tmp_path / "present_chapter2.png")
    page.get_by_role("button", name="Next ▶").first.click()
    page.wait_for_url("**chapter=3**")
    wait_for_app(page, charts=1)
    assert "present=1" in page.url and page.evaluate(NO_SIDEWAYS_SCROLL_JS)
    assert page.get_by_role("heading", name="3. Exploding gradients, and what clipping does").count() == 1


def test_a_chapter_knob_redraws_its_chart(server, projector, tmp_path):
    page = projector
    page.goto(f"{server}/lesson?chapter=2&language=zh")
    wait_for_app(page, charts=1)
    slider = focus_slider(page, "||W_hh||")
    elapsed = timed_change(page, lambda: slider.press("ArrowRight"))
    page.wait_for_url("**weight_scale=0.95**")
    assert page.locator(EXCEPTION).count() == 0 and elapsed > 0
    assert page.get_by_role("heading", name="2. 梯度消失").count() == 1
    page.screenshot(path=tmp_path / "chapter2_zh.png")
