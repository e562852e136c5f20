"""`viz.mathtext`: the lesson's one source text (maths as `$…$`) written as offline HTML, and every chapter's text,
question, equations and reveal (both languages) in the subset it can write."""
import re

import pytest

from ui.lesson import export
from ui.lesson.chapters import CHAPTERS
from viz.mathtext import math_html, number, split_math, tex_number, text_html


@pytest.mark.parametrize("tex, html", [
    (r"s_t = U x_t + W s_{t-1}", "s<sub>t</sub> = U x<sub>t</sub> + W s<sub>t−1</sub>"),
    (r"(\gamma\lVert W_{hh}\rVert)^{T-t}", "(γ‖W<sub>hh</sub>‖)<sup>T−t</sup>"),
    (r"0.8^{50} \approx 1.43\times 10^{-5}", "0.8<sup>50</sup> ≈ 1.43 × 10<sup>−5</sup>"),
    (r"\partial c_t/\partial c_{t-1}", "∂c<sub>t</sub>/∂c<sub>t−1</sub>"),
    (r"\frac{a + b}{c_t}", "(a + b)/c<sub>t</sub>"),
    (r"h_t = o_t \odot \tanh(c_t)", "h<sub>t</sub> = o<sub>t</sub> ⊙ tanh(c<sub>t</sub>)"),
    (r"\sum_{t=1}^{T} C_t", "Σ<sub>t=1</sub><sup>T</sup> C<sub>t</sub>"),
    (r"x < y", "x &lt; y"),
])
def test_formulas_become_sub_sup_and_unicode(tex, html):
    assert math_html(tex) == html


def test_words_are_escaped_and_maths_wrapped():
    assert text_html("a <b> & $x_t$ end") == 'a &lt;b&gt; &amp; <span class="math">x<sub>t</sub></span> end'


@pytest.mark.parametrize("bad", [r"\unknown x", r"x_{t", r"x}", r"\frac{a}"])
def test_what_it_cannot_write_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="offline maths cannot show"):
        math_html(bad)


def test_unbalanced_dollars_are_refused():
    with pytest.raises(ValueError, match="unbalanced"):
        split_math("a $x_t and b")


def test_numbers_never_use_e_notation():
    assert [number(x) for x in (0.0143, 117.2, 5.45e-7, 1e-10)] == ["0.0143", "117", r"$5.45\times 10^{-7}$", "$10^{-10}$"]
    assert tex_number(1.83e6) == r"1.83\times 10^{6}"


@pytest.fixture(scope="module", params=["en", "zh"])
def sections(request):
    lang = request.param
    return lang, [export.section(n, {}, lang) for n in range(1, len(CHAPTERS) + 1)]


def test_every_chapter_writes_as_html_with_no_latex_left(sections):
    """Texts, questions, equations and every frame's reveal: no raw LaTeX, no stray control character."""
    lang, out = sections
    for s in out:
        pieces = [*s.paragraphs, s.predict, *(a for pair in s.reveals for a in pair)]
        for text in pieces:
            assert not re.search(r"[\x00-\x08\x0b-\x1f]", text), (s.title, text[:80])  # a "\t" from "\times"
            written = re.sub(r"<[^>]+>", "", text_html(text))
            assert "\\" not in written and "$" not in written and "{" not in written, (s.title, written[:120])
        for eq in s.equations:
            written = re.sub(r"<[^>]+>", "", math_html(eq))
            assert "\\" not in written and "{" not in written, (s.title, eq)
    assert len(out) == len(CHAPTERS)
