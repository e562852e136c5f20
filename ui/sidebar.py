"""Sidebar controls -> `AppSettings`, with the URL as the shareable copy of the state.

The URL is read once per session into the widgets' `st.session_state` keys, then written back
after every run (setting a widget's default from the URL each run would reset it; TESTING.md).
`?hide=weight_scale,init` leaves those controls out; their values still come from the URL. The cells are
picked in two multiselects, one per era of `models.config.CELL_GROUPS` (1997–2014, 2018–2024; Streamlit has no
grouped multiselect), both set by `cells=` and hidden by `hide=cells`. Once a newer cell is chosen, a caption
under weight scale, init, activation and forget bias says what each drives in each chosen cell
(`models.config.CELL_CONTROLS`).
"""
from __future__ import annotations

import streamlit as st

from models.config import CELL_CONTROLS, CELL_GROUPS, CELLS, CLASSIC_CELLS
from viz.style import CELL_NAMES
from viz.text import colon

from .i18n import LANGUAGE_KEY, language, tr
from .i18n import PROBLEM_KEY as LANGUAGE_PROBLEM_KEY
from .nav import URL_CHANGED_KEY
from .presets import MODERN_PRESETS, PRESETS
from .settings import CONTROLS, AppSettings, parse_hide, parse_query, to_query

LOADED_KEY = "probe_url_loaded"  # settings as read from the URL (None until the first run)
PROBLEMS_KEY = "probe_url_problems"  # messages about URL values that could not be used
HIDDEN_KEY = "probe_hidden"  # controls hidden by ?hide=
LAST_KEY = "probe_last"  # this session's settings at its last explorer run (widget keys go when another page shows)

LABELS = {  # name -> (English, Chinese, help in English, help in Chinese)
    "cells": ("Cells to compare", "比较的单元", "Run on the same inputs and seed.", "使用相同的输入和随机种子。"),
    "seq_len": ("Sequence length T", "序列长度 T", "Timesteps the gradient travels back.", "梯度向后传播的时间步数。"),
    "hidden_size": ("Hidden size H", "隐藏层大小 H", None, None),
    "num_layers": ("Layers", "层数", None, None),
    "batch_size": ("Batch size B", "批大小 B", "Sequences; view 1's band is their min-max.", "序列数;图 1 的阴影为其最小–最大值。"),
    "weight_scale": ("Recurrent weight scale ||W_hh||", "循环权重尺度 ||W_hh||",
                     "Spectral norm of each recurrent block (orthogonal/identity init).", "每个循环权重块的谱范数。"),
    "init": ("W_hh init", "W_hh 初始化", None, None),
    "activation": ("RNN activation φ", "RNN 激活函数 φ", "Vanilla RNN only.", "仅用于普通 RNN。"),
    "forget_bias": ("LSTM forget-gate bias", "LSTM 遗忘门偏置", "LSTM only.", "仅用于 LSTM。"),
    "input_scale": ("Input scale", "输入尺度", "x_t ~ scale · N(0, 1)", "x_t ~ 尺度 · N(0, 1)"),
    "seed": ("Seed", "随机种子", None, None),
}


CELL_KEYS = {"1997–2014": "probe_cells", "2018–2024": "probe_cells_modern"}  # era -> its multiselect's key
GROUP_LABELS = {"1997–2014": ("Cells to compare: 1997–2014", "比较的单元:1997–2014"),
                "2018–2024": ("… and after the LSTM: 2018–2024", "……以及 LSTM 之后:2018–2024")}
MEANING_CONTROLS = ("weight_scale", "init", "activation", "forget_bias")  # what CELL_CONTROLS describes


def widget_key(name: str) -> str:
    """Session-state key of a control's widget (the language key is shared with `ui.i18n`; the cells have one
    key per era, `CELL_KEYS`, and this is the first)."""
    return LANGUAGE_KEY if name == "language" else f"probe_{name}"


def _keys(name: str) -> list[str]:
    return list(CELL_KEYS.values()) if name == "cells" else [widget_key(name)]


def write_state(settings: AppSettings) -> None:
    """Put settings into the widgets' session-state keys (before the widgets are drawn).

    The language is left alone: app.py draws its switch, on every page, before this page runs."""
    for name in CONTROLS:
        if name == "language":
            continue
        value = getattr(settings, name)
        if name == "cells":
            for group, key in CELL_KEYS.items():
                st.session_state[key] = [c for c in value if c in CELL_GROUPS[group]]
        else:
            st.session_state[widget_key(name)] = value


def selected_cells() -> tuple[str, ...]:
    """The cells chosen in the era multiselects, in CELLS' order."""
    chosen = {c for key in CELL_KEYS.values() for c in st.session_state.get(key, [])}
    return tuple(c for c in CELLS if c in chosen)


def read_state() -> AppSettings:
    """Settings from the widgets' session-state keys."""
    values = {name: st.session_state[widget_key(name)] for name in CONTROLS if name != "cells"}
    return AppSettings(cells=selected_cells(), **values)


def load_url_once() -> None:
    """First run of a session: URL -> widget state, remembering what could not be used."""
    url_changed = st.session_state.pop(URL_CHANGED_KEY, False)  # another page opened this one with settings
    if st.session_state.get(LOADED_KEY) is not None and not url_changed:
        if any(k not in st.session_state for n in CONTROLS for k in _keys(n)):  # back from another page
            write_state(st.session_state[LAST_KEY])
        return
    params = st.query_params.to_dict()
    settings, bad = parse_query(params)
    hidden, unknown = parse_hide(params.get("hide"))
    write_state(settings)
    st.session_state[LOADED_KEY] = settings
    st.session_state[HIDDEN_KEY] = hidden
    st.session_state[PROBLEMS_KEY] = [(p.message(), p.message(zh=True)) for p in bad] + [
        (f"URL parameter hide: unknown control {n!r} (known: {', '.join(CONTROLS)}).",
         f"URL 参数 hide:未知控件 {n!r}(可用:{', '.join(CONTROLS)})。") for n in unknown]


def apply_preset(index: int, presets: tuple = PRESETS) -> None:
    """Button callback: replace every setting (except the language) with the preset's."""
    write_state(presets[index].settings(language()))
    st.session_state[PROBLEMS_KEY] = []


def meaning(name: str, cells: tuple[str, ...]) -> str:
    """What control `name` drives in each of `cells`, cells of the same meaning together, e.g.
    "RNN, LSTM: ||W_hh|| · IndRNN: max |u_j| · not used by minGRU"."""
    parts, unused, lang = {}, [], 1 if language() == "zh" else 0
    for cell in cells:
        text = CELL_CONTROLS[cell][name]
        if text is None:
            unused.append(CELL_NAMES[cell])
        else:
            parts.setdefault(text[lang], []).append(CELL_NAMES[cell])
    lines = [f"{', '.join(names)}{colon(language())}{text}" for text, names in parts.items()]
    if unused:
        lines.append(tr(f"not used by {', '.join(unused)}", f"{'、'.join(unused)} 不使用"))
    return " · ".join(lines)


def write_url(settings: AppSettings) -> None:
    """Settings -> URL, touching only parameters whose text changed (others, like `hide`, stay)."""
    for name, text in to_query(settings).items():
        if st.query_params.get(name) != text:
            st.query_params[name] = text


def _widget(name: str) -> None:
    """Draw one control; its value lands in st.session_state[widget_key(name)]."""
    c, (en, zh, help_en, help_zh) = CONTROLS[name], LABELS[name]
    kwargs = {"label": tr(en, zh), "key": widget_key(name), "help": tr(help_en, help_zh) if help_en else None}
    if name == "cells":
        for group, key in CELL_KEYS.items():
            st.multiselect(tr(*GROUP_LABELS[group]), options=CELL_GROUPS[group], key=key, help=kwargs["help"],
                           format_func=CELL_NAMES.get)
    elif c.kind == "multi":
        st.multiselect(options=c.options, format_func=CELL_NAMES.get, **kwargs)
    elif c.kind == "grid":
        st.select_slider(options=c.options, **kwargs)
    elif c.kind == "choice":
        st.selectbox(options=c.options, **kwargs)
    elif name == "seed":
        st.number_input(min_value=int(c.lo), max_value=int(c.hi), step=1, **kwargs)
    elif c.kind == "int":
        st.slider(min_value=int(c.lo), max_value=int(c.hi), step=1, **kwargs)
    else:
        st.slider(min_value=float(c.lo), max_value=float(c.hi), step=float(c.step), **kwargs)
    cells = selected_cells()
    if name in MEANING_CONTROLS and any(cell not in CLASSIC_CELLS for cell in cells):
        st.caption(meaning(name, cells))


def controls() -> AppSettings:
    """The whole sidebar: language, presets, every visible control. Returns this run's settings."""
    load_url_once()
    hidden = st.session_state[HIDDEN_KEY]
    with st.sidebar:
        st.subheader(tr("Presets", "预设"))
        for i, preset in enumerate(PRESETS):
            st.button(tr(preset.en, preset.zh), key=f"probe_preset_{i}", on_click=apply_preset, args=(i,),
                      width="stretch")
        st.caption(tr("After the LSTM (2018–2024)", "LSTM 之后(2018–2024)"))
        for i, preset in enumerate(MODERN_PRESETS):
            st.button(tr(preset.en, preset.zh), key=f"probe_modern_preset_{i}", on_click=apply_preset,
                      args=(i, MODERN_PRESETS), width="stretch")
        st.subheader(tr("Settings", "设置"))
        for name in CONTROLS:
            if name != "language" and name not in hidden:
                _widget(name)
        st.caption(tr("The page URL holds these settings: copy it to share this picture.",
                      "页面网址包含这些设置:复制即可分享此图。"))
    settings = read_state()
    st.session_state[LAST_KEY] = settings
    if settings != st.session_state[LOADED_KEY]:
        st.session_state[PROBLEMS_KEY] = []  # the user has moved on from the shared link
    write_url(settings)
    return settings


def url_problems() -> list[str]:
    """Messages about URL values that were replaced, in the current language."""
    problems = st.session_state.get(LANGUAGE_PROBLEM_KEY, []) + st.session_state.get(PROBLEMS_KEY, [])
    return [tr(en, zh) for en, zh in problems]


