"""scripts/ws_load.py: its bounds, a short run of 2 WebSocket clients against a local server, and
scripts/ws_session.py's timed fragments against a scripted server."""
import asyncio

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from scripts import ws_load
from scripts.browser import streamlit_server
from scripts.server_watch import child_pid
from scripts.ws_session import Session


def test_bounded_and_loopback_only():
    for argv in (["--clients", "61"], ["--seconds", "4000"], ["--browsers", "5"], ["--url", "http://10.0.0.2:8501"],
                 ["--processes", "0"], ["--processes", "1,2,3,4,5"], ["--processes", "9"],
                 ["--processes", "2", "--url", "http://127.0.0.1:8501"], ["--profile", "class"],
                 ["--profile", "class", "--processes", "2", "--browsers", "1"]):  # the class profile has no browsers
        with pytest.raises(SystemExit):
            ws_load.parse(argv)
    assert ws_load.parse(["--url", "http://localhost:8501/"]).url == "http://localhost:8501"
    assert ws_load.parse(["--processes", "1,2", "--profile", "class"]).processes == [1, 2]


def test_taken_reads_the_setting_from_the_url():
    query = "seed=1&cells=rnn%2Clstm&seq_len=150&hidden_size=32"
    assert ws_load.taken(query, "probe_seq_len", 150) and not ws_load.taken(query, "probe_hidden_size", 48)


def test_two_clients_change_sliders_and_the_server_takes_every_change():
    args = ws_load.parse(["--clients", "2", "--seconds", "10", "--browsers", "0", "--pause", "0.3",
                          "--rss-every", "3", "--timeout", "90"])
    with streamlit_server() as url:
        tally = asyncio.run(ws_load.run_clients(url, args, child_pid(int(url.rsplit(":", 1)[1]))))
    assert not tally.errors, tally.details  # "change not taken" would mean the rerun did not carry the widget state
    assert len(tally.opens) == 2 and len(tally.finished) >= 2 and tally.rss and all(m > 50 for _, m in tally.rss)
    text = ws_load.report(args, tally)
    assert f"changes: {len(tally.finished)};" in text and "errors: 0" in text


class ScriptedSocket:
    """A WebSocket that answers each sent rerun with the next scripted run's server messages."""

    def __init__(self, runs: list[list[ForwardMsg]]):
        self.runs, self.inbox, self.sent = runs, [], []

    async def send(self, raw: bytes) -> None:
        self.sent.append(BackMsg.FromString(raw))
        self.inbox += [m.SerializeToString() for m in self.runs.pop(0)]

    async def recv(self) -> bytes:
        return self.inbox.pop(0)


def timer(fragment: str, seconds: float) -> ForwardMsg:
    msg = ForwardMsg()
    msg.auto_rerun.fragment_id, msg.auto_rerun.interval = fragment, seconds
    return msg


def finished(status: str) -> ForwardMsg:
    msg = ForwardMsg()
    msg.script_finished = ForwardMsg.ScriptFinishedStatus.Value(status)
    return msg


def test_a_whole_page_run_replaces_the_timed_fragments_as_a_browser_does():
    """The lesson's 1 s fragment reruns the whole page once its file is ready, and the new page does not draw that
    fragment again: its timer must go, or the next rerun of its id waits for a run the server never starts."""
    socket = ScriptedSocket([
        [timer("poll", 1.0), timer("file", 1.0), finished("FINISHED_SUCCESSFULLY")],  # the page
        [finished("FINISHED_FRAGMENT_RUN_SUCCESSFULLY")],  # the poll, nothing new
        [timer("poll", 1.0), finished("FINISHED_SUCCESSFULLY")],  # the file's fragment called st.rerun()
        [finished("FINISHED_FRAGMENT_RUN_SUCCESSFULLY")],
    ])
    session = Session(socket, "class=ABCDE", page="lesson")

    async def scenario():
        assert (await session.rerun(5)).status == "FINISHED_SUCCESSFULLY" and session.fragments == {"poll": 1.0,
                                                                                                      "file": 1.0}
        await session.rerun(5, fragment_id="poll")
        assert session.fragments == {"poll": 1.0, "file": 1.0}  # a fragment's own run keeps the page's timers
        await session.rerun(5, fragment_id="file")
        assert session.fragments == {"poll": 1.0}  # the whole page ran: only what it drew
        await session.rerun(5, fragment_id="poll")

    asyncio.run(scenario())
    assert [m.rerun_script.fragment_id for m in socket.sent] == ["", "poll", "file", "poll"]
