"""Sessions of one server do not see each other, and share nothing they could change; per-session
resources are capped and given back.

Two `AppTest` instances of app.py are two sessions of one server process: separate session state
and URL, the same module-level caches. The audit at the end lists every `st.cache_*` in the repository,
so a new cache fails here until someone has checked what it shares.
"""
import ast
import gc
import json
import re
import threading
import weakref
from pathlib import Path

import numpy as np
import pytest
import torch

from models import ProbeConfig
from models.training import TrainConfig
from tests.test_app import GRADIENT_TITLE, chart, line, run_app
from tests.test_checkpoint import pt_bytes
from tests.test_train_page import small_sine  # the sine preset shrunk to a run of a few seconds
from ui import upload_page
from ui.cache import cached_probe
from ui.examples_view import worked_examples
from ui.settings import DEFAULTS, to_query
from ui.train_job import TrainingLimiter, TrainJob
from ui.train_page import JOB_KEY, training_limiter
from ui.upload_page import MAX_PROBE_WORK, RESULT_KEY, check_run_time

ROOT = Path(__file__).resolve().parent.parent
AUDITED = {  # (file, function) -> what it shares across sessions, and why that is safe
    ("ui/cache.py", "cached_probe"): "cache_resource: one ProbeResult per config; public arrays read-only",
    ("ui/examples_view.py", "worked_examples"): "cache_data: plain lists and ints, a fresh copy per call",
    ("ui/train_page.py", "training_limiter"): "cache_resource: the per-server cap, shared on purpose; holds counts only",
    ("ui/lesson/data.py", "cached_clipping"): "cache_data (data.shared): a numpy array and floats, a fresh copy per call",
    ("ui/lesson/data.py", "worked_toy"): "cache_data (data.shared): plain lists, a fresh copy per call",
    ("ui/lesson/data.py", "wall_surface"): "cache_data (data.shared): numpy arrays, a fresh copy per call",
    ("ui/lesson/data.py", "wall_runs"): "cache_data (data.shared): numpy arrays and dicts of floats, a fresh copy per call",
    ("ui/lesson/export.py", "prepared"): "cache_resource: the whole-lesson file of one language, built from the chapters' "
                                          "defaults (no session's data, chapter 8 without a run), bytes set once",
    ("ui/phase_page.py", "default_table"): "cache_data: a DataFrame of numbers, a fresh copy per call",
    ("ui/phase_page.py", "_pool"): "cache_resource: the server's sweep process pool, shared on purpose; holds no results",
    ("ui/classroom/room.py", "shared_store"): "cache_resource: a ClassStore per directory, shared on purpose; holds its "
                                              "path only, each call opens its own connection, per-class rules in SQL",
}


def stop_trainings(apps) -> None:
    for at in apps:
        if JOB_KEY in at.session_state:
            at.session_state[JOB_KEY].stop()
            at.session_state[JOB_KEY].join(60)


@pytest.fixture
def sessions():
    """Factory of app sessions (run_app's keyword arguments are URL parameters); no training outlives the test."""
    made = []
    yield lambda **params: made.append(run_app(**params)) or made[-1]
    stop_trainings(made)


def legend(at) -> set[str]:
    """Every trace name of every chart on the page."""
    return {t.get("name", "") for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]}


def test_settings_stay_in_their_session(sessions):
    a, b = sessions(), sessions()
    a.button(key="probe_preset_1").click().run()  # exploding: linear RNN only, scale 1.2
    a.slider(key="probe_seq_len").set_value(40).run()
    a.radio(key="language").set_value("zh").run()
    b.run()
    assert a.query_params["cells"] == "rnn" and a.query_params["seq_len"] == "40" and a.query_params["language"] == "zh"
    assert dict(b.query_params) == to_query(DEFAULTS)
    assert b.slider(key="probe_seq_len").value == 100 and b.multiselect(key="probe_cells").value == ["rnn", "lstm", "gru"]
    t, _ = line(chart(b, GRADIENT_TITLE), "LSTM ||dL/dh_t||")
    np.testing.assert_array_equal(t, np.arange(1, 101))
    assert "梯度" in a.title[0].value and "梯度" not in b.title[0].value


def test_a_training_run_stays_in_its_session(sessions):
    a, b = small_sine(sessions()), sessions()
    a.button(key="train_start").click().run()
    job_a = a.session_state[JOB_KEY]
    b.run()
    assert JOB_KEY not in b.session_state and not b.get("progress")
    assert not any(key in c.proto.id for c in b.get("plotly_chart") for key in ("train_loss_chart", "train_flow_chart"))
    assert any("train_loss_chart" in c.proto.id for c in a.get("plotly_chart"))
    small_sine(b).button(key="train_start").click().run()
    job_b = b.session_state[JOB_KEY]
    job_a.join(120)
    job_b.join(120)
    assert job_a is not job_b and job_a.trainer is not job_b.trainer
    storages = [{p.untyped_storage().data_ptr() for p in job.trainer.nets["lstm"].parameters()} for job in (job_a, job_b)]
    assert not storages[0] & storages[1]  # no parameter tensor is shared
    assert job_a.limiter is job_b.limiter is training_limiter()  # the only shared object: the cap
    a.run()
    b.run()
    assert a.session_state[JOB_KEY] is job_a and b.session_state[JOB_KEY] is job_b
    assert job_a.status == job_b.status == "done"


def test_an_uploaded_model_stays_in_its_session(sessions):
    torch.manual_seed(0)
    a, b = sessions(), sessions()
    a.file_uploader(key="upload_file").set_value(("mine.pt", pt_bytes(torch.nn.LSTM(3, 12).state_dict()),
                                                  "application/octet-stream")).run()
    assert "uploaded LSTM ||dL/dh_t||" in legend(a)
    b.run()
    assert RESULT_KEY not in b.session_state and b.file_uploader(key="upload_file").value is None
    assert not any("uploaded" in name for name in legend(b))
    assert not any("mine.pt" in s.value for s in b.success)


def test_every_cache_in_the_repository_is_audited():
    found = set()
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(("tests/", ".")):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(re.search(r"cache_data|cache_resource|^shared\(", ast.unparse(d))
                                                         for d in node.decorator_list):  # shared: lesson's cache_data
                found.add((rel, node.name))
    assert found == set(AUDITED)


def test_a_shared_probe_result_cannot_be_changed_by_a_session(sessions):
    sessions(), sessions()  # both drew the defaults from the one cache
    cfg = DEFAULTS.probe_config("lstm")
    shared = cached_probe(cfg)
    assert shared is cached_probe(cfg)
    arrays = [v for k, v in vars(shared).items() if not k.startswith("_") and isinstance(v, np.ndarray)]
    arrays += list(shared.gates.values())
    assert len(arrays) >= 10
    for a in arrays:
        with pytest.raises(ValueError, match="read-only"):
            a[(0,) * a.ndim] = 0


def test_the_lazy_and_torch_parts_of_a_shared_result_are_read_only_too():
    shared = cached_probe(DEFAULTS.probe_config("gru"))
    assert not shared.jacobian_norm.flags.writeable
    assert all(getattr(shared, name, None) is None or not isinstance(getattr(shared, name), (torch.Tensor, torch.nn.Module))
               for name in ("model", "inputs", "readout"))
    # Nothing kept that the app never reads: W_hh's per-step factors, and the Jacobian's inputs once it is known
    assert shared._delta_h0 is None and shared._h_prev0 is None and shared._jacobian_inputs is None


def test_cached_worked_examples_are_a_copy_per_call():
    first = worked_examples(1, 32, 1)
    first["toy_rnn"]["outputs"][0] = "changed"
    first["parameters"]["lstm"]["pytorch"] = -1
    again = worked_examples(1, 32, 1)
    assert again["toy_rnn"]["outputs"][0] != "changed" and again["parameters"]["lstm"]["pytorch"] > 0


def new_thread_torch_threads() -> int:
    """torch's thread count as a freshly started thread (a Streamlit rerun) sees it."""
    seen = []
    t = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    t.start()
    t.join()
    return seen[0]


def test_a_training_caps_torch_threads_only_while_it_runs():
    limiter = TrainingLimiter(slots=1, threads=1)
    cfg = TrainConfig(task="sine", steps=100_000, max_seconds=600, seq_len=5, hidden_size=4, batch_size=4)
    job = TrainJob(cfg, limiter).start()
    while job.status == "queued":
        job.join(0.05)
    assert new_thread_torch_threads() == 1
    job.stop()
    job.join(60)
    assert job.status == "done" and new_thread_torch_threads() == limiter.idle_threads == torch.get_num_threads()


def test_an_abandoned_session_stops_its_training_and_frees_it():
    at = run_app()
    before = training_limiter().running
    at.button(key="train_start").click().run()  # the adding preset: 1,500 steps, far longer than this test
    job = at.session_state[JOB_KEY]
    job.idle_seconds = 0.5  # the tab is closed: no more redraws, so no heartbeat
    job.join(60)
    assert job.status == "done" and job.trainer.stopped_by == "stop" and job.trainer.step < 1500
    assert training_limiter().running == before
    refs = [weakref.ref(job.trainer)] + [weakref.ref(p) for p in job.trainer.nets["lstm"].parameters()]
    del at, job  # the session is gone
    gc.collect()
    assert all(r() is None for r in refs)


def test_settings_past_a_cap_are_refused_naming_what_to_lower(sessions):
    at = sessions(cells="lstm", seq_len="1000", hidden_size="256", num_layers="4", batch_size="64")
    (error,) = at.error
    assert "too large" in error.value and "lower batch_size" in error.value
    at.select_slider(key="train_batch_size").set_value(256)
    at.slider(key="train_seq_len").set_value(200)
    at.slider(key="train_hidden_size").set_value(128)
    at.slider(key="train_num_layers").set_value(2).run()  # 200 x 256 x 128 x 2 x 3 cells, cap 20,000,000
    at.button(key="train_start").click().run()
    assert JOB_KEY not in at.session_state
    assert any("Cannot start" in e.value and "lower batch_size, seq_len or hidden_size" in e.value for e in at.error)
    with pytest.raises(ValueError, match="lower batch_size, seq_len, hidden_size or num_layers"):
        ProbeConfig(cell="gru", seq_len=1000, hidden_size=256, num_layers=2, batch_size=64)


def test_an_upload_whose_probe_would_run_too_long_is_refused_naming_what_to_lower(monkeypatch):
    """The cap is the probe tab's costliest allowed run; an H = 1024 LSTM (17 MB) at T = 1000 exceeds it."""
    lstm = {"cell": "lstm", "hidden_size": 1024}
    with pytest.raises(ValueError, match=r"at most 1,062 \(now 1000 x 8\); lower the sequence length or the batch size"):
        check_run_time(lstm, {"seq_len": 1000, "batch_size": 8})
    check_run_time(lstm, {"seq_len": 100, "batch_size": 8})  # the tab's defaults: allowed
    assert MAX_PROBE_WORK == 1000 * 17 * 4 * 256**2
    ProbeConfig(cell="lstm", seq_len=1000, hidden_size=256, batch_size=17)  # the probe tab allows this much
    monkeypatch.setattr(upload_page, "MAX_PROBE_WORK", 4 * 16**2 * 799)  # so a small model shows the page's refusal
    at = run_app()
    at.file_uploader(key="upload_file").set_value(("m.pt", pt_bytes(torch.nn.LSTM(1, 16).state_dict()),
                                                  "application/octet-stream")).run()
    (error,) = at.error
    assert "Cannot probe m.pt" in error.value and "at most 799 (now 100 x 8)" in error.value
    assert RESULT_KEY not in at.session_state and not any("uploaded" in name for name in legend(at))
