"""What a person sees: the app in headless Chromium (Debian's /usr/bin/chromium via Playwright).

Starts `streamlit run app.py` on a free port, loads it as a new user, checks the charts hold data
and no exception box is shown, moves a slider and clicks a preset (waiting for the chart's SVG to
change), and saves screenshots under the test's tmp dir. Fails loudly if Chromium is missing.
"""
import pytest
from playwright.sync_api import sync_playwright

from scripts.browser import (CHART, focus_slider, launch_chromium, signature, streamlit_server, timed_change,
                             wait_for_app)

EXCEPTION = '[data-testid="stException"]'


@pytest.fixture(scope="module")
def page():
    with streamlit_server() as url, sync_playwright() as p:
        browser = launch_chromium(p)
        pg = browser.new_page(viewport={"width": 1400, "height": 2400})
        pg.goto(f"{url}/explorer")  # a bare URL opens the lesson
        wait_for_app(pg, charts=5)
        # views 1-3 of the Gradient flow tab drawn (the idle check counts traces, which one view can satisfy);
        # views 4-6 are shut expanders
        pg.wait_for_function(f"n => document.querySelectorAll('{CHART}').length >= n", arg=3, timeout=120_000)
        wait_for_app(pg, charts=5)
        yield pg
        browser.close()


def drawn_points(page) -> int:
    """Number of drawn line segments in the first chart's traces (0 for an empty chart)."""
    return page.evaluate(f"""() => Array.from(document.querySelector('{CHART}').querySelectorAll(
        '.scatterlayer path.js-line')).reduce((n, p) => n + (p.getAttribute('d') || '').split('L').length - 1, 0)""")


def test_first_load_shows_charts_with_data(page, tmp_path):
    assert page.locator(CHART).count() >= 3
    assert page.locator(EXCEPTION).count() == 0
    assert drawn_points(page) > 3 * 90  # three cells, about 100 timesteps each
    page.screenshot(path=tmp_path / "first_load.png")
    assert (tmp_path / "first_load.png").stat().st_size > 10_000


def test_csv_download_holds_the_view_data(page, tmp_path):
    with page.expect_download() as info:
        page.get_by_role("button", name="CSV").first.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    lines = path.read_text().splitlines()
    assert path.name == "gradient_norm.csv"
    assert lines[0] == "run,t,grad_h_mean,grad_h_min,grad_h_max,grad_c_mean,bound,direct_path_only_mean"
    assert len(lines) == 1 + 3 * 100 and lines[1].startswith("RNN,1,")


def test_gradient_paths_view_is_drawn(page, tmp_path):
    paths = page.locator(CHART).filter(has_text="Which path carries the gradient")
    assert paths.count() == 1
    paths.scroll_into_view_if_needed()
    assert paths.locator(".scatterlayer path.js-line").count() >= 1 + 5 + 4  # RNN, LSTM and GRU paths
    legend = paths.locator(".legendtext").evaluate_all("els => els.map(e => e.textContent)")
    assert "B_t = f_t ⊙ g^c_t (direct)" in legend and "copy z_t ⊙ g^h_t (direct)" in legend
    paths.screenshot(path=tmp_path / "paths.png")


def open_view(page, title: str, new_charts: int) -> None:
    """Click a shut view's expander and wait until its charts are drawn."""
    charts = page.locator(CHART).count()
    page.locator('[data-testid="stExpander"] summary').filter(has_text=title).click()
    page.wait_for_function(f"n => document.querySelectorAll('{CHART}').length >= n", arg=charts + new_charts,
                           timeout=120_000)
    wait_for_app(page, charts=5)


def test_opening_views_below_the_fold_draws_them_and_puts_them_in_the_url(page, tmp_path):
    assert page.locator(f"{CHART} .heatmaplayer image").count() == 0
    assert page.locator(CHART).filter(has_text="LSTM gates").count() == 0
    open_view(page, "4 · Where the gradient goes", 1)
    assert page.locator(f"{CHART} .heatmaplayer image").count() >= 3  # one heatmap per cell, holding pixels
    open_view(page, "5 · Gate activations", 2)
    gates = page.locator(CHART).filter(has_text="LSTM gates")
    assert gates.count() == 1 and gates.locator(".scatterlayer path.js-line").count() >= 4
    assert "probe_show_gates=true" in page.url and "probe_show_units=true" in page.url
    assert page.locator(EXCEPTION).count() == 0
    gates.screenshot(path=tmp_path / "gates.png")


def test_moving_a_slider_redraws(page, tmp_path):
    before = signature(page)
    slider = focus_slider(page, "Sequence length")
    elapsed = timed_change(page, lambda: slider.press("ArrowRight"))
    wait_for_app(page, charts=5)
    assert signature(page) != before and elapsed < 30
    assert page.locator('[data-testid="stSlider"]').filter(has_text="Sequence length").locator(
        '[data-testid="stSliderThumbValue"]').inner_text() == "101"
    assert page.locator(EXCEPTION).count() == 0
    page.screenshot(path=tmp_path / "after_slider.png")


def test_switching_a_preset_redraws(page, tmp_path):
    button = page.get_by_role("button", name="Sigmoid RNN: the 1/4 bound")
    timed_change(page, button.click)
    wait_for_app(page, charts=3)
    assert page.locator(EXCEPTION).count() == 0
    assert "activation=sigmoid" in page.url and "cells=rnn" in page.url
    legend = page.locator(CHART).first.locator(".legendtext").evaluate_all("els => els.map(e => e.textContent)")
    assert any(t.startswith("RNN") for t in legend) and not any(t.startswith("LSTM") for t in legend)
    assert drawn_points(page) > 0
    page.screenshot(path=tmp_path / "preset.png")
