"""GradientFlowMonitor against the float64 step-by-step reference (tests/reference.py), for the user's own loss.

The loss reads every output h_t of the top layer (sequence to sequence), the final states h_n of every layer
and, for the LSTM, c_n: the monitor must report the total dL/dh_t (direct part plus the recurrence) per layer.
"""
import json

import numpy as np
import pytest
import torch

from models.monitor import GradientFlowMonitor, heatmap_image, horizon, read_log
from tests.reference import reference_module

CLASSES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def make(cell, batch_first, bidirectional=False, proj=0, layers=2):
    torch.manual_seed(6)
    kwargs = {"proj_size": proj} if proj else {}
    return CLASSES[cell](3, 5, num_layers=layers, batch_first=batch_first, bidirectional=bidirectional, **kwargs).double()


def user_loss(out, h_n, c_n, w):
    """A seq-to-seq loss (time-major out): every step through a nonlinearity, plus the final states."""
    loss = (torch.tanh(out) * w["out"]).sum() + (h_n ** 2 * w["h_n"]).sum()
    return loss + ((c_n * w["c_n"]).sum() if c_n is not None else 0)


def weights_for(T, B, D, P, L, H, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {"out": torch.randn(T, B, D * P, generator=g, dtype=torch.float64),
            "h_n": torch.randn(L * D, B, P, generator=g, dtype=torch.float64),
            "c_n": torch.randn(L * D, B, H, generator=g, dtype=torch.float64)}


def train_step(model, x_tm, w):
    """The user's step: their forward (in their layout), their loss, their backward."""
    x = x_tm.transpose(0, 1) if model.batch_first else x_tm
    out, state = model(x)
    h_n, c_n = state if isinstance(state, tuple) else (state, None)
    out = out.transpose(0, 1) if model.batch_first else out
    user_loss(out, h_n, c_n, w).backward()


CASES = [(c, bf, False, 0) for c in ("rnn", "lstm", "gru") for bf in (False, True)] + \
        [("lstm", True, True, 0), ("gru", False, True, 0), ("lstm", False, False, 3), ("lstm", True, True, 3)]


@pytest.mark.parametrize("cell, batch_first, bidirectional, proj", CASES)
def test_monitor_matches_reference_for_a_sequence_loss(cell, batch_first, bidirectional, proj):
    model = make(cell, batch_first, bidirectional, proj)
    T, B, L, D, P = 8, 3, 2, 2 if bidirectional else 1, proj or 5
    x = torch.randn(T, B, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    w = weights_for(T, B, D, P, L, 5)
    ref = reference_module(model, x, lambda out, h_n, c_n: user_loss(out, h_n, c_n, w))
    mon = GradientFlowMonitor(model, every=1)
    train_step(model, x, w)
    with torch.no_grad():  # the user's optimiser changes the weights before the monitor computes
        for p in model.parameters():
            p.add_(1.0)
    mon.close()
    (record,) = mon.records
    for d, name in enumerate(("forward", "reverse")[:D]):
        expected = np.stack([ref["grad_h"][k, d].mean(0).numpy() for k in range(L)])  # (L, T) mean over b
        np.testing.assert_allclose(record["directions"][name]["grad_layers"], expected, rtol=1e-9, err_msg=name)


def test_only_every_kth_training_step_is_monitored_and_eval_passes_do_not_count():
    model = make("gru", False, layers=1)
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    mon = GradientFlowMonitor(model, every=3)
    for step in range(7):
        with torch.no_grad():
            model(x)  # evaluation: not a step
        out, _ = model(x)
        out.sum().backward()
    mon.close()
    assert [r["step"] for r in mon.records] == [0, 3, 6]
    assert not model._forward_hooks  # close() removes the hook


def test_a_seq_to_one_loss_decays_and_the_horizon_reads_it():
    torch.manual_seed(0)
    model = torch.nn.RNN(1, 16)
    with torch.no_grad():
        model.weight_hh_l0.mul_(0.3)
    x = torch.randn(60, 4, 1)
    mon = GradientFlowMonitor(model, every=1)
    out, _ = model(x)
    out[-1].sum().backward()
    mon.close()
    d = mon.records[0]["directions"]["forward"]
    assert d["grad"][-1] > 1e3 * d["grad"][0] and 1 <= d["horizon"] < 60 and d["grad_far"] == d["grad"][0]
    assert horizon(np.array([1e-9, 1e-5, 1e-2, 1.0])) == 2 and horizon(np.array([1e-9, 1e-3, 1e-2, 1.0])) == 3 and horizon(np.ones(4)) == 4


def test_jsonl_and_tensorboard(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    model = make("lstm", True, bidirectional=True, layers=1)
    mon = GradientFlowMonitor(model, every=2, log_dir=tmp_path / "run", name="enc")
    for _ in range(5):
        out, _ = model(torch.randn(2, 7, 3, dtype=torch.float64))
        out[:, -1].sum().backward()
    mon.close()
    lines = (tmp_path / "run" / "gradient_flow.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["kind"] == "header" and len(lines) == 4
    snaps = read_log((tmp_path / "run" / "gradient_flow.jsonl").read_bytes())
    assert list(snaps) == ["enc", "enc reverse"]
    steps, grads = snaps["enc"]
    assert steps.tolist() == [0, 2, 4] and grads.shape == (3, 7)
    np.testing.assert_allclose(grads[1], mon.records[1]["directions"]["forward"]["grad"])
    acc = EventAccumulator(str(tmp_path / "run"), size_guidance={"images": 0, "scalars": 0}).Reload()
    assert {"enc/horizon", "enc/grad_at_t1", "enc_reverse/horizon", "enc_reverse/grad_at_tT"} <= set(acc.Tags()["scalars"])
    assert [e.step for e in acc.Scalars("enc/grad_at_t1")] == [0, 2, 4]
    assert acc.Scalars("enc/grad_at_t1")[1].value == pytest.approx(grads[1, 0], rel=1e-6)
    assert acc.Images("enc/gradient_flow_heatmap")[-1].width >= 256


def test_heatmap_image_colours_log_magnitudes():
    img = heatmap_image(np.array([[1e-6, 1.0], [np.nan, 1e-3]]), min_width=2)
    assert img.shape == (64, 2, 3) and img.dtype == np.uint8
    assert img[0, 0].tolist() == [68, 1, 84] and img[0, 1].tolist() == [253, 231, 37] and img[-1, 0].tolist() == [0, 0, 0]


def test_unsupported_things_are_refused_or_skipped_with_a_warning():
    with pytest.raises(ValueError, match="unsupported model Linear"):
        GradientFlowMonitor(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="every=0"):
        GradientFlowMonitor(torch.nn.GRU(2, 2), every=0)
    model = torch.nn.GRU(2, 3)
    mon = GradientFlowMonitor(model, every=1)
    with pytest.warns(UserWarning, match="initial state hx"):
        out, _ = model(torch.randn(4, 1, 2), torch.zeros(1, 1, 3))
    out.sum().backward()
    mon.close()
    assert mon.records == []


def test_the_train_tab_draws_a_monitor_log_as_the_logged_numbers(tmp_path):
    """A log written by the monitor in a plain training loop, opened in the Train tab: the heatmap's cells are
    log10 of the JSON file's own `grad` values (read here with json, not with read_log), one row per step."""
    import base64

    from streamlit.testing.v1 import AppTest
    torch.manual_seed(0)
    model = torch.nn.LSTM(2, 4)
    mon = GradientFlowMonitor(model, every=2, log_file=tmp_path / "m.jsonl")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(6):
        out, _ = model(torch.randn(7, 3, 2))
        out[-1].pow(2).sum().backward()
        opt.step()
        opt.zero_grad()
    mon.close()
    data = (tmp_path / "m.jsonl").read_bytes()
    rows = [json.loads(line) for line in data.decode().splitlines()[1:]]
    assert [r["step"] for r in rows] == [0, 2, 4]
    expected = np.log10([r["directions"]["forward"]["grad"] for r in rows])  # (steps, T)
    at = AppTest.from_string("from ui.train_page import monitor_log_section\nmonitor_log_section()").run()
    at.file_uploader(key="train_monitor_log").set_value(("m.jsonl", data, "application/json")).run()
    (chart,) = at.get("plotly_chart")
    (heatmap,) = [t for t in json.loads(chart.proto.spec)["data"] if t["type"] == "heatmap"]
    z = heatmap["z"]
    if isinstance(z, dict):  # plotly's typed array: {"dtype", "bdata", "shape": "rows, cols"}
        z = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(
            [int(n) for n in str(z["shape"]).split(",")])
    np.testing.assert_allclose(z, expected, rtol=1e-6)


@pytest.mark.parametrize("cell", ["mingru", "minlstm", "indrnn", "lru"])
def test_monitor_of_a_newer_cell_matches_reference(cell):
    """The same sequence loss on a MinGRU / MinLSTM / IndRNN / LRU (tests/reference_modern.py's equations)."""
    from models import ProbeConfig, build_model
    from tests.reference_modern import reference_module as modern_reference

    model = build_model(ProbeConfig(cell=cell, input_size=3, hidden_size=6, num_layers=2, seed=2, dtype="float64",
                                    activation="relu" if cell == "indrnn" else "tanh"))
    T, B = 8, 3
    x = torch.randn(T, B, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    w = weights_for(T, B, 1, 6, 2, 6)
    expected = modern_reference(model, cell, model.nonlinearity, x, lambda out, h_n: user_loss(out, h_n, None, w))
    mon = GradientFlowMonitor(model, every=1)
    train_step(model, x, w)
    mon.close()
    (record,) = mon.records
    np.testing.assert_allclose(record["directions"]["forward"]["grad_layers"], expected.mean(1).numpy(), rtol=1e-9)
    assert record["directions"]["forward"]["horizon"] >= 1
