"""The app's pages and how one page opens another: `navigation()` for app.py, `open_page(name, query)`.

Pages are small scripts under `ui/pages/` (file pages, so AppTest can switch to them), each at its own path:
- "lesson" (`/lesson?chapter=5&forget_bias=3`): the tutorials chapter by chapter (`ui.lesson`);
- "explorer" (`/explorer?cells=rnn&seq_len=200`): the sidebar instrument (Gradient flow, Worked examples,
  Train, Upload a model);
- "phase": the phase diagrams (`ui.phase_page.render()`), listed only once that module exists.
The bare URL `/` is a hidden page that forwards, query and all, to the lesson, or to the explorer when the
query carries explorer settings: a link shared before the lesson existed (`/?cells=rnn&seq_len=200`) still
opens the picture it was made for.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import streamlit as st

from .i18n import tr
from .settings import CONTROLS, FOLDED_PARAMS

ROOT = Path(__file__).resolve().parent.parent
# name -> (script relative to app.py, url path, English title, Chinese title, icon, module that must exist)
PAGES = {
    "home": ("ui/pages/home.py", "home", "Home", "首页", ":material/home:", None),
    "lesson": ("ui/pages/lesson.py", "lesson", "Lesson", "课程", ":material/school:", None),
    "explorer": ("ui/pages/explorer.py", "explorer", "Explorer", "探索", ":material/query_stats:", None),
    "phase": ("ui/pages/phase.py", "phase", "Phase diagrams", "相图", ":material/grid_on:", "ui.phase_page"),
}
EXPLORER_PARAMS = frozenset(CONTROLS) - {"language"} | {"hide"} | FOLDED_PARAMS  # language alone belongs to every page
URL_CHANGED_KEY = "nav_url_changed"  # set by open_page: the target page reads its settings from the URL again


def available(name: str) -> bool:
    module = PAGES[name][5]
    return module is None or importlib.util.find_spec(module) is not None


def landing(params: dict) -> str:
    """The page a URL without a page path opens: the explorer for an explorer link, else the lesson."""
    lesson_link = "chapter" in params or "present" in params or "class" in params  # a class meets in the lesson
    return "explorer" if not lesson_link and EXPLORER_PARAMS & set(params) else "lesson"


def page(name: str) -> st.Page:
    script, url_path, en, zh, icon, _ = PAGES[name]
    home = name == "home"
    return st.Page(str(ROOT / script), title=tr(en, zh), icon=icon, url_path=url_path, default=home,
                   visibility="hidden" if home else "visible")


def navigation(position: str = "sidebar"):
    """st.navigation over the available pages; `/` is the hidden forwarding page."""
    return st.navigation([page(n) for n in PAGES if available(n)], position=position)


def open_page(name: str, query: dict[str, str] | None = None) -> None:
    """Switch to page `name` with `query` as its URL parameters (e.g. an explorer configuration)."""
    if query:
        st.session_state[URL_CHANGED_KEY] = True  # the page reads its settings from this URL again
    st.switch_page(page(name), query_params=query or {})


def forward() -> None:
    """The bare URL's page: open the landing page for this query, keeping the query."""
    params = st.query_params.to_dict()
    open_page(landing(params), params)
