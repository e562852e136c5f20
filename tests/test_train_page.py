"""The Train tab in AppTest: presets fill the controls, Start trains, Stop keeps the weights, results stay in the session."""
import base64
import json
import threading
import time

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from models import probe
from models.training import PRESETS, TrainConfig
from ui.train_job import TrainingLimiter, TrainJob
from ui.train_page import CONTROLS, JOB_KEY

SCRIPT = "from ui.train_page import render\nrender()"


@pytest.fixture
def app():
    """Factory of AppTests of the tab; no training thread outlives its test, even when an assertion fails."""
    made = []

    def make():
        made.append(AppTest.from_string(SCRIPT, default_timeout=60).run())
        return made[-1]
    yield make
    for at in made:
        if JOB_KEY in at.session_state:
            at.session_state[JOB_KEY].stop()
            at.session_state[JOB_KEY].join(60)


def chart_y(at, key, trace=0):
    spec = json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key) or key in c.proto.id).proto.spec)
    y = spec["data"][trace]["y"]
    return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]) if isinstance(y, dict) else np.array(y, float)


def small_sine(at):
    at.selectbox(key="train_preset").set_value("sine").run()
    at.slider(key="train_steps").set_value(60)
    at.slider(key="train_hidden_size").set_value(8)
    at.select_slider(key="train_batch_size").set_value(16)
    return at.run()


def wait_for(predicate, seconds=60):
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert predicate()


def test_presets_fill_every_control(app):
    at = app()
    assert not at.exception
    for name in ("adding", "sine", "recall"):
        at.selectbox(key="train_preset").set_value(name).run()
        for field in CONTROLS:
            value = at.session_state["train_" + field]
            assert (tuple(value) if isinstance(value, list) else value) == getattr(PRESETS[name], field), field


def test_start_trains_and_the_results_stay_in_the_session(app):
    at = small_sine(app())
    at.button(key="train_start").click().run()
    job = at.session_state[JOB_KEY]
    job.join(120)
    at.run()
    assert not at.exception and job.status == "done" and job.trainer.step == 60
    assert at.get("progress")[0].proto.text.startswith("Finished: 60 steps")
    history = job.trainer.progress()
    loss_y = chart_y(at, "train_loss_chart")
    np.testing.assert_allclose(loss_y, history["rnn"]["loss"], rtol=1e-6)  # 60 steps: drawn unreduced
    table = at.dataframe[0].value
    assert list(table.iloc[:, 0]) == ["RNN", "LSTM", "GRU"]
    np.testing.assert_allclose(table.iloc[:, 1], [history[c]["test"]["loss"] for c in ("rnn", "lstm", "gru")])
    # the probe views: the trained RNN next to itself at initialisation, on the task's own inputs
    trained, initial = at.session_state["train_probes"]["rnn"]
    expected = probe(job.cfg.probe_config("rnn", 1), model=job.trainer.nets["rnn"].rnn, inputs=job.trainer.snapshot_x)
    np.testing.assert_allclose(trained.grad_h, expected.grad_h)
    assert not np.allclose(trained.grad_h, initial.grad_h)
    assert len(at.get("plotly_chart")) > 4
    at.run()  # a later rerun still has the same run
    assert at.session_state[JOB_KEY] is job and not at.exception


def test_stop_keeps_what_was_learned(app):
    at = app()  # the adding preset: far more steps than this test waits for
    at.button(key="train_start").click().run()
    job = at.session_state[JOB_KEY]
    assert at.get("progress")[0].proto.text.startswith(("Step", "Waiting"))
    wait_for(lambda: job.trainer.step >= 3)
    at.button(key="train_stop").click().run()
    job.join(120)
    at.run()
    assert not at.exception
    assert job.status == "done" and job.trainer.stopped_by == "stop" and job.trainer.step < PRESETS["adding"].steps
    fresh = job.trainer.initial_net("lstm").state_dict()
    kept = at.session_state[JOB_KEY].trainer.nets["lstm"].state_dict()
    assert any(not torch.equal(fresh[k], kept[k]) for k in fresh)
    assert at.dataframe[0].value.shape[0] == 3
    assert "stopped; the weights are kept" in at.get("progress")[0].proto.text


def test_bad_settings_are_refused_with_what_to_change(app):
    at = app()
    at.multiselect(key="train_cells").set_value([]).run()
    at.button(key="train_start").click().run()
    assert JOB_KEY not in at.session_state
    assert "Cannot start" in at.error[0].value and "cells" in at.error[0].value


def test_series_task_trains_on_an_uploaded_csv_and_refuses_a_bad_one(app):
    at = small_sine(app())
    at.selectbox(key="train_task").set_value("series").run()
    at.slider(key="train_seq_len").set_value(5).run()
    at.file_uploader(key="train_series_file").set_value(("s.csv", b"x,y\n1,2\n", "text/csv")).run()
    at.button(key="train_start").click().run()
    assert "line 1 has 2 columns" in at.error[0].value
    series = "value\n" + "\n".join(f"{np.sin(i / 3):.4f}" for i in range(200))
    at.file_uploader(key="train_series_file").set_value(("s.csv", series.encode(), "text/csv")).run()
    at.button(key="train_start").click().run()
    job = at.session_state[JOB_KEY]
    job.join(120)
    assert job.status == "done" and job.trainer.task.name == "series"


def test_jobs_beyond_the_cap_wait_and_are_refused_politely():
    limiter = TrainingLimiter(slots=1)
    cfg = TrainConfig(task="sine", steps=100_000, max_seconds=600, seq_len=5, hidden_size=4, batch_size=4)
    first = TrainJob(cfg, limiter).start()
    wait_for(lambda: first.status == "running")
    second = TrainJob(cfg, limiter, queue_seconds=0.5).start()
    second.join(30)
    assert second.status == "refused" and second.trainer.step == 0
    first.stop()
    first.join(60)
    assert first.status == "done" and limiter.running == 0


def test_an_abandoned_job_stops_itself():
    cfg = TrainConfig(task="sine", steps=100_000, max_seconds=600, seq_len=5, hidden_size=4, batch_size=4)
    job = TrainJob(cfg, TrainingLimiter(), idle_seconds=0.3).start()
    job.join(60)  # nobody calls heartbeat()
    assert job.status == "done" and job.trainer.stopped_by == "stop"


def test_limiter_caps_concurrent_trainings_and_leaves_the_queue_on_stop():
    limiter, stop = TrainingLimiter(slots=2, threads=1), threading.Event()
    assert limiter.acquire(stop, timeout=1) and limiter.acquire(stop, timeout=1)
    assert limiter.running == 2
    assert not limiter.acquire(stop, timeout=0.3)
    stop.set()
    assert not limiter.acquire(stop, timeout=60)  # stop while queued returns at once
    limiter.release()
    assert limiter.acquire(threading.Event(), timeout=1) and limiter.running == 2
