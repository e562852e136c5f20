"""The lesson on a projector: presenter mode (`?present=1`) at 1280x720 in headless Chromium.

One server for the module, started as `make run` starts it (`scripts.serve`, which reads `.streamlit/config.toml`),
with chapter 8's budget cut to a few seconds (LESSON_TRAIN_SECONDS). Checks what a presenter meets: chart text
at least 20 px and lines at least 3 px, a clicker's keys turning chapters (and leaving a text field's keys
alone), every chapter on one screen with its answer open in both languages, a live run that ends by itself
with its status and answer caught up, and no Deploy button or developer menu.
"""
import re

import pytest
from playwright.sync_api import sync_playwright

from scripts.browser import CHART, focus_slider, launch_chromium, streamlit_server, timed_change, wait_for_app
from ui.lesson.chapters import CHAPTERS

EXCEPTION = '[data-testid="stException"]'
RUN_SECONDS = 6  # chapter 8's budget in this server
NO_SIDEWAYS_SCROLL_JS = """() => [document.documentElement, document.querySelector('[data-testid="stMain"]')]
    .filter(Boolean).every(el => el.scrollWidth <= el.clientWidth + 1)"""
CHART_TEXT_PX_JS = f"""() => Array.from(document.querySelectorAll('{CHART} .main-svg text'))
    .filter(t => t.textContent.trim() && t.getBBox().width > 0)
    .map(t => parseFloat(getComputedStyle(t).fontSize))"""
LINE_PX_JS = f"""() => Array.from(document.querySelectorAll('{CHART} .scatterlayer path.js-line'))
    .filter(p => (p.getAttribute('d') || '').length > 2)
    .map(p => parseFloat(getComputedStyle(p).strokeWidth))
    .filter(w => w > 0)"""  # the batch band's edges are drawn with width 0: a fill, not a line
# Streamlit 1.67 scrolls [data-testid="stMain"], not the document: both are measured. Also: the body row (text |
# figure) must end above the question (nothing overlaps it), and no equation is cut at its box's right edge.
SCREEN_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const bottom = el => el.getBoundingClientRect().bottom;
  const body = Array.from(document.querySelectorAll('.st-key-lesson_body [data-testid="stColumn"] > div > *'));
  const foot = document.querySelector('.st-key-lesson_foot');
  return {scroll: Math.max(main.scrollHeight, document.scrollingElement.scrollHeight), window: innerHeight,
          body: Math.max(...body.map(bottom)), foot: foot.getBoundingClientRect().top, footEnd: bottom(foot),
          chart: document.querySelector('[data-testid="stPlotlyChart"]').getBoundingClientRect().height,
          cut: Array.from(document.querySelectorAll('[class*="st-key-lesson_eq_"]'))
                 .filter(box => Array.from(box.querySelectorAll('.katex-html'))
                                  .some(k => k.getBoundingClientRect().right > box.getBoundingClientRect().right + 2))
                 .map(box => box.innerText.slice(0, 40))};
}"""
REVEAL = {"en": "Reveal (computed", "zh": "揭晓答案"}
HEADING = '[data-testid="stHeadingWithActionElements"] h3'


@pytest.fixture(scope="module")
def server():
    with streamlit_server(warm=True, env={"LESSON_TRAIN_SECONDS": str(RUN_SECONDS)}) as url:
        yield url


@pytest.fixture
def projector(server):
    with sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser.new_page(viewport={"width": 1280, "height": 720})
        browser.close()


def chapter_in_url(page) -> int:
    return int(re.search(r"[?&]chapter=(\d+)", page.url).group(1))


def press_and_wait(page, key: str, number: int) -> None:
    """Press `key` and wait until chapter `number` is in the URL and drawn."""
    page.keyboard.press(key)
    page.wait_for_url(re.compile(rf"[?&]chapter={number}(&|$)"))
    page.locator(HEADING).filter(has_text=re.compile(rf"^{number}\. ")).wait_for()
    wait_for_app(page, charts=0)


def open_reveal(page, lang: str = "en") -> None:
    details = page.locator('[data-testid="stExpander"] details').filter(has_text=REVEAL[lang]).first
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    page.locator('[data-testid="stExpander"] details[open]').filter(has_text=REVEAL[lang]).wait_for()
    page.wait_for_timeout(350)  # the expander's opening animation


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


def test_clicker_keys_turn_chapters_and_fields_keep_their_keys(server, projector):
    page = projector
    page.goto(f"{server}/lesson?present=1&chapter=2")
    wait_for_app(page, charts=1)
    # A focused slider keeps its arrows (the weight scale moves, the chapter stays); the clicker still turns.
    slider = focus_slider(page, "||W_hh||")
    slider.press("ArrowRight")
    page.wait_for_url("**weight_scale=0.95**")
    assert chapter_in_url(page) == 2
    press_and_wait(page, "PageDown", 3)
    press_and_wait(page, "PageUp", 2)
    press_and_wait(page, "End", len(CHAPTERS))
    press_and_wait(page, "Home", 1)
    press_and_wait(page, "ArrowRight", 2)
    press_and_wait(page, "ArrowLeft", 1)
    press_and_wait(page, "PageDown", 2)
    press_and_wait(page, "PageDown", 3)
    # Keys typed into a text or a number field are the field's: a field put on the page takes PageDown and →.
    for kind in ("text", "number"):
        page.evaluate(f"""() => {{ const f = document.createElement('input'); f.type = '{kind}'; f.id = 'probe-{kind}';
            document.querySelector('[data-testid="stMain"]').prepend(f); f.focus(); }}""")
        for key in ("PageDown", "ArrowRight", "End", "ArrowLeft"):
            page.keyboard.press(key)
        page.keyboard.type("12")
        page.wait_for_timeout(1500)  # a move would rerun and change the URL well within this
        assert chapter_in_url(page) == 3 and page.locator(f"#probe-{kind}").input_value().endswith("2")
        page.evaluate(f"() => document.getElementById('probe-{kind}').remove()")
    assert page.locator(EXCEPTION).count() == 0


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chapter_fits_one_screen_with_its_answer_open(server, projector, lang, tmp_path):
    page = projector
    page.goto(f"{server}/lesson?present=1&chapter=1&language={lang}")
    wait_for_app(page, charts=0)
    for number in range(1, len(CHAPTERS) + 1):
        if number > 1:
            press_and_wait(page, "PageDown", number)
        page.wait_for_selector(f"{CHART} .main-svg")
        open_reveal(page, lang)
        m = page.evaluate(SCREEN_JS)
        page.screenshot(path=tmp_path / f"chapter{number}_{lang}.png")
        assert m["scroll"] <= m["window"], (number, lang, m)  # no vertical scroll, the answer open
        assert m["body"] <= m["foot"] + 1 and m["footEnd"] <= m["window"], (number, lang, m)  # nothing overlaps
        assert m["chart"] >= 300 and not m["cut"], (number, lang, m)
        assert page.evaluate(NO_SIDEWAYS_SCROLL_JS) and page.locator(EXCEPTION).count() == 0


def test_live_run_ends_by_itself_with_status_and_answer_caught_up(server, projector, tmp_path):
    page = projector
    page.goto(f"{server}/lesson?present=1&chapter=8&budget=60")
    wait_for_app(page, charts=0)
    page.get_by_role("button", name="Start training").click()
    status = page.locator('.st-key-lesson_figure [data-testid="stCaptionContainer"]')
    status.filter(has_text="running").wait_for(timeout=60_000)
    # Nothing is touched from here on: the status must reach "done" by itself, and the page catch up.
    status.filter(has_text=re.compile(rf"^done: step \d+, {RUN_SECONDS} s of {RUN_SECONDS} s")).wait_for(timeout=90_000)
    page.get_by_role("button", name="Stop").and_(page.locator("button:disabled")).wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Start training").is_enabled()
    open_reveal(page)
    answer = page.locator('[data-testid="stExpander"] details[open]').inner_text()
    page.screenshot(path=tmp_path / "chapter8_done.png")
    assert "No run yet" not in answer
    for cell in ("RNN", "LSTM", "GRU"):  # read from this run's own history
        assert re.search(rf"{cell} (went under 0.1 \(50-step mean\) at step \d+|has not left it in [1-9]\d* steps)",
                         answer), answer


def test_no_deploy_button_or_developer_menu(server, projector):
    page = projector
    page.goto(f"{server}/lesson?chapter=2")
    wait_for_app(page, charts=1)
    assert page.locator('[data-testid="stToolbar"]').count() == 1  # the toolbar is there, without these:
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
    page.locator('[data-testid="stMainMenu"]').click()
    menu = page.locator('[data-testid="stMainMenuList"]')
    menu.wait_for()
    assert "Print" in menu.inner_text()
    assert not re.search(r"Rerun|Clear cache|Deploy|Developer", menu.inner_text())


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
