"""models.nets and the training of the newer arms: the RNN with W_hh kept orthogonal, the MLP head, the newer cells
in the Trainer and the training CLI."""
import argparse
import json

import numpy as np
import pytest
import torch

from models.checkpoint import load_uploaded_model
from models.cli.train import add_arguments, main
from models.nets import Net, keep_orthogonal, plain_state_dict
from models.training import TrainConfig, Trainer
from tests.reference import step as reference_step
from tests.reference_modern import reference_module

SMALL = dict(seq_len=10, hidden_size=6, batch_size=8, snapshot_every=5, snapshot_samples=3, eval_samples=50)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def test_orthogonal_rnn_stays_orthogonal_and_runs_on_the_parametrised_weight():
    trainer = Trainer(TrainConfig(task="adding", cells=("rnn_orthogonal",), steps=30, lr=3e-2, **SMALL)).run()
    rnn = trainer.nets["rnn_orthogonal"].rnn
    W = rnn.weight_hh_l0.detach().double()
    np.testing.assert_allclose(W @ W.T, np.eye(6), atol=1e-5)  # still orthogonal after 30 Adam steps
    assert not torch.allclose(W, trainer.initial_net("rnn_orthogonal").rnn.weight_hh_l0.detach().double())  # it learnt
    x = trainer.snapshot_x.double()
    p = {n: t.detach().double() for n, t in rnn.named_parameters()}
    h = torch.zeros(x.shape[1], 6, dtype=torch.float64)
    for t in range(x.shape[0]):  # the documented equation with the parametrised W_hh
        h, _ = reference_step("rnn", "tanh", x[t], h, None, p["weight_ih_l0"], W, p["bias_ih_l0"], p["bias_hh_l0"])
    with torch.no_grad():
        out, _ = rnn.double()(x)
    np.testing.assert_allclose(out[-1].numpy(), h.numpy(), rtol=1e-6)


def test_plain_state_dict_is_a_plain_rnn():
    rnn = keep_orthogonal(torch.nn.RNN(2, 5, num_layers=2))
    net = Net(rnn, 1, torch.Generator().manual_seed(0))
    state = plain_state_dict(net)
    assert "rnn.weight_hh_l1" in state and not any("parametrizations" in k for k in state)
    torch.testing.assert_close(state["rnn.weight_hh_l0"], rnn.weight_hh_l0.detach())
    assert any("parametrizations" in k for k in net.state_dict())  # the net itself is left as it was


def test_mlp_head_snapshot_is_the_task_loss_gradient():
    """head "mlp": the snapshot's dL_b/dh_t (task loss through W2 tanh(W1 h_T + b1) + b2) against the minGRU's
    independent reference with the head applied by hand."""
    trainer = Trainer(TrainConfig(task="adding", cells=("mingru",), head="mlp", num_layers=2, **SMALL))
    net, x, y = trainer.nets["mingru"], trainer.snapshot_x.double(), trainer.snapshot_y.double()
    w1, w2 = net.head[0], net.head[2]

    def loss(out, h_n):
        pred = torch.tanh(out[-1] @ w1.weight.double().T + w1.bias.double()) @ w2.weight.double().T + w2.bias.double()
        return ((pred[:, 0] - y) ** 2).sum()
    expected = reference_module(net.rnn, "mingru", "tanh", x, loss)[-1].mean(0)
    np.testing.assert_allclose(trainer.snapshot("mingru"), expected.numpy(), rtol=2e-4, atol=1e-7)


def test_newer_cells_train_side_by_side_and_the_auto_activation_is_each_ones():
    cfg = TrainConfig(task="sine", cells=("mingru", "minlstm", "indrnn", "lru"), steps=150, lr=1e-2, max_seconds=600,
                      **{**SMALL, "seq_len": 10, "hidden_size": 16, "batch_size": 32})
    assert cfg.probe_config("indrnn", 1).activation == "relu" and cfg.probe_config("lru", 1).activation == "tanh"
    trainer = Trainer(cfg).run()
    for cell, h in trainer.history.items():  # one minGRU / minLSTM layer learns this slower than the GRU (README)
        assert np.mean(h.loss[-10:]) < 0.8 * np.mean(h.loss[:10]), cell
        assert h.snapshots and np.all(np.isfinite(h.snapshots[-1]))


def test_cli_trains_a_newer_cell_and_saves_a_plain_state_dict(tmp_path):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--task", "adding", "--cell", "lru", "--num-layers", "2", "--head", "mlp",
                              "--seq-len", "8", "--hidden-size", "6", "--steps", "10", "--snapshot-every", "5",
                              "--eval-samples", "20", "--out", str(tmp_path)])
    assert main(args) == 0
    report = json.loads((tmp_path / "train.json").read_text())
    assert report["cell"] == "lru" and report["config"]["head"] == "mlp" and report["config"]["num_layers"] == 2
    state = torch.load(tmp_path / "model.pt", weights_only=True)
    assert "rnn.nu_log_l1" in state and "head.0.weight" in state
    args = parser.parse_args(["--cell", "rnn_orthogonal", "--seq-len", "8", "--hidden-size", "6", "--steps", "5",
                              "--eval-samples", "20", "--out", str(tmp_path / "orth")])
    assert main(args) == 0
    rnn = load_uploaded_model((tmp_path / "orth" / "model.pt").read_bytes(), "model.pt")  # the upload page reads it
    W = rnn.weight_hh_l0.detach().double()
    np.testing.assert_allclose(W @ W.T, np.eye(6), atol=1e-5)


def test_indrnn_training_keeps_li_et_als_bound_on_u():
    """After every step |u_j| <= 2^(1/T) (Li et al. 2018's constraint), even from u_j = 3 and a large learning rate."""
    trainer = Trainer(TrainConfig(task="adding", cells=("indrnn",), steps=5, lr=0.5, init="identity", **SMALL))
    with torch.no_grad():
        trainer.nets["indrnn"].rnn.u_l0.fill_(3.0)
    trainer.run()
    u = trainer.nets["indrnn"].rnn.u_l0.detach()
    assert u.abs().max() <= 2 ** (1 / SMALL["seq_len"]) + 1e-7 and u.abs().max() > 1.0
