"""One source text, two renderings: maths written once as `$…$` (a small LaTeX subset) inside a sentence.

The app hands such text to Streamlit's Markdown, which typesets `$…$` with KaTeX (bundled, no network);
the offline file turns it into HTML here: `text_html(text)` escapes the words and writes each `$…$` with
<sub>, <sup> and Unicode (‖W<sub>hh</sub>‖<sup>T−t</sup>), which any browser shows with no script and no
network. `math_html(tex)` does one formula. The subset: `_x`, `^x`, `_{…}`, `^{…}`, `{…}`, the Greek letters
and symbols of `SYMBOLS`, and `\\frac`, `\\sqrt`, `\\text`, `\\mathrm`, `\\operatorname`, `\\tilde`, `\\hat`.
Anything else raises ValueError naming it, so a formula the offline file cannot show fails a test
instead of reaching a reader as raw LaTeX. Pure string functions.
"""
from __future__ import annotations

import html
import math
import re

SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η", "theta": "θ",
    "lambda": "λ", "mu": "μ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "Sigma": "Σ", "Delta": "Δ",
    "partial": "∂", "nabla": "∇", "odot": "⊙", "cdot": "·", "times": "×", "approx": "≈", "le": "≤", "leq": "≤",
    "ge": "≥", "geq": "≥", "ne": "≠", "to": "→", "rightarrow": "→", "leftarrow": "←", "gets": "←", "sum": "Σ",
    "prod": "∏", "top": "⊤", "prime": "′", "ldots": "…", "dots": "…", "cdots": "⋯", "infty": "∞", "in": "∈",
    "sim": "~", "lVert": "‖", "rVert": "‖", "|": "‖", "lvert": "|", "rvert": "|", "{": "{", "}": "}", "%": "%",
    ",": "\u2009", ";": " ", ":": " ", "!": "", "quad": "\u2003", "qquad": "\u2003\u2003", " ": " ",
    "min": "min", "max": "max", "tanh": "tanh ", "sin": "sin ", "cos": "cos ", "log": "log ", "exp": "exp ", "ln": "ln ",
    "mid": "|",
    "left": "", "right": "", "big": "", "Big": "", "textstyle": "", "displaystyle": "",
}
ONE_ARG = {"text": "{}", "mathrm": "{}", "operatorname": "{}", "mathbf": "<b>{}</b>", "sqrt": "√({})",
           "tilde": "{}\u0303", "hat": "{}\u0302", "bar": "{}\u0304", "mathcal": "{}"}
RELATIONS = {"approx", "le", "leq", "ge", "geq", "ne", "to", "rightarrow", "leftarrow", "gets", "in", "sim", "odot",
             "times"}  # written with a space either side, as KaTeX spaces them
CHARS = {"-": "−", "'": "′", "*": "∗"}
TOKEN = re.compile(r"\\([A-Za-z]+)\s*|\\(.)|([{}_^])|(\s+)|(.)", re.S)  # a space after \name only ends it


def _tokens(tex: str) -> list[tuple[str, str]]:
    out = []
    for m in TOKEN.finditer(tex):
        name, symbol, brace, space, char = m.groups()
        if name is not None or symbol is not None:
            out.append(("cmd", name or symbol))
        elif brace is not None:
            out.append((brace, brace))
        elif space is not None:
            out.append(("space", " "))
        else:
            out.append(("char", char))
    return out


def _bracketed(part: str) -> str:
    """A fraction's part as a/b reads: in brackets only if it is a sum or several terms (outside its scripts)."""
    outside = re.sub(r"<(sub|sup)>.*?</\1>", "", part.strip())
    return f"({part.strip()})" if re.search(r"[ +−=]", outside) else part.strip()


class _Parser:
    def __init__(self, tex: str):
        self.tex, self.toks, self.i, self.scripted = tex, _tokens(tex), 0, 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def error(self, what: str) -> ValueError:
        return ValueError(f"offline maths cannot show {what} in ${self.tex}$")

    def group(self, closing: bool = False) -> str:
        """Atoms with their sub/superscripts up to the closing brace (or the end)."""
        parts = []
        while True:
            kind, _ = self.peek()
            if kind is None:
                if closing:
                    raise self.error("an unclosed {")
                return "".join(parts)
            if kind == "}":
                if not closing:
                    raise self.error("an unmatched }")
                self.take()
                return "".join(parts)
            if kind in ("_", "^"):
                parts.append(self.scripts(""))
                continue
            parts.append(self.scripts(self.atom()))

    def argument(self) -> str:
        while self.peek()[0] == "space":
            self.take()
        kind, value = self.take()
        if kind == "{":
            return self.group(closing=True)
        if kind in ("char", "cmd"):
            self.i -= 1
            return self.atom()
        raise self.error(f"a missing argument after {value!r}")

    def atom(self) -> str:
        kind, value = self.take()
        if kind == "{":
            return self.group(closing=True)
        if kind == "space":
            return " "
        if kind == "char":
            spaced = value in "=<>" and not self.scripted  # a = b; but t=1 in a subscript stays tight
            return f" {html.escape(value)} " if spaced else html.escape(CHARS.get(value, value))
        if value in SYMBOLS:
            return f" {SYMBOLS[value]} " if value in RELATIONS else SYMBOLS[value]
        if value == "frac":
            num, den = self.argument(), self.argument()
            return f"{_bracketed(num)}/{_bracketed(den)}"
        if value in ONE_ARG:
            return ONE_ARG[value].format(self.argument())
        raise self.error(f"\\{value}")

    def scripts(self, base: str) -> str:
        out = base
        while self.peek()[0] in ("_", "^"):
            tag = "sub" if self.take()[0] == "_" else "sup"
            self.scripted += 1
            out += f"<{tag}>{self.argument()}</{tag}>"
            self.scripted -= 1
        return out


def math_html(tex: str) -> str:
    """One formula of the subset as HTML (sub/sup and Unicode), spaces collapsed."""
    out = re.sub(r" {2,}", " ", _Parser(tex).group()).strip()
    return re.sub(r"\b(tanh|sin|cos|log|exp|ln) ([(\[])", r"\1\2", out)  # tanh(c), but sin x


def split_math(text: str) -> list[tuple[bool, str]]:
    """[(is_maths, piece)]: the text cut at its `$…$` spans (a `$` inside maths is not allowed)."""
    pieces = text.split("$")
    if len(pieces) % 2 == 0:
        raise ValueError(f"unbalanced $ in {text!r}")
    return [(i % 2 == 1, p) for i, p in enumerate(pieces) if p]


def text_html(text: str) -> str:
    """A sentence with `$…$` maths as HTML: words escaped, each formula in <span class="math">."""
    return "".join(f'<span class="math">{math_html(p)}</span>' if is_math else html.escape(p)
                   for is_math, p in split_math(text))



def tex_number(x: float, digits: int = 3) -> str:
    """x to `digits` significant digits as maths writes it: 0.0143, 117, 1.43\\times 10^{-5} (no e-notation)."""
    text = f"{x:.{digits}g}"
    if "e" not in text or not math.isfinite(x):
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa}\\times 10^{{{int(exponent)}}}" if mantissa != "1" else f"10^{{{int(exponent)}}}"


def number(x: float, digits: int = 3) -> str:
    """x for running text: plain digits, or `$…\\times 10^{k}$` when it needs a power of ten."""
    text = tex_number(x, digits)
    return f"${text}$" if "10^" in text else text
