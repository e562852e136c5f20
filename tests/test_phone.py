"""Phones: `viz.style.phone` (legend one entry a row under the axis, the figure taller by it, no drag-to-zoom)
and `ui.phone` (which browsers count as phones; the narrow-screen rules). The rendered result is checked in
Chromium at 390x844 by tests/test_browser_class.py."""
import plotly.graph_objects as go
import pytest

from ui import phone as ui_phone
from viz.style import PHONE_ROW, figure, legend_entries, phone


def test_phone_figure_makes_room_for_one_legend_entry_a_row():
    traces = [go.Scatter(y=[1, 2], name=f"line {i}") for i in range(5)] + [go.Scatter(y=[1], showlegend=False)]
    fig = phone(figure(traces, {}, "t", height=420))
    assert legend_entries(fig) == 5
    grown = fig.layout.height - 420
    assert grown >= 5 * PHONE_ROW and fig.layout.margin.b == 60 + grown  # the plot keeps its own height
    assert fig.layout.legend.yref == "container" and fig.layout.legend.y == 0 and fig.layout.dragmode is False
    quiet = phone(figure([go.Scatter(y=[1])], {"showlegend": False}, "t"))
    assert quiet.layout.height == 420 and legend_entries(quiet) == 0


@pytest.mark.parametrize("agent, expected", [
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1", True),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36", True),
    ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15", False),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36", False)])
def test_phones_are_told_by_their_user_agent(monkeypatch, agent, expected):
    class Context:
        headers = {"User-Agent": agent}
    monkeypatch.setattr(ui_phone.st, "context", Context())
    assert ui_phone.is_phone() is expected
    fig = figure([go.Scatter(y=[1], name="a")], {}, "t")
    assert (ui_phone.for_phone(fig).layout.dragmode is False) is expected


def test_narrow_screen_rules_hide_the_toolbar_and_keep_the_lesson_nav_in_one_row():
    css = ui_phone.PHONE_CSS
    assert "@media (max-width: 640px)" in css and ".modebar-container { display: none; }" in css
    assert ".st-key-lesson_prev_top" in css and "flex-wrap: nowrap" in css
