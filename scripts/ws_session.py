"""One Streamlit session driven over its own WebSocket protocol, as a browser drives it: `Session`, `Run`, `connect`.

Used by `scripts.ws_load` (the explorer's load), `scripts.ws_class` (a class) and the tests of `make class`.
No browser: it sends what the browser's frontend sends (a rerun with the page's widget states, a button press
once, a fragment's rerun on its timer) and reads the server's messages until the run finishes.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

PAGE = "explorer"


async def connect(url: str, timeout: float, cookies: dict | None = None):
    """An open WebSocket to the Streamlit server (or proxy) at `url`, sending `cookies` as a browser would."""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else None
    return await websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                                    max_size=None, open_timeout=timeout, ping_interval=None,
                                    additional_headers=headers)


@dataclass
class Run:
    """One script run as the server reported it."""

    first_chart: float | None  # s to the first plotly_chart element, None if none came
    finished: float  # s to script_finished
    status: str  # script_finished's status name
    query: str  # the page's query string after the run (the app writes every setting there)
    widgets: dict  # widget key (the part after "-" in its id) -> full widget id
    exceptions: list  # messages of exception elements
    received: int  # bytes of every message of the run, as on the wire
    chart_bytes: int  # bytes of its plotly_chart messages (the figures' payload)
    texts: list = field(default_factory=list)  # bodies of its markdown and alert elements


class Session:
    """One Streamlit session over a WebSocket, as a browser drives it: rerun a page with widget states (and one-shot
    button presses), rerun a fragment on its timer, read until the run finishes.

    Kept from the runs: `widgets` (user key -> widget id), `elements` (user key -> the widget's proto, for its
    options), `submits` (form id -> its submit button's id), `fragments` (fragment id -> interval, s, of the
    fragments that rerun themselves: st.fragment(run_every=...)), `on_page` (the user keys of the widgets the
    last whole-page run drew)."""

    def __init__(self, ws, query: str, page: str = PAGE):
        self.ws, self.query, self.page, self.widgets, self.states = ws, query, page, {}, {}
        self.elements, self.submits, self.fragments, self.once, self.on_page = {}, {}, {}, {}, set()
        self.page_hash = ""  # the page's script hash once the server named it (a rerun of the same page)
        self.session_id = ""  # the server's id of this session (new_session names it)

    def navigate(self, page: str, query: str = "") -> None:
        """The next rerun opens `page` (as a click in the page list: widget states of the old page are dropped)."""
        self.page, self.page_hash, self.query, self.states = page, "", query, {}

    async def rerun(self, timeout: float, fragment_id: str | None = None) -> Run:
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        if self.page_hash:  # as a browser does: a page name on a later rerun reads as navigation, dropping widget states
            msg.rerun_script.page_script_hash = self.page_hash
        else:
            msg.rerun_script.page_name = self.page
        if fragment_id is not None:
            msg.rerun_script.fragment_id, msg.rerun_script.is_auto_rerun = fragment_id, True
        registered = {}  # the timed fragments this run registers: all the page has, if the whole page runs
        msg.rerun_script.widget_states.widgets.extend([*self.states.values(), *self.once.values()])
        self.once = {}  # a button press is sent once
        start, first_chart, exceptions, received, chart_bytes, texts = time.perf_counter(), None, [], 0, 0, []
        drawn = set()
        await self.ws.send(msg.SerializeToString())
        deadline = start + timeout
        while True:
            reply, raw = ForwardMsg(), await asyncio.wait_for(self.ws.recv(), max(0.01, deadline - time.perf_counter()))
            reply.ParseFromString(raw)
            received += len(raw)
            kind = reply.WhichOneof("type")
            if kind == "navigation":  # the page st.navigation ran (new_session names app.py's own hash)
                self.page_hash = reply.navigation.page_script_hash or self.page_hash
            elif kind == "new_session":
                self.session_id = reply.new_session.initialize.session_id
            elif kind == "page_info_changed":
                self.query = reply.page_info_changed.query_string
            elif kind == "auto_rerun":
                registered[reply.auto_rerun.fragment_id] = reply.auto_rerun.interval
                self.fragments[reply.auto_rerun.fragment_id] = reply.auto_rerun.interval
            elif kind == "stop_auto_rerun":
                for gone in reply.stop_auto_rerun.fragment_ids:
                    self.fragments.pop(gone, None)
            elif kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                element = reply.delta.new_element
                name = element.WhichOneof("type")
                if name == "plotly_chart":
                    chart_bytes += len(raw)
                    first_chart = first_chart if first_chart is not None else time.perf_counter() - start
                elif name == "exception":
                    exceptions.append(element.exception.message)
                elif name in ("markdown", "alert"):
                    texts.append(getattr(element, name).body)
                widget = getattr(element, name) if name else None
                widget_id = getattr(widget, "id", "")
                if widget_id.startswith("$$ID-") and not widget_id.endswith("-None"):
                    key = widget_id.split("-", 2)[2]
                    self.widgets[key], self.elements[key] = widget_id, widget
                    drawn.add(key)
                if name == "button" and widget.is_form_submitter:
                    self.submits[widget.form_id] = widget_id
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(reply.script_finished)
                if status == "FINISHED_SUCCESSFULLY":  # a whole page (also when a fragment called st.rerun())
                    # As the browser does: a whole page's run replaces the timers. A fragment the new page did not
                    # draw is gone on the server, and a rerun of its id would never finish (the lesson's file,
                    # once prepared, reruns the page from its 1 s fragment, and that fragment is not drawn again).
                    self.on_page, self.fragments = drawn, registered
                if status != "FINISHED_EARLY_FOR_RERUN":
                    return Run(first_chart, time.perf_counter() - start, status, self.query, dict(self.widgets),
                               exceptions, received, chart_bytes, texts)

    def _state(self, key: str, widget_id: str | None = None, once: bool = False) -> WidgetState:
        state = (self.once if once else self.states).setdefault(key, WidgetState())
        state.id = widget_id or self.widgets[key]
        return state

    def set_slider(self, key: str, value: float) -> None:
        """The next rerun carries slider `key` at `value` (a slider's state is a one-element double array)."""
        self._state(key).double_array_value.data[:] = [float(value)]

    def set_select_slider(self, key: str, option: str) -> None:
        """select_slider `key` at the option shown as `option` (its state: the formatted option)."""
        self._state(key).string_array_value.data[:] = [option]

    def set_choice(self, key: str, option: str) -> None:
        """radio / selectbox `key` at the option shown as `option`."""
        self._state(key).string_value = option

    def set_number(self, key: str, value: float) -> None:
        self._state(key).double_value = float(value)

    def press(self, key: str | None = None, form: str | None = None) -> None:
        """The next rerun presses button `key` (or the submit button of form `form`), once."""
        widget_id = self.submits[form] if form is not None else self.widgets[key]
        self._state(f"press:{widget_id}", widget_id, once=True).trigger_value = True
