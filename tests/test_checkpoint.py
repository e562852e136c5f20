"""Uploaded state_dicts: the rebuilt module computes what the original computed; bad files are refused, code never runs."""
import io
import pickle

import pytest
import torch
from safetensors.torch import save as save_safetensors

from models import model_spec
from models import checkpoint
from models.checkpoint import build_from_state_dict, infer_spec, load_uploaded_model, read_state_dict


def pt_bytes(obj, legacy=False) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    return buf.getvalue()


def original(cell, input_size=3, hidden=6, layers=1, bias=True, **kw):
    torch.manual_seed(0)
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    return cls(input_size, hidden, num_layers=layers, bias=bias, **kw)


def same_outputs(a, b):
    x = torch.randn(9, 4, a.input_size, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(a(x)[0], b(x)[0], rtol=0, atol=0)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers, bias", [(1, True), (2, True), (2, False)])
@pytest.mark.parametrize("fmt", ["pt", "legacy.pt", "safetensors"])
def test_round_trip_rebuilds_the_same_module(cell, layers, bias, fmt):
    model = original(cell, layers=layers, bias=bias)
    state = model.state_dict()
    data = save_safetensors(dict(state)) if fmt == "safetensors" else pt_bytes(state, legacy=fmt == "legacy.pt")
    rebuilt = load_uploaded_model(data, f"model.{fmt}")
    assert model_spec(rebuilt) == {"cell": cell, "activation": "tanh", "input_size": 3, "hidden_size": 6,
                                   "num_layers": layers, "bias": True, "proj_size": 0, "bidirectional": False}
    with torch.no_grad():
        same_outputs(model, rebuilt)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "linear"])
def test_vanilla_rnn_activation_is_chosen_by_the_user(activation):
    rebuilt = load_uploaded_model(pt_bytes(original("rnn").state_dict()), "m.pt", activation=activation)
    assert model_spec(rebuilt)["activation"] == activation
    if activation == "relu":
        with torch.no_grad():
            same_outputs(original("rnn", nonlinearity="relu"), rebuilt)


def test_a_common_module_prefix_is_accepted():
    model = original("lstm", layers=2)
    state = {f"encoder.lstm.{k}": v for k, v in model.state_dict().items()}
    assert infer_spec(state) == {"cell": "lstm", "input_size": 3, "hidden_size": 6, "num_layers": 2, "bias": True,
                                 "proj_size": 0, "bidirectional": False}
    with torch.no_grad():
        same_outputs(model, build_from_state_dict(state))


def bad_states():
    lstm = original("lstm", layers=2).state_dict()
    yield {**lstm, "head.weight": torch.zeros(1, 6)}, "unexpected keys head.weight"
    bi = original("gru", bidirectional=True, layers=2).state_dict()
    yield {k: v for k, v in bi.items() if k != "weight_hh_l1_reverse"}, "layer 1: missing.*weight_hh_l1_reverse"
    yield {**bi, "weight_ih_l1": torch.zeros(18, 6)}, r"needs \(18, 12\)"
    proj = original("lstm", proj_size=2).state_dict()
    yield {**proj, "weight_hr_l0": torch.zeros(6, 2)}, "proj_size P < H needs weight_hr_l0"
    yield {**lstm, "weight_hh_l0": torch.zeros(30, 6)}, "30 = 5 x 6 rows"
    yield {**lstm, "bias_ih_l1": torch.zeros(23)}, r"bias_ih_l1 has shape \(23,\)"
    yield {**lstm, "weight_ih_l1": torch.zeros(24, 3)}, r"weight_ih_l1 has shape \(24, 3\).*needs \(24, 6\)"
    yield {k: v for k, v in lstm.items() if k != "bias_hh_l1"}, "layer 1: missing.*bias_hh_l1"
    yield {k.replace("_l1", "_l2"): v for k, v in lstm.items()}, r"not numbered 0..1"
    yield {**lstm, "weight_hh_l0": torch.zeros(24, 6, dtype=torch.int64)}, "weights must be floating point"
    yield {**lstm, "bias_hh_l0": torch.full((24,), float("nan"))}, "NaN"
    yield {}, "empty"
    yield original("rnn", input_size=300).state_dict(), "input_size=300 is out of range"


@pytest.mark.parametrize("state, message", list(bad_states()))
def test_bad_state_dicts_are_refused_with_the_reason(state, message):
    with pytest.raises(ValueError, match=message):
        load_uploaded_model(pt_bytes(state), "m.pt")


def test_a_whole_pickled_module_is_refused():
    with pytest.raises(ValueError, match="Python objects other than tensors.*torch.nn.modules.rnn.LSTM"):
        read_state_dict(pt_bytes(original("lstm")), "m.pt")


def test_not_a_state_dict():
    with pytest.raises(ValueError, match="does not hold a state_dict"):
        read_state_dict(pt_bytes([torch.zeros(2)]), "m.pt")


class Payload:
    """Unpickling this calls exec, which writes a file: the classic pickle attack."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return exec, (f"open({self.path!r}, 'w').write('pwned')",)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_pickle_carrying_code_is_refused_and_its_payload_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    raw = pickle.dumps({"weight_hh_l0": Payload(marker)})
    pickle.loads(raw)  # the payload is real: plain unpickling runs it
    assert marker.exists()
    marker.unlink()
    wrapped = pt_bytes({"weight_hh_l0": Payload(marker)})  # the same payload inside torch.save's zip
    assert not marker.exists()
    for data, name in ((raw, "m.pt"), (wrapped, "m.pt"), (wrapped, "m.pth"), (raw, "m.safetensors")):
        with pytest.raises(ValueError, match="refused|not a readable"):
            read_state_dict(data, name)
        assert not marker.exists()


@pytest.mark.parametrize("fmt", ["pt", "safetensors"])
def test_truncated_and_empty_files_are_refused(fmt):
    state = original("gru").state_dict()
    data = save_safetensors(dict(state)) if fmt == "safetensors" else pt_bytes(state)
    for n in (0, 5, len(data) // 2, len(data) - 1):
        with pytest.raises(ValueError, match="truncated|empty"):
            read_state_dict(data[:n], f"m.{fmt}")


def test_a_file_over_the_size_cap_is_refused_before_reading(monkeypatch):
    data = pt_bytes(original("lstm").state_dict())
    monkeypatch.setattr(checkpoint, "MAX_UPLOAD_BYTES", len(data) - 1)
    with pytest.raises(ValueError, match="the limit is"):
        read_state_dict(data, "m.pt")


def test_a_zip_python_cannot_size_is_refused_not_passed_to_torch():
    """Found by fuzzing: a flipped byte made the zip need "version 6.4", and zipfile raised NotImplementedError."""
    import struct
    data = bytearray(pt_bytes(torch.nn.RNN(1, 2).state_dict()))
    central = data.find(b"PK\x01\x02")
    assert central > 0
    struct.pack_into("<H", data, central + 6, 64)  # "version needed to extract" of the first central entry
    with pytest.raises(ValueError, match="truncated or corrupted zip"):
        read_state_dict(bytes(data), "m.pt")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers, bias", [(1, True), (2, False)])
def test_bidirectional_and_projected_modules_round_trip(cell, layers, bias):
    kwargs = {"bidirectional": True}
    model = original(cell, layers=layers, bias=bias, **kwargs)
    rebuilt = load_uploaded_model(save_safetensors(dict(model.state_dict())), "m.safetensors")
    assert model_spec(rebuilt)["bidirectional"] and model_spec(rebuilt)["num_layers"] == layers
    with torch.no_grad():
        same_outputs(model, rebuilt)
    if cell == "lstm":
        model = original("lstm", layers=layers, bias=bias, proj_size=4, bidirectional=True)
        rebuilt = load_uploaded_model(pt_bytes(model.state_dict()), "m.pt")
        assert model_spec(rebuilt)["proj_size"] == 4
        with torch.no_grad():
            same_outputs(model, rebuilt)


class Classifier(torch.nn.Module):
    """What a practitioner saves whole: an embedding, a recurrent encoder under a prefix, a second RNN, a head."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(5)
        self.emb = torch.nn.Embedding(20, 3)
        self.encoder = torch.nn.Module()
        self.encoder.lstm = torch.nn.LSTM(3, 6, num_layers=2, bidirectional=True)
        self.gru = torch.nn.GRU(12, 4)
        self.fc = torch.nn.Linear(12, 5)


def test_find_modules_lists_every_recurrent_submodule_with_its_embedding_and_head():
    state = Classifier().state_dict()
    modules, problems = checkpoint.find_modules(state)
    assert problems == []
    assert [(m["prefix"], m["cell"], m["input_size"], m["hidden_size"], m["num_layers"], m["bidirectional"])
            for m in modules] == [("encoder.lstm.", "lstm", 3, 6, 2, True), ("gru.", "gru", 12, 4, 1, False)]
    assert checkpoint.find_embeddings(state, modules, 3) == [("emb.weight", 20)]
    assert checkpoint.find_heads(state, modules, 12) == [("fc.weight", 5, "fc.bias")]
    assert checkpoint.find_heads(state, modules, 4) == []
    lstm = build_from_state_dict(checkpoint.module_state(state, "encoder.lstm."))
    with torch.no_grad():
        same_outputs(Classifier().encoder.lstm, lstm)


def test_find_modules_explains_what_it_could_not_use():
    state = {**Classifier().state_dict(), "broken.weight_hh_l0": torch.zeros(14, 7), "broken.weight_ih_l0": torch.zeros(7, 1)}
    modules, problems = checkpoint.find_modules(state)
    assert len(modules) == 2 and len(problems) == 1 and problems[0].startswith("broken.: weight_hh_l0 has 14 = 2 x 7 rows")
    with pytest.raises(ValueError, match="no nn.RNN / nn.LSTM / nn.GRU found: no key ends in weight_ih_l0.*fc.weight"):
        checkpoint.find_modules({"fc.weight": torch.zeros(2, 2)})
    with pytest.raises(ValueError, match="no nn.RNN / nn.LSTM / nn.GRU found: rnn.: weight_hh_l0 has 14"):
        checkpoint.find_modules({"rnn.weight_hh_l0": torch.zeros(14, 7), "rnn.weight_ih_l0": torch.zeros(7, 1)})
