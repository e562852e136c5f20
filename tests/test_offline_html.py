"""The lesson's offline HTML: one self-contained file per chapter, opened in Chromium with every request blocked.

The slider is moved with the mouse like a reader would; the curve it then shows must equal `models.probe` at
the slider's value, computed here. Sizes stay under the issue's 10 MB per chapter.
"""
import importlib.util
import json
import re

import numpy as np
import pytest
from playwright.sync_api import sync_playwright

from models import lesson as ml
from models import probe
from scripts.browser import launch_chromium
from ui.lesson import export
from ui.lesson.chapters import CHAPTERS, THRESHOLDS, WEIGHTS
from viz.offline import lesson_html

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
    head, plotly_js, rest = re.split(r"</?script[^>]*>", html, maxsplit=2)  # plotly.js, inlined once, in <head>
    assert len(plotly_js) > 3_000_000 and "Plotly" in plotly_js
    ours = head + rest  # plotly.js's own text mentions URLs (its credits, MathJax hooks) that it never loads
    assert not re.search(r"<script[^>]+src=", ours) and "mathjax" not in ours.lower()
    assert not re.search(r"""(?:src|href)=["']https?:""", ours)  # no stylesheet, image or script from a network
    assert "Vanishing gradients" in html and "(γ‖W<sub>hh</sub>‖)<sup>T−t</sup>" in html  # maths as HTML
    assert '<span class="math">0.8<sup>50</sup> ≈ 0.0000143</span>' in html  # the same source text as the app's


@pytest.fixture(scope="module")
def counts_zh():
    """Chapter 9 (parameter counts) in Chinese: the section and its file."""
    section = export.section(9, {}, "zh")
    return section, lesson_html([section], "课程", "", "zh")


def plotted_figures(html: str) -> list[dict]:
    """Each `Plotly.newPlot(div, data, layout, config)` of the file, decoded as the browser decodes it.

    Plotly writes its JSON with orjson (literal characters) when that is installed and with Python's json
    (`\\uXXXX` escapes) otherwise: the raw text differs, the decoded figure does not."""
    decoder, figures = json.JSONDecoder(), []
    for match in re.finditer(r"Plotly\.newPlot\(\s*", html):
        args, at = [], match.end()
        for _ in range(4):  # the div id, data, layout, config
            value, at = decoder.raw_decode(html, at)
            args.append(value)
            at = re.compile(r"\s*,?\s*").match(html, at).end()
        figures.append({"div": args[0], "data": args[1], "layout": args[2]})
    return figures


def test_chinese_file_has_chinese_text_and_figure_words(counts_zh):
    html = counts_zh[1]
    assert "参数数量" in html and 'lang="zh-CN"' in html  # the page's own text is written as characters
    (figure,) = plotted_figures(html)
    assert [t["name"] for t in figure["data"]][:2] == ["每门一个偏置:G(n(m+n)+n)", "PyTorch"]  # the legend as drawn
    n = 32  # the slider's default frame: PyTorch's count for nn.LSTM(1, 32), 4(n(1+n)+2n)
    assert f"nn.LSTM(1, {n}) 有 {4 * (n * (1 + n) + 2 * n):,} 个参数" in html


def test_figures_decode_the_same_whichever_json_engine_wrote_them(counts_zh):
    """The same section written by Python's json (escapes) and, where installed, orjson (characters)."""
    import plotly.io as pio
    engines = ["json"] + (["orjson"] if importlib.util.find_spec("orjson") else [])
    pages = []
    for engine in engines:
        before, pio.json.config.default_engine = pio.json.config.default_engine, engine
        try:
            pages.append(plotted_figures(lesson_html([counts_zh[0]], "课程", "", "zh")))
        finally:
            pio.json.config.default_engine = before
    assert all(p == pages[0] for p in pages) and pages[0][0]["layout"]["title"]["text"].startswith("一层")


def test_largest_chapter_fits_in_ten_megabytes(counts_zh):
    assert len(counts_zh[1].encode()) < MAX_BYTES
    assert len(export.chapter_html(5, {}, "en").encode()) < MAX_BYTES  # 15 frames of five LSTM paths: the largest


def curve_js(name: str) -> str:
    return f"""() => {{ const gd = document.querySelector('.js-plotly-plot');
        const tr = gd._fullData.find(t => t.name === '{name}');  // decoded arrays (data may hold base64 specs)
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
        page.get_by_text("Reveal (computed").click()  # the answer opens on demand
        assert "It rises" in page.inner_text("body")
        assert "At 0.9 it is" in page.locator(".reveal-frame:not([hidden])").inner_text()
        start = page.evaluate(curve_js("RNN ||dL/dh_t||"))
        assert WEIGHTS[start["active"]] == 0.9
        rail = page.locator(".slider-rail-touch-rect")
        rail.scroll_into_view_if_needed()
        box = rail.bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.98, box["y"] + box["height"] / 2)  # near the right end
        # The slider's `active` moves before the frame's data are drawn: wait for both, then read them together.
        page.wait_for_function(f"""() => {{ const now = ({curve_js("RNN ||dL/dh_t||")})();
            return now.active > 12 && now.y[0] !== {start["y"][0]!r}; }}""")
        after = page.evaluate(curve_js("RNN ||dL/dh_t||"))
        shown = page.locator(".reveal-frame:not([hidden])")
        answer = shown.inner_html() if shown.count() == 1 else ""
        browser.close()
    value = WEIGHTS[after["active"]]
    expected = probe(ml.vanishing_config(value, "tanh")).grad_h.mean(axis=0)
    np.testing.assert_allclose(after["y"], expected, rtol=1e-6)
    # The reveal followed the slider: the answer shown is the one at the new value, its number the probe's.
    m = re.search(r"At ([\d.]+) it is (?:<span class=\"math\">)?([\d.]+)(?: × 10<sup>(−?\d+)</sup>)?", answer)
    assert m and float(m.group(1)) == value, answer[:300]
    at1 = float(m.group(2)) * 10.0 ** int((m.group(3) or "0").replace("−", "-"))
    assert at1 == pytest.approx(expected[0], rel=5e-3)  # printed to 3 digits
    assert value > 1.0 and not np.allclose(after["y"], start["y"])
    assert blocked == []  # nothing even tried the network


def test_wall_frames_follow_the_threshold_and_their_reveals_say_so():
    """Chapter 3 offline: a frame per clipping threshold, each holding that threshold's clipped descent (plain
    Python, tests/test_wall.py), the error surface written once; one reveal per frame, at its threshold."""
    from models import wall
    from tests.test_wall import reference_descent
    section = export.section(3, {}, "en")
    fig = section.figure
    assert [f.name for f in fig.frames] == [f"{t:g}" for t in THRESHOLDS]
    assert fig.data[0].type == "contour" and all(0 not in f.traces for f in fig.frames)  # not repeated per frame
    for frame, tau in zip(fig.frames, THRESHOLDS):
        clipped = next(t for t in frame.data if t.name == f"clipped at τ = {tau:g}")
        ref = np.array(reference_descent(wall.START, wall.LR, 19, tau))
        np.testing.assert_allclose(np.c_[clipped.x, clipped.y][:20], ref, rtol=1e-9)
    assert len(section.reveals) == len(THRESHOLDS) and section.active == THRESHOLDS.index(1.0)
    for (setting, answer), tau in zip(section.reveals, THRESHOLDS):
        assert f"Clip threshold τ = {tau:g}" in setting and f"Clipped at $\\tau = {tau:g}$" in answer


def test_parameter_frames_hold_the_formulas_counts(counts_zh):
    """Chapter 9's frames, one per hidden size n (m = 1): PyTorch's G(n(m+n)+2n), the tutorial's G(n(m+n)+n)."""
    fig = counts_zh[0].figure
    assert len(fig.frames) == len(CHAPTERS[8].knobs[0].options)
    for frame, n in zip(fig.frames, CHAPTERS[8].knobs[0].options):
        pytorch, seed = frame.data[1], frame.data[0]
        assert list(pytorch.y) == [g * (n * (1 + n) + 2 * n) for g in (1, 4, 3)]  # RNN, LSTM, GRU
        assert list(seed.y) == [g * (n * (1 + n) + n) for g in (1, 4, 3)]
