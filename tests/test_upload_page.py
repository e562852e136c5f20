"""The Upload tab in AppTest: good files are probed like the original module; bad files get a clear refusal."""
import io
import re
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import save as save_safetensors
from streamlit.testing.v1 import AppTest

from models import ProbeConfig, probe
from models import checkpoint
from tests.test_checkpoint import Payload, pt_bytes
from tests.reference import reference_module
from ui.upload_page import RESULT_KEY

SCRIPT = "from ui.upload_page import render\nrender()"


def app():
    return AppTest.from_string(SCRIPT, default_timeout=60).run()


def upload(at, name, data):
    at.file_uploader(key="upload_file").set_value((name, data, "application/octet-stream")).run()
    return at


def results(at):
    return at.session_state[RESULT_KEY][1]


def test_an_uploaded_lstm_is_probed_exactly_like_the_original():
    torch.manual_seed(0)
    original = torch.nn.LSTM(3, 12, num_layers=2)
    at = upload(app(), "lstm.pt", pt_bytes(original.state_dict()))
    assert not at.exception and not at.error
    assert "LSTM, input size 3, hidden size 12, 2 layer(s)" in at.success[0].value
    (label, r), = results(at).items()
    assert label == "uploaded LSTM"
    cfg = ProbeConfig(cell="lstm", input_size=3, hidden_size=12, num_layers=2, seq_len=100, batch_size=8)
    np.testing.assert_allclose(r.grad_h, probe(cfg, model=original).grad_h, rtol=1e-6)
    assert len(at.get("plotly_chart")) >= 3  # views 1-3 (4-6 open on demand)


def test_a_safetensors_gru_with_a_prefix_and_the_fresh_model_next_to_it():
    torch.manual_seed(1)
    gru = torch.nn.GRU(2, 6)
    data = save_safetensors({f"encoder.{k}": v.contiguous() for k, v in gru.state_dict().items()})
    at = upload(app(), "gru.safetensors", data)
    at.checkbox(key="upload_compare").check().run()
    at.slider(key="upload_seq_len").set_value(30).run()
    assert not at.exception and not at.error
    labels = list(results(at))
    assert labels == ["uploaded GRU", "GRU, fresh orthogonal init"]
    r = results(at)["uploaded GRU"]
    assert r.grad_h.shape == (8, 30)
    cfg = ProbeConfig(cell="gru", input_size=2, hidden_size=6, seq_len=30, batch_size=8)
    np.testing.assert_allclose(r.grad_h, probe(cfg, model=gru).grad_h, rtol=1e-6)


def test_a_vanilla_rnn_gets_the_chosen_activation():
    at = upload(app(), "rnn.pt", pt_bytes(torch.nn.RNN(1, 5).state_dict()))
    at.selectbox(key="upload_activation").set_value("sigmoid").run()
    r = results(at)["uploaded RNN"]
    assert r.config.activation == "sigmoid" and not at.error


def bad_files(tmp_path):
    lstm = torch.nn.LSTM(3, 4).state_dict()
    good = pt_bytes(lstm)
    yield "code.pt", pickle.dumps({"weight_hh_l0": Payload(tmp_path / "pwned")}), "refused"
    yield "model.pt", pt_bytes(torch.nn.LSTM(3, 4)), "Python objects other than tensors"
    yield "cut.pt", good[: len(good) // 2], "truncated"
    yield "cut.safetensors", save_safetensors(dict(lstm))[:40], "truncated"
    yield "net.pt", pt_bytes({"emb.weight": torch.zeros(9, 3), "fc.weight": torch.zeros(1, 4)}), \
        "no nn.RNN / nn.LSTM / nn.GRU found: no key ends in weight_ih_l0.*emb.weight, fc.weight"
    yield "odd.pt", pt_bytes({**lstm, "weight_hh_l0": torch.zeros(20, 4)}), "20 = 5 x 4 rows: expected H .RNN., 3H .GRU. or 4H .LSTM."
    yield "empty.pt", b"", "empty"


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_bad_files_are_refused_with_the_reason_and_nothing_runs(tmp_path):
    at = app()
    for name, data, message in bad_files(tmp_path):
        upload(at, name, data)
        assert not at.exception, name
        assert len(at.error) == 1 and f"Cannot use {name}" in at.error[0].value, name
        assert re.search(message, at.error[0].value), (name, at.error[0].value)
        assert RESULT_KEY not in at.session_state or at.session_state[RESULT_KEY] is None
        assert not at.get("plotly_chart")
    assert not (tmp_path / "pwned").exists()


def test_a_file_over_the_cap_is_refused(monkeypatch):
    data = pt_bytes(torch.nn.GRU(2, 3).state_dict())
    monkeypatch.setattr(checkpoint, "MAX_UPLOAD_BYTES", len(data) - 1)
    at = upload(app(), "big.pt", data)
    assert "the limit is" in at.error[0].value


class BiClassifier(torch.nn.Module):
    """A practitioner's model, saved whole: embedding -> bidirectional LSTM -> head on h_n of both directions."""

    def __init__(self, V=12, I=3, H=5, K=4, layers=1):
        super().__init__()
        torch.manual_seed(7)
        self.emb = torch.nn.Embedding(V, I)
        self.lstm = torch.nn.LSTM(I, H, num_layers=layers, bidirectional=True)
        self.fc = torch.nn.Linear(2 * H, K)

    def forward(self, ids):  # (T, B) -> logits (B, K)
        _, (h_n, _) = self.lstm(self.emb(ids))
        return self.fc(torch.cat([h_n[-2], h_n[-1]], -1))


def token_csv(ids) -> bytes:  # ids (B, T)
    return "\n".join(",".join(str(int(i)) for i in row) for row in ids).encode()


@pytest.mark.parametrize("layers", [1, 2])
def test_a_whole_bidirectional_classifier_with_token_ids_and_its_own_head(layers):
    net = BiClassifier(layers=layers).double()
    ids = torch.randint(0, 12, (3, 9), generator=torch.Generator().manual_seed(1))  # (B, T)
    at = upload(app(), "net.pt", pt_bytes(net.state_dict()))
    assert not at.exception and not at.error
    at.radio(key="upload_source").set_value("tokens").run()
    at.file_uploader(key="upload_tokens_file").set_value(("ids.csv", token_csv(ids), "text/csv")).run()
    at.radio(key="upload_readout").set_value("head").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    res = results(at)
    assert list(res) == ["LSTM forward (t = 1 → T)", "LSTM reverse (t = T → 1)"]
    # the reference: the documented equations in float64, loss = the predicted class's logit per sample
    x = net.emb.weight.detach()[ids.T]
    predicted = net(ids.T).argmax(-1)
    ref = reference_module(net.lstm, x, lambda out, h_n, c_n: (
        torch.cat([h_n[-2], h_n[-1]], -1) @ net.fc.weight.detach().T)[torch.arange(3), predicted].sum())
    fwd, rev = res["LSTM forward (t = 1 → T)"], res["LSTM reverse (t = T → 1)"]
    np.testing.assert_allclose(fwd.grad_h_layers, torch.stack([ref["grad_h"][k, 0] for k in range(layers)]).numpy(), rtol=1e-5)
    np.testing.assert_allclose(rev.grad_h_layers, torch.stack([ref["grad_h"][k, 1] for k in range(layers)]).numpy(), rtol=1e-5)
    assert at.session_state[RESULT_KEY][2].tolist() == predicted.tolist()
    assert len(at.get("plotly_chart")) >= 3  # views 1-3 (4-6 open on demand)
    # a chosen class instead, and a bad CSV: a clear error naming V, not an exception
    at.radio(key="upload_target_kind").set_value("class").run()
    at.number_input(key="upload_target").set_value(2).run()
    assert at.session_state[RESULT_KEY][2].tolist() == [2, 2, 2] and not at.error
    at.file_uploader(key="upload_tokens_file").set_value(("ids.csv", b"1,2,12\n0,1,2", "text/csv")).run()
    assert not at.exception and "token id 12 (row 1, column 3)" in at.error[0].value and "V = 12" in at.error[0].value


def test_a_tensor_file_batch_first_and_a_second_module_picked():
    torch.manual_seed(3)
    state = {**{f"enc.{k}": v for k, v in torch.nn.GRU(2, 4).state_dict().items()},
             **{f"dec.{k}": v for k, v in torch.nn.RNN(4, 6, num_layers=2).state_dict().items()}}
    x = torch.randn(5, 7, 4, generator=torch.Generator().manual_seed(0))  # (B, T, I)
    at = upload(app(), "two.pt", pt_bytes(state))
    at.selectbox(key="upload_module").set_value(1).run()
    at.radio(key="upload_source").set_value("tensor").run()
    buf = io.BytesIO()
    np.save(buf, x.numpy())
    at.file_uploader(key="upload_tensor_file").set_value(("x.npy", buf.getvalue(), "application/octet-stream")).run()
    assert "expected shape (T, B, I) with I = 4" not in str([e.value for e in at.error])  # (5, 7, 4) reads as T=5, B=7
    at.toggle(key="upload_batch_first").set_value(True).run()
    assert not at.exception and not at.error
    (label, r), = results(at).items()
    assert label == "uploaded RNN" and r.grad_h.shape == (5, 7)
    rnn = torch.nn.RNN(4, 6, num_layers=2)
    rnn.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("dec.")})
    ref = reference_module(rnn, x.transpose(0, 1).double(), lambda out, h_n, c_n: (out[-1] @ r.readout.double()).sum())
    np.testing.assert_allclose(r.grad_h, ref["grad_h"][1, 0].numpy(), rtol=1e-4)
    at.file_uploader(key="upload_tensor_file").set_value(("x.npy", np.save(buf2 := io.BytesIO(), np.zeros((3, 2))) or buf2.getvalue(),
                                                          "application/octet-stream")).run()
    assert not at.exception and "expected shape (B, T, I) with I = 4" in at.error[0].value and "found (3, 2)" in at.error[0].value
