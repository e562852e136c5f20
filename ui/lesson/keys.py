"""A presentation clicker turns the chapters: `pressed()` mounts a tiny Streamlit component (components v2, no
iframe) that listens to the page's keys and returns "next", "previous", "first", "last" or None.

PageDown / → go to the next chapter, PageUp / ← to the previous one, Home / End to the first and last (a
clicker sends PageDown/PageUp, some send the arrows). Keys typed into a text or number field are left alone;
on a focused slider the arrows, Home and End move the slider, and only the clicker's PageDown/PageUp turn the
chapter. A key held with Alt, Ctrl, Cmd or Shift is the browser's (Alt+← is "back"). Each press is a one-run
trigger value, so a rerun for any other reason never repeats a move.
"""
from __future__ import annotations

import streamlit as st

KEY = "lesson_keys"
JS = """
export default function (component) {
  const { setTriggerValue } = component;
  const moves = { PageDown: "next", ArrowRight: "next", PageUp: "previous", ArrowLeft: "previous",
                  Home: "first", End: "last" };
  const clicker = new Set(["PageDown", "PageUp"]);
  const slider = (el) => el.matches('input[type="range"]') || !!el.closest('[role="slider"]');
  const typing = (el) => el.isContentEditable || el.matches('textarea, select')
      || (el.matches('input') && !el.matches('[type="range"], [type="checkbox"], [type="radio"], [type="button"]'))
      || !!el.closest('[role="combobox"], [role="listbox"], [role="textbox"], [role="spinbutton"]');
  const onKey = (event) => {
    const move = moves[event.key];
    if (!move || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const target = event.target instanceof Element ? event.target : document.body;
    if (typing(target)) return;
    if (slider(target) && !clicker.has(event.key)) return;
    event.preventDefault();
    event.stopPropagation();
    setTriggerValue("move", move);
  };
  window.addEventListener("keydown", onKey, true);  // capture: before a focused slider or the page scrolls
  return () => window.removeEventListener("keydown", onKey, true);
}
"""
LISTENER = st.components.v2.component("lesson_presenter_keys", js=JS, html="<span></span>")


def pressed() -> str | None:
    """Mount the listener (hidden); the move its key press asked for in this run, if any."""
    with st.container(key="lesson_keys_box"):
        result = LISTENER(key=KEY, on_move_change=lambda: None, height=0)
    return result.get("move")


def target(move: str | None, number: int, last: int) -> int:
    """The chapter a move leads to from chapter `number` (1..last); the same chapter for no move."""
    return {"next": min(last, number + 1), "previous": max(1, number - 1), "first": 1, "last": last}.get(move, number)
