"""What a phone needs that a laptop does not: `phone_css()`, drawn once per page by app.py.

Below 640 px Streamlit stacks every row of columns, so a lesson chapter reads text, figure, knobs, question. On top
of that, at phone widths:
- Plotly's toolbar is hidden: it sat over the chart's title, and zooming or saving a PNG needs a mouse anyway;
- headings shrink, so the chapter's title does not fill the first screen;
- the lesson's Previous / Chapter n / Next row stays one row (`:has()` finds it by its buttons' keys).
A phone's browser (its User-Agent says "Mobi", as phones' browsers do and tablets' do not) also gets each chart
through `for_phone` (`viz.style.phone`): the legend one entry a row under the axis, the figure taller by it, and no
drag-to-zoom, so a finger on a chart scrolls the page instead of zooming it.
"""
from __future__ import annotations

import streamlit as st

from viz.style import phone

PHONE_WIDTH = 640  # px: Streamlit's own breakpoint for stacking columns
PHONE_CSS = f"""<style>
@media (max-width: {PHONE_WIDTH}px) {{
  [data-testid="stPlotlyChart"] .modebar-container {{ display: none; }}
  .block-container h1 {{ font-size: 1.7rem; }}
  .block-container h2 {{ font-size: 1.35rem; }}
  [data-testid="stHorizontalBlock"]:has(.st-key-lesson_prev_top, .st-key-lesson_prev_bottom) {{
    flex-wrap: nowrap; gap: 0.5rem; }}
  [data-testid="stHorizontalBlock"]:has(.st-key-lesson_prev_top, .st-key-lesson_prev_bottom) > [data-testid="stColumn"] {{
    min-width: 0; flex: 1 1 0; }}
}}
</style>"""


def phone_css() -> None:
    """The rules above; a style-only st.html takes no space on the page."""
    st.html(PHONE_CSS)


def is_phone() -> bool:
    """Whether this session's browser is a phone's (the page's first request's User-Agent)."""
    try:
        agent = st.context.headers.get("User-Agent") or ""
    except Exception:  # noqa: BLE001 - no request context (AppTest)
        return False
    return "Mobi" in agent


def for_phone(fig):
    """`fig` made for a phone's screen when this browser is a phone's; unchanged otherwise."""
    return phone(fig) if is_phone() else fig
