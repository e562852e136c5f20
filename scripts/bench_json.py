"""Benchmark: one explorer change's Plotly figures serialised with Python's json against orjson, side by side.

    python -m scripts.bench_json [--reps 30] [--seq-len 100] [--hidden-size 32]

Streamlit sends each chart as `plotly.io.to_json(figure, validate=False)`; Plotly picks orjson when it can
import it and Python's json otherwise. This runs the explorer in AppTest, changes the sequence length once
(a new T, so every view is probed and drawn again) and keeps the figures that change sent. Then, alternating
the engines so both see the same machine load, it times (1) serialising those figures and (2) the whole change
(the script rerun through AppTest, the probes served from the cache after the first round), and prints the
medians and their ratio. Without orjson installed it says so and times Python's json alone. (AppTest's
bare-mode warnings go to stderr: `2>/dev/null` hides them.)
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

import plotly.io as pio
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
EXPLORER = "ui/pages/explorer.py"


def explorer(seq_len: int, hidden_size: int) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(cells="rnn,lstm,gru", seq_len=str(seq_len), hidden_size=str(hidden_size))
    at.run()
    return at


def change_figures(seq_lens: tuple[int, int], hidden_size: int) -> list:
    """The figures one sequence-length change sends (a new T: every view drawn again), as Streamlit hands
    them to plotly.io.to_json."""
    at = explorer(seq_lens[0], hidden_size)
    sent, to_json = [], pio.to_json

    def recording(fig, *args, **kwargs):
        sent.append(fig)
        return to_json(fig, *args, **kwargs)

    pio.to_json = recording
    try:
        at.slider(key="probe_seq_len").set_value(seq_lens[1]).run()
    finally:
        pio.to_json = to_json
    return sent


def time_serialise(figs: list, engine: str) -> float:
    start = time.perf_counter()
    for fig in figs:
        pio.to_json(fig, validate=False, engine=engine)
    return time.perf_counter() - start


def time_change(at: AppTest, engine: str, seq_len: int) -> float:
    pio.json.config.default_engine = engine
    start = time.perf_counter()
    at.slider(key="probe_seq_len").set_value(seq_len).run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=30, help="timed rounds per engine (default 30)")
    parser.add_argument("--seq-len", type=int, default=100, help="T before the change; the change adds 20")
    parser.add_argument("--hidden-size", type=int, default=32)
    args = parser.parse_args()
    seq_lens = (args.seq_len, args.seq_len + 20)
    engines = ["json"] + (["orjson"] if importlib.util.find_spec("orjson") else [])
    if len(engines) == 1:
        print("orjson is not installed: timing Python's json alone (pip install orjson for the comparison)")
    figs = change_figures(seq_lens, args.hidden_size)
    sizes = [len(pio.to_json(f, validate=False, engine="json")) for f in figs]
    print(f"T {seq_lens[0]} -> {seq_lens[1]}, H {args.hidden_size}: one change sends {len(figs)} figures, "
          f"{sum(sizes) / 1e3:.0f} KB of JSON")

    serial = {e: [] for e in engines}
    for i in range(args.reps):
        for e in engines[::1 - 2 * (i % 2)]:  # each engine goes first every other round
            serial[e].append(time_serialise(figs, e))
    at, whole = explorer(seq_lens[0], args.hidden_size), {e: [] for e in engines}
    for i in range(args.reps):
        for e in engines[::1 - 2 * (i % 2)]:
            whole[e].append(time_change(at, e, seq_lens[i % 2]))
    pio.json.config.default_engine = "auto"

    print(f"{'':32}" + "".join(f"{e:>12}" for e in engines) + ("     orjson / json" if len(engines) > 1 else ""))
    for name, times in (("serialise the figures, ms", serial), ("whole change (AppTest), ms", whole)):
        med = {e: 1e3 * statistics.median(t) for e, t in times.items()}
        ratio = f"{med['orjson'] / med['json']:>17.2f}" if len(engines) > 1 else ""
        print(f"{name:32}" + "".join(f"{med[e]:>12.1f}" for e in engines) + ratio)


if __name__ == "__main__":
    main()
