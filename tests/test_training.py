"""Training: the snapshot gradient equals independent computations, the loss falls, runs are reproducible."""
import argparse
import json
import threading

import numpy as np
import pytest
import torch

from models.checkpoint import load_uploaded_model
from models.tasks import make_task
from models.cli.train import add_arguments, main
from models.training import TEST_SEED_OFFSET, Net, TrainConfig, Trainer, task_metric
from tests.reference import step as reference_step

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


SMALL = dict(seq_len=12, hidden_size=8, batch_size=16, snapshot_every=5, snapshot_samples=4, eval_samples=200)


@pytest.mark.parametrize("task_name, cell", [("adding", "lstm"), ("recall", "gru"), ("sine", "rnn")])
def test_trainer_snapshot_is_the_task_loss_gradient_from_the_documented_equations(task_name, cell):
    trainer = Trainer(TrainConfig(task=task_name, cells=(cell,), num_layers=2, **SMALL))
    net, x, y = trainer.nets[cell], trainer.snapshot_x.double(), trainer.snapshot_y
    p = {n: t.detach().double().requires_grad_(True) for n, t in net.rnn.named_parameters()}
    T, B, H = x.shape[0], x.shape[1], net.rnn.hidden_size
    hs, c = [torch.zeros(B, H, dtype=torch.float64)] * 2, [torch.zeros(B, H, dtype=torch.float64)] * 2
    tops = []
    for t in range(T):
        inp = x[t]
        for k in range(2):
            hs[k], c[k] = reference_step(cell, "tanh", inp, hs[k], c[k], p[f"weight_ih_l{k}"], p[f"weight_hh_l{k}"],
                                         p[f"bias_ih_l{k}"], p[f"bias_hh_l{k}"])
            inp = hs[k]
        hs[1].retain_grad()
        tops.append(hs[1])
    out = tops[-1] @ net.head.weight.detach().double().T + net.head.bias.detach().double()  # (B, K)
    if task_name == "recall":
        loss = torch.nn.functional.cross_entropy(out, y, reduction="sum")
    else:
        loss = ((out[:, 0] - y.double()) ** 2).sum()
    loss.backward()
    expected = torch.stack([h.grad.norm(dim=-1) for h in tops], 1).mean(0)  # (T,)
    np.testing.assert_allclose(trainer.snapshot(cell), expected.numpy(), rtol=2e-4, atol=1e-7)


def test_loss_falls_on_the_sine_task_for_every_cell():
    cfg = TrainConfig(task="sine", seq_len=10, hidden_size=16, batch_size=32, steps=150, lr=1e-2,
                      snapshot_every=50, eval_samples=500, max_seconds=600)
    trainer = Trainer(cfg).run()
    for cell, h in trainer.history.items():
        first, last = np.mean(h.loss[:10]), np.mean(h.loss[-10:])
        assert last < 0.5 * first, cell
        # noise alone leaves 1/6 of the standardised variance; the baseline (predict 0) is 1
        assert h.test["loss"] < 0.5 and h.test["metric"] > 0.5, (cell, h.test)


def test_same_seed_same_run_and_each_cell_sees_the_same_batches():
    cfg = TrainConfig(task="adding", steps=12, **SMALL)
    a, b = Trainer(cfg).run(), Trainer(cfg).run()
    alone = Trainer(cfg.replace(cells=("gru",))).run()
    for cell in cfg.cells:
        assert a.history[cell].loss == b.history[cell].loss
        assert a.history[cell].test == b.history[cell].test
    assert alone.history["gru"].loss == a.history["gru"].loss  # the other cells did not change its batches
    assert a.history["rnn"].snapshot_steps == [0, 5, 10, 12]


def test_grad_norm_is_recorded_before_clipping_and_clipping_bounds_the_update():
    cfg = TrainConfig(task="adding", cells=("rnn",), steps=1, clip=True, clip_value=1e-3, **SMALL)
    trainer = Trainer(cfg)
    fresh = trainer.initial_net("rnn")
    x, y = trainer.task.batch(cfg.batch_size, torch.Generator().manual_seed(cfg.seed))
    torch.nn.functional.mse_loss(fresh(x), y).backward()
    raw = torch.sqrt(sum((p.grad ** 2).sum() for p in fresh.parameters())).item()
    trainer.run()
    assert trainer.history["rnn"].grad_norm[0] == pytest.approx(raw, rel=1e-5)
    assert raw > 1e-3
    # Adam's first moment after one step is (1 - beta1) * g: its norm shows the clipped gradient
    m = [s["exp_avg"] for s in trainer.optims["rnn"].state.values()]
    assert torch.sqrt(sum((t ** 2).sum() for t in m)).item() == pytest.approx(0.1 * 1e-3, rel=1e-4)


def test_stop_keeps_what_was_learned_and_still_tests():
    stop = threading.Event()
    trainer = Trainer(TrainConfig(task="sine", steps=10_000, max_seconds=600, **SMALL))

    def on_step(step, loss, snapshot):
        assert set(loss) == {"rnn", "lstm", "gru"}
        assert snapshot is None or all(s.shape == (12,) for s in snapshot.values())
        if step == 7:
            stop.set()
    trainer.run(on_step=on_step, stop=stop)
    assert (trainer.stopped_by, trainer.step) == ("stop", 7)
    assert trainer.history["gru"].snapshot_steps == [0, 5, 7]
    before = trainer.initial_net("lstm").state_dict()
    after = trainer.nets["lstm"].state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert all(len(h.loss) == 7 and h.test is not None for h in trainer.history.values())


def test_a_diverging_cell_stops_with_its_last_finite_weights():
    trainer = Trainer(TrainConfig(task="adding", cells=("rnn", "gru"), steps=5, **SMALL))
    with torch.no_grad():
        trainer.nets["rnn"].head.weight.fill_(float("inf"))
    kept = {k: v.clone() for k, v in trainer.nets["rnn"].rnn.state_dict().items()}
    trainer.run()
    assert trainer.history["rnn"].diverged_at == 0 and len(trainer.history["rnn"].loss) == 1
    assert all(torch.equal(kept[k], v) for k, v in trainer.nets["rnn"].rnn.state_dict().items())
    assert trainer.history["gru"].diverged_at is None and len(trainer.history["gru"].loss) == 5


def test_task_metrics_match_their_definitions():
    pred, y = torch.tensor([1.0, 1.5, 0.2, 0.9]), torch.tensor([1.03, 1.45, 0.3, 0.9])
    assert task_metric(make_task("adding", 10), pred, y) == pytest.approx(2 / 4)  # errors .03 .05 .1 0
    r2 = 1 - np.mean((pred - y).numpy() ** 2) / np.var(y.numpy())
    assert task_metric(make_task("sine", 10), pred, y) == pytest.approx(r2, rel=1e-6)
    logits = torch.tensor([[0.1, 2.0], [3.0, 0.0], [0.0, 1.0]])
    assert task_metric(make_task("recall", 10, num_classes=2), logits, torch.tensor([1, 1, 1])) == pytest.approx(2 / 3)


@pytest.mark.parametrize("changes, message", [
    ({"cells": ("lstm", "lstm")}, "distinct"), ({"cells": ()}, "cells"), ({"lr": 0.0}, "lr=0.0"),
    ({"steps": 2.5}, "whole number"), ({"seq_len": 5000}, "seq_len=5000"), ({"init": "zeros"}, "init"),
    ({"seq_len": 1000, "batch_size": 256, "hidden_size": 256}, "lower batch_size"),
])
def test_train_config_refuses_bad_values(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


def test_cli_writes_train_json_and_a_state_dict_the_upload_page_accepts(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    for action in parser._actions[1:]:  # every option is documented
        assert action.help, action.dest
    args = parser.parse_args(["--task", "adding", "--cell", "gru", "--seq-len", "8", "--hidden-size", "6",
                              "--steps", "20", "--snapshot-every", "10", "--seed", "4", "--out", str(tmp_path)])
    assert main(args) == 0
    report = json.loads((tmp_path / "train.json").read_text())
    assert report["cell"] == "gru" and report["steps_done"] == 20 and len(report["loss"]) == 20
    assert report["snapshots"]["steps"] == [0, 10, 20] and len(report["snapshots"]["grad_h"][0]) == 8
    assert report["test"]["samples"] == 1000
    state = torch.load(tmp_path / "model.pt", weights_only=True)
    # the reported test loss is the saved model's MSE on 1,000 fresh samples of their own stream
    task = make_task("adding", 8)
    net = Net(load_uploaded_model((tmp_path / "model.pt").read_bytes(), "model.pt"), 1, torch.Generator())
    net.head.load_state_dict({"weight": state["head.weight"], "bias": state["head.bias"]})
    gen = torch.Generator().manual_seed(4 + TEST_SEED_OFFSET)
    batches = [task.batch(250, gen, "test") for _ in range(4)]
    x, y = torch.cat([b[0] for b in batches], 1), torch.cat([b[1] for b in batches])
    with torch.no_grad():
        mse = ((net(x) - y) ** 2).mean().item()
    assert report["test"]["loss"] == pytest.approx(mse, rel=1e-5)
    assert "gru on adding" in capsys.readouterr().out


def test_cli_reports_bad_values_without_a_traceback(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert main(parser.parse_args(["--seq-len", "1", "--out", str(tmp_path)])) == 2
    assert "seq_len=1" in capsys.readouterr().err
    assert main(parser.parse_args(["--task", "series", "--out", str(tmp_path)])) == 2
    assert "needs an uploaded series" in capsys.readouterr().err
    assert not (tmp_path / "train.json").exists()
