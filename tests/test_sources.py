"""Sources are named as a reader can find them, never as the project's file numbers ("seed 002", "教程 002").

Rendered text is read, not the code: every lesson chapter in AppTest (both languages, normal and presenter
mode) with its figure's decoded JSON, the explorer's tabs (every view opened, each training preset shown),
the whole-lesson offline file (its page text and decoded figures), `python -m models ... --help`, and the
README. The Sources lists (app, offline file, README) hold every entry of `models.sources.SOURCES`.
"""
import html
import json
import re
from pathlib import Path

import pytest
from google.protobuf import text_format
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from models import __main__ as cli
from models.sources import SOURCES, TUTORIALS, cite
from tests.test_app import APP, OPEN_ALL, run_app
from tests.test_offline_html import plotted_figures
from ui.lesson import export
from ui.lesson.chapters import CHAPTERS
from ui.train_page import PRESET_TEXT

ROOT = Path(__file__).resolve().parent.parent
# "seed 002", "Seed 000's", "(seed 000)", "seeds 001, 004", "教程 002", "教程002", "种子 003"; "the seed's formula".
FILE_NUMBER = re.compile(r"\bseeds?\s*[,(]?\s*0\d\d|(?:教程|种子)\s*0\d\d|\bthe seed['’]s\b|\bthe seeds\b", re.I)


def texts(at: AppTest) -> str:
    """Every string the run sent to the page: element protos as UTF-8 text, figures decoded from their JSON."""
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if isinstance(proto, Message):
            out.append(text_format.MessageToString(proto, as_utf8=True))
            spec = getattr(proto, "spec", "")
            if isinstance(spec, str) and spec.startswith("{"):
                out.append(json.dumps(json.loads(spec), ensure_ascii=False))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def assert_no_file_numbers(text: str, where: str) -> None:
    found = [text[max(0, m.start() - 40):m.end() + 20] for m in FILE_NUMBER.finditer(text)]
    assert not found, f"{where}: {found}"


def test_the_pattern_catches_what_the_issue_saw():
    for bad in ("Seed 002's toy network", "(seed 000)", "Sine forecasting (seed 001)", "教程 002", "教程000",
                "the seed's formula", "seeds 001, 004"):
        assert FILE_NUMBER.search(bad), bad
    for fine in ("Seed", "seed 0", "seeds 1 and 2", "with seed 0: 100%", "random seed 42", "种子 0"):
        assert not FILE_NUMBER.search(fine), fine


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("present", [False, True])
def test_lesson_pages_name_their_sources(lang, present):
    for number in range(1, len(CHAPTERS) + 1):
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params.update({"chapter": str(number), "language": lang, **({"present": "1"} if present else {})})
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        assert_no_file_numbers(texts(at), f"chapter {number} ({lang}, present={present})")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lesson_sources_section_lists_every_source(lang):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"chapter": "1", "language": lang})
    at.run()
    (box,) = [e for e in at.expander if e.label.startswith(("Sources", "参考来源"))]
    listed = "\n".join(m.value for m in box.markdown)
    for source in SOURCES.values():
        assert source.title in listed and source.authors in listed


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_explorer_tabs_name_their_sources(lang):
    at = run_app(language=lang, **OPEN_ALL)
    assert_no_file_numbers(texts(at), f"explorer ({lang})")
    for preset, words in PRESET_TEXT.items():  # the Train tab shows one preset's text at a time
        if lang == "en":  # (AppTest cannot set a widget once a translated selectbox is on the page: zh from data)
            at.selectbox(key="train_preset").set_value(preset).run()
            assert not at.exception
            assert_no_file_numbers(texts(at), f"explorer, train preset {preset}")
        else:
            assert_no_file_numbers(" ".join(words[1::2]), f"train preset {preset} (zh)")


@pytest.fixture(scope="module", params=["en", "zh"])
def whole_lesson(request):
    return request.param, export.lesson_html_all(request.param)


def test_offline_file_names_its_sources_and_lists_them(whole_lesson):
    lang, page = whole_lesson
    ours = re.split(r"</?script[^>]*>", page, maxsplit=2)  # [head, plotly.js, the rest]
    text = html.unescape(re.sub(r"<[^>]+>", " ", ours[0] + ours[2]))
    assert_no_file_numbers(text, f"offline file ({lang})")
    for fig in plotted_figures(page):
        assert_no_file_numbers(json.dumps(fig, ensure_ascii=False), f"offline figure {fig['div']} ({lang})")
    sources = page[page.index('<section id="sources"'):]
    for source in SOURCES.values():
        assert html.escape(source.title, quote=False) in sources and html.escape(source.authors, quote=False) in sources


@pytest.mark.parametrize("argv", [["--help"], ["probe", "--help"], ["train", "--help"], ["sweep", "--help"]])
def test_cli_help_names_no_file_numbers(argv, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(argv)
    assert done.value.code == 0
    assert_no_file_numbers(capsys.readouterr().out, "python -m models " + " ".join(argv))


def test_train_help_names_the_sine_series_tutorial(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    assert cite("lstm_part_2") in " ".join(capsys.readouterr().out.split())


def test_readme_names_no_file_numbers_and_lists_every_source():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert_no_file_numbers(readme, "README.md")
    sources = readme[readme.index("\n## Sources"):]
    for source in SOURCES.values():
        assert source.title in sources and source.authors in sources
    assert len(TUTORIALS) == 5 and all(SOURCES[k].kind == "tutorial" for k in TUTORIALS)
