"""scripts/ws_load.py: its bounds, and a short run of 2 WebSocket clients against a local server."""
import asyncio

import pytest

from scripts import ws_load
from scripts.browser import streamlit_server
from scripts.server_watch import child_pid


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
