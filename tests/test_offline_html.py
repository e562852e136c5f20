"""The lesson's offline HTML: one self-contained file per chapter, opened in Chromium with every request blocked.

The slider is moved with the mouse like a reader would; the curve it then shows must equal `models.probe` at
the slider's value, computed here. Sizes stay under the issue's 10 MB per chapter.
"""
import re

import numpy as np
import pytest
from playwright.sync_api import sync_playwright

from models import lesson as ml
from models import probe
from models.examples import parameter_counts
from scripts.browser import launch_chromium
from ui.lesson import export
from ui.lesson.chapters import CHAPTERS, WEIGHTS

MAX_BYTES = 10 * 1024 * 1024
VANISHING = 2  # chapter number


@pytest.fixture(scope="module")
def chapter_two(tmp_path_factory):
    path = tmp_path_factory.mktemp("offline") / "chapter2.html"
    path.write_text(export.chapter_html(VANISHING, {"weight_scale": 0.9, "activation": "tanh"}, "en"), encoding="utf-8")
    return path


def test_file_is_self_contained_and_small(chapter_two):
    html = chapter_two.read_text(encoding="utf-8")
    assert chapter_two.stat().st_size < MAX_BYTES
    assert not re.search(r"<script[^>]+src=", html) and "cdn.plot.ly" not in html and "mathjax" not in html.lower()
    assert not re.search(r"""(?:src|href)=["']https?:""", html)  # no stylesheet, image or script from a network
    assert "Vanishing gradients" in html and "(γ ‖W<sub>hh</sub>‖)<sup>T−t</sup>" in html


def test_chinese_file_has_chinese_text_and_figure_words():
    html = export.chapter_html(9, {}, "zh")
    assert "参数数量" in html and "教程公式 G(n(m+n)+n)" in html and 'lang="zh-CN"' in html
    n = 32  # the slider's default frame: PyTorch's count for nn.LSTM(1, 32), 4(n(1+n)+2n)
    assert f"nn.LSTM(1, {n}) 有 {4 * (n * (1 + n) + 2 * n):,} 个参数" in html


def test_every_chapter_fits_in_ten_megabytes():
    for number in (5, 9):  # the largest frames: 15 LSTM path sets; 11 parameter counts (the others are smaller)
        assert len(export.chapter_html(number, {}, "en").encode()) < MAX_BYTES


def curve_js(name: str) -> str:
    return f"""() => {{ const gd = document.querySelector('.js-plotly-plot');
        const tr = gd.data.find(t => t.name === '{name}');
        return {{active: gd.layout.sliders[0].active, y: Array.from(tr.y)}}; }}"""


def test_slider_moves_offline_and_shows_the_probe_at_that_value(chapter_two):
    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
        blocked = []
        context.route("**/*", lambda route: (blocked.append(route.request.url), route.abort())
                      if not route.request.url.startswith("file:") else route.continue_())
        page = context.new_page()
        page.goto(chapter_two.as_uri())
        page.wait_for_selector(".slider-container .slider-rail-touch-rect", state="attached")
        assert "Backpropagation through time multiplies" in page.inner_text("body")
        start = page.evaluate(curve_js("RNN ||dL/dh_t||"))
        assert WEIGHTS[start["active"]] == 0.9
        box = page.locator(".slider-rail-touch-rect").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.98, box["y"] + box["height"] / 2)  # near the right end
        page.wait_for_function("() => document.querySelector('.js-plotly-plot').layout.sliders[0].active > 12")
        after = page.evaluate(curve_js("RNN ||dL/dh_t||"))
        browser.close()
    value = WEIGHTS[after["active"]]
    expected = probe(ml.vanishing_config(value, "tanh")).grad_h.mean(axis=0)
    np.testing.assert_allclose(after["y"], expected, rtol=1e-6)
    assert value > 1.0 and not np.allclose(after["y"], start["y"])
    assert blocked == []  # nothing even tried the network


def test_parameter_frames_hold_pytorchs_counts():
    """Chapter 9's frames, one per hidden size: bar heights are PyTorch's own counts (nn.LSTM(...).parameters())."""
    fig = export.section(9, {}, "en").figure
    for frame, n in zip(fig.frames, CHAPTERS[8].knobs[0].options):
        (pytorch,) = [t for t in frame.data if t.name == "PyTorch"]
        assert list(pytorch.y) == [parameter_counts(c, 1, n)["pytorch"] for c in ("rnn", "lstm", "gru")]
