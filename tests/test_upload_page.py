"""The Upload tab in AppTest: good files are probed like the original module; bad files get a clear refusal."""
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
    assert len(at.get("plotly_chart")) >= 4


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
    yield "net.pt", pt_bytes({**lstm, "fc.weight": torch.zeros(1, 4)}), "unexpected keys fc.weight"
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
