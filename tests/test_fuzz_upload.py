"""Fuzzed uploads: every file is either a usable nn.RNN/LSTM/GRU state_dict or refused with a ValueError
that says why; no other exception, no code from the file ever runs, no size claim is believed.

Each property counts its cases (`hypothesis.event`, shown by `pytest --hypothesis-show-statistics`)
and asserts how many ran and how many were refused. The readers are `models.checkpoint`'s; the last
test drives the Upload tab itself, where a refusal must be an error box, never an exception.
"""
import io
import json
import pickle
import struct
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from safetensors.torch import save as save_safetensors
from streamlit.testing.v1 import AppTest

from models import checkpoint
from models.checkpoint import build_from_state_dict, infer_spec, read_state_dict
from tests.test_checkpoint import Payload, pt_bytes

pytestmark = pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # random bytes that look like pickles
NAMES = st.sampled_from(["m.pt", "m.pth", "m.safetensors"])
CELL_CLASSES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
SMALL_MODEL = st.tuples(st.sampled_from(sorted(CELL_CLASSES)), st.integers(1, 4), st.integers(1, 6), st.integers(1, 2))
FILE_NAMES = {"zip": "m.pt", "legacy": "m.pth", "safetensors": "m.safetensors"}
FORMATS = st.sampled_from(sorted(FILE_NAMES))
MARKED = 70_001  # a tensor length whose pickled form ("J" + 4 bytes) is unique in the file


def encode(state: dict, fmt: str) -> bytes:
    """A state_dict in one of the three formats the app reads (file name: FILE_NAMES[fmt])."""
    if fmt == "safetensors":
        return save_safetensors({k: v.contiguous() for k, v in state.items()})
    return pt_bytes(state, legacy=fmt == "legacy")


def model_state(spec: tuple) -> dict:
    cell, input_size, hidden, layers = spec
    return CELL_CLASSES[cell](input_size, hidden, num_layers=layers).state_dict()


def outcome(data: bytes, name: str) -> str:
    """"accepted" (the file gives a module) or "refused" (ValueError with a reason); anything else fails."""
    try:
        state = read_state_dict(data, name)
        infer_spec(state)
        build_from_state_dict(state)
    except ValueError as exc:
        assert len(str(exc)) > 10
        event("refused")
        return "refused"
    event("accepted")
    return "accepted"


def run_counted(prop, *strategies, examples: int) -> Counter:
    """Run `prop(*values) -> str` under hypothesis for `examples` cases and count its outcomes.
    Derandomized: the same cases on every run, so a count a test asserts on cannot flake."""
    counts = Counter()

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.tuples(*strategies))
    def check(values):
        counts[prop(*values)] += 1
    check()
    return counts


def test_random_bytes_are_refused():
    counts = run_counted(outcome, st.binary(max_size=2048), NAMES, examples=1000)
    assert counts == {"refused": 1000}


def test_random_bytes_behind_real_file_headers_are_refused():
    """Random bytes after a zip's, a pickle's and a safetensors header's first bytes reach deeper parsers."""
    heads = st.sampled_from([b"PK\x03\x04", b"\x80\x02", b"\x80\x04\x95", b"\x08\x00\x00\x00\x00\x00\x00\x00{"])
    counts = run_counted(lambda head, tail, name: outcome(head + tail, name), heads, st.binary(max_size=1024),
                         NAMES, examples=500)
    assert counts == {"refused": 500}


def truncated(spec: tuple, fmt: str, fraction: float) -> tuple[bytes, str]:
    """(the first `fraction` of a small model's file, its name)."""
    data = encode(model_state(spec), fmt)
    return data[: int(len(data) * fraction)], FILE_NAMES[fmt]


TRUNCATED = st.builds(truncated, SMALL_MODEL, FORMATS, st.floats(0, 1, exclude_max=True))


def test_truncated_files_are_refused():
    counts = run_counted(lambda file: outcome(*file), TRUNCATED, examples=300)
    assert counts == {"refused": 300}


def test_flipped_bytes_give_a_module_or_a_refusal():
    """A flipped byte in the tensor data is still a state_dict (accepted, or refused for NaN/inf); elsewhere refused."""
    def prop(spec, fmt, where, value):
        data = bytearray(encode(model_state(spec), fmt))
        data[int(where * len(data))] ^= value
        return outcome(bytes(data), FILE_NAMES[fmt])
    counts = run_counted(prop, SMALL_MODEL, FORMATS, st.floats(0, 1, exclude_max=True), st.integers(1, 255),
                         examples=300)
    assert counts["refused"] + counts["accepted"] == 300 and counts["refused"] > 0


TENSORS = st.builds(lambda shape, dtype: torch.zeros(shape, dtype=dtype), st.lists(st.integers(0, 5), max_size=3),
                    st.sampled_from([torch.float32, torch.float64, torch.int64, torch.bool, torch.float16]))
RIGHT_KEYS = st.sampled_from(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hh_l1"])
WRONG_KEYS = st.one_of(st.sampled_from(["weight_hh_l0_reverse", "head.weight", "fc.bias", "weight_hh_l9"]),
                       st.text(min_size=1, max_size=12).filter(lambda k: not checkpoint.KEY.match(k.split(".")[-1])))


def test_wrong_keys_and_shapes_are_refused():
    """Any mix of right names and random tensors plus one wrong name is refused, whatever the format."""
    def prop(state, wrong, tensor, fmt):
        state = {**state, wrong: tensor}
        return outcome(encode(state, fmt), FILE_NAMES[fmt])
    counts = run_counted(prop, st.dictionaries(RIGHT_KEYS, TENSORS, max_size=4), WRONG_KEYS, TENSORS, FORMATS,
                         examples=300)
    assert counts == {"refused": 300}


def with_claimed_length(data: bytes, claim: int) -> bytes:
    """The pickled length MARKED of a tensor and its storage replaced by `claim` (nothing else changes)."""
    old = b"J" + struct.pack("<i", MARKED)
    assert data.count(old) == 2
    return data.replace(old, b"J" + struct.pack("<i", claim))


def zip_with(data: bytes, change, compress: int = zipfile.ZIP_STORED) -> bytes:
    """A torch.save zip rewritten entry by entry: data.pkl through `change`, all entries with `compress`."""
    out, source = io.BytesIO(), zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            target.writestr(info.filename, change(body) if info.filename.endswith("data.pkl") else body, compress)
    return out.getvalue()


def test_claimed_tensor_sizes_are_not_believed():
    state = {"weight_hh_l0": torch.ones(MARKED)}

    def prop(claim, fmt):
        if fmt == "legacy":
            return outcome(with_claimed_length(pt_bytes(state, legacy=True), claim), "m.pt")
        return outcome(zip_with(pt_bytes(state), lambda body: with_claimed_length(body, claim)), "m.pt")
    claims = st.integers(0, 2**31 - 1).filter(lambda n: n != MARKED)
    counts = run_counted(prop, claims, st.sampled_from(["zip", "legacy"]), examples=200)
    assert counts == {"refused": 200}


def test_safetensors_headers_claiming_other_sizes_are_refused():
    def prop(shape, end, header_len):
        header = json.dumps({"weight_hh_l0": {"dtype": "F32", "shape": shape, "data_offsets": [0, end]}}).encode()
        size = len(header) if header_len is None else header_len
        return outcome(struct.pack("<Q", size) + header + bytes(64), "m.safetensors")
    shapes = st.lists(st.integers(0, 2**40), min_size=1, max_size=3).filter(lambda s: s != [16])
    counts = run_counted(prop, shapes, st.integers(0, 2**40), st.none() | st.integers(0, 2**64 - 1), examples=200)
    assert counts == {"refused": 200}


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    """400 MB of zeros deflates to well under 1 MB; PyTorch itself would unpack and load it."""
    bomb = zip_with(pt_bytes({"weight_hh_l0": torch.zeros(100_000_000)}), lambda body: body, zipfile.ZIP_DEFLATED)
    assert len(bomb) < 1_000_000
    assert torch.load(io.BytesIO(bomb), weights_only=True)["weight_hh_l0"].numel() == 100_000_000
    with pytest.raises(ValueError, match="unpacks to 400.0 MB; the limit is 50 MB"):
        read_state_dict(bomb, "m.pt")


def test_files_over_the_size_cap_and_models_over_the_engine_limits_are_refused():
    with pytest.raises(ValueError, match="the limit is 50 MB"):
        read_state_dict(bytes(checkpoint.MAX_UPLOAD_BYTES + 1), "m.pt")
    with pytest.raises(ValueError, match="hidden_size=1100 is out of range"):
        build_from_state_dict(read_state_dict(pt_bytes(torch.nn.RNN(1, 1100).state_dict()), "m.pt"))


def payloads(marker: Path) -> list:
    """Objects whose unpickling writes `marker`, through three different callables."""
    class ViaEval(Payload):
        def __reduce__(self):
            return eval, (f"open({self.path!r}, 'w').write('pwned')",)

    class ViaMethod(Payload):
        def __reduce__(self):
            return Path(self.path).write_text, ("pwned",)
    return [Payload(marker), ViaEval(marker), ViaMethod(marker)]


def test_pickles_carrying_code_run_under_pickle_loads_and_never_here():
    """Every payload is live (plain pickle.loads runs it); read_state_dict refuses it in every wrapping."""
    runs = refused = 0
    with tempfile.TemporaryDirectory() as tmp:
        marker = Path(tmp) / "pwned"
        for payload in payloads(marker):
            for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
                raw = pickle.dumps({"weight_hh_l0": payload}, protocol=protocol)
                pickle.loads(raw)
                assert marker.exists(), (type(payload).__name__, protocol)
                marker.unlink()
                runs += 1
                wrapped = pt_bytes({"weight_hh_l0": payload, "weight_ih_l0": torch.zeros(1)})
                for data, name in ((raw, "m.pt"), (raw, "m.pth"), (raw, "m.safetensors"), (wrapped, "m.pt")):
                    with pytest.raises(ValueError, match="refused|not a readable"):
                        read_state_dict(data, name)
                    assert not marker.exists()
                    refused += 1
    assert (runs, refused) == (3 * (pickle.HIGHEST_PROTOCOL + 1), 4 * 3 * (pickle.HIGHEST_PROTOCOL + 1))


def test_the_upload_tab_shows_a_refusal_never_an_exception():
    at = AppTest.from_string("from ui.upload_page import render\nrender()", default_timeout=60).run()
    files = st.one_of(st.tuples(st.binary(max_size=512), NAMES), TRUNCATED)

    def prop(file):
        data, name = file
        at.file_uploader(key="upload_file").set_value((name, data, "application/octet-stream")).run()
        assert not at.exception and len(at.error) == 1 and f"Cannot use {name}" in at.error[0].value
        assert not at.get("plotly_chart")
        event("refused in the app")
        return "refused"
    assert run_counted(prop, files, examples=60) == {"refused": 60}


# --- the readers of issue 12: tensors, token CSVs, monitor logs, whole multi-module checkpoints ---------------
from models.checkpoint import find_modules, module_state  # noqa: E402
from models.inputs import read_tensor, read_token_ids  # noqa: E402
from models.monitor import read_log  # noqa: E402

TENSOR_NAMES = st.sampled_from(["x.npy", "x.pt", "x.safetensors"])


def refused_or(fn) -> str:
    """"accepted" if fn() returns, "refused" for a ValueError with a reason; anything else fails the test."""
    try:
        fn()
    except ValueError as exc:
        assert len(str(exc)) > 10
        return "refused"
    return "accepted"


def tensor_bytes(x: torch.Tensor, name: str) -> bytes:
    if name.endswith(".npy"):
        buf = io.BytesIO()
        import numpy as np
        np.save(buf, x.numpy())
        return buf.getvalue()
    return save_safetensors({"x": x.contiguous()}) if name.endswith(".safetensors") else pt_bytes(x)


def test_random_and_truncated_tensor_files_are_refused():
    counts = run_counted(lambda data, name: refused_or(lambda: read_tensor(data, name, 3)), st.binary(max_size=1024),
                         TENSOR_NAMES, examples=300)
    assert counts == {"refused": 300}

    def cut(shape, name, fraction):
        data = tensor_bytes(torch.zeros(shape), name)
        return refused_or(lambda: read_tensor(data[: int(len(data) * fraction)], name, 3))
    counts = run_counted(cut, st.sampled_from([(4, 2, 3), (2, 3)]), TENSOR_NAMES, st.floats(0, 1, exclude_max=True),
                         examples=200)
    assert counts == {"refused": 200}


def test_tensors_of_any_shape_and_dtype_are_read_or_refused_with_the_shape():
    dtypes = st.sampled_from([torch.float32, torch.float64, torch.int64, torch.float16, torch.bool, torch.complex64])

    def prop(shape, dtype, name, batch_first):
        x = torch.zeros(shape, dtype=dtype)
        if name.endswith(".npy") and dtype in (torch.float16,):
            name = "x.pt"
        result = refused_or(lambda: read_tensor(tensor_bytes(x, name), name, 3, batch_first))
        if result == "accepted":
            assert len(shape) == 3 and shape[2] == 3 and not dtype.is_complex
        return result
    # Any shape, and half the time a (., ., 3) one: a 3-d shape ending in 3 is ~4% of the first alone.
    shapes = st.one_of(st.lists(st.integers(0, 4), max_size=4), st.tuples(st.integers(0, 4), st.integers(0, 4),
                                                                           st.just(3)).map(list))
    counts = run_counted(prop, shapes, dtypes, TENSOR_NAMES, st.booleans(), examples=200)
    assert counts["accepted"] > 0 and counts["refused"] > 0


def test_token_csvs_give_ids_in_range_or_a_refusal():
    rows = st.lists(st.lists(st.integers(-3, 20), min_size=1, max_size=6), min_size=1, max_size=5)

    def prop(text, vocab):
        def read():
            ids = read_token_ids(text.encode("utf-8", "surrogatepass"), vocab)
            assert ids.dtype == torch.int64 and int(ids.min()) >= 0 and int(ids.max()) < vocab
        return refused_or(read)
    csv = rows.map(lambda rs: "\n".join(",".join(map(str, r)) for r in rs))
    counts = run_counted(prop, st.one_of(csv, st.text(max_size=200)), st.integers(1, 25), examples=400)
    assert counts["accepted"] > 0 and counts["refused"] > 0


def real_log() -> bytes:
    from models.monitor import GradientFlowMonitor
    with tempfile.TemporaryDirectory() as tmp:
        model = torch.nn.GRU(2, 3)
        mon = GradientFlowMonitor(model, every=1, log_file=Path(tmp) / "m.jsonl")
        for _ in range(2):
            out, _ = model(torch.randn(5, 2, 2))
            out.sum().backward()
        mon.close()
        return (Path(tmp) / "m.jsonl").read_bytes()


def test_monitor_logs_random_or_damaged_are_refused():
    log = real_log()
    assert set(read_log(log)) == {"gru"}
    counts = run_counted(lambda data: refused_or(lambda: read_log(data)), st.binary(max_size=512), examples=200)
    assert counts == {"refused": 200}

    def damaged(where, value):
        data = bytearray(log)
        data[int(where * len(data))] = value
        return refused_or(lambda: read_log(bytes(data)))
    counts = run_counted(damaged, st.floats(0, 1, exclude_max=True), st.integers(0, 255), examples=300)
    assert counts["refused"] + counts["accepted"] == 300 and counts["refused"] > 0
    json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                               lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                               max_leaves=10)
    header = log.splitlines()[0]
    counts = run_counted(lambda v: refused_or(lambda: read_log(header + b"\n" + json.dumps(v).encode())), json_values,
                         examples=200)
    assert counts == {"refused": 200}


def test_multi_module_checkpoints_list_usable_modules_or_refuse():
    prefixes = st.sampled_from(["", "enc.", "encoder.lstm.", "a.b.c.", "dec."])
    module = st.tuples(prefixes, SMALL_MODEL, st.booleans())
    junk = st.dictionaries(st.sampled_from(["emb.weight", "fc.weight", "fc.bias", "enc.weight_hh_l3", "x"]), TENSORS,
                           max_size=3)

    def prop(mods, extra, fmt):
        state = {}
        for prefix, (cell, i, h, layers), bi in mods:
            m = CELL_CLASSES[cell](i, h, num_layers=layers, bidirectional=bi)
            state.update({prefix + k: v for k, v in m.state_dict().items()})
        state.update(extra)

        def use():
            found, problems = find_modules(read_state_dict(encode(state, fmt), FILE_NAMES[fmt]))
            for spec in found:
                build_from_state_dict(module_state(state, spec["prefix"]))
        return refused_or(use)
    counts = run_counted(prop, st.lists(module, max_size=3), junk, FORMATS, examples=120)
    assert counts["accepted"] > 0 and counts["refused"] > 0


def test_the_new_uploaders_show_a_refusal_never_an_exception():
    """The Upload tab's tensor and token-CSV uploaders and the Train tab's monitor-log uploader."""
    torch.manual_seed(0)
    net = {"emb.weight": torch.randn(9, 2), **{f"rnn.{k}": v for k, v in torch.nn.LSTM(2, 3).state_dict().items()},
           "fc.weight": torch.randn(4, 3), "fc.bias": torch.zeros(4)}
    at = AppTest.from_string("from ui.upload_page import render\nrender()", default_timeout=60).run()
    at.file_uploader(key="upload_file").set_value(("net.pt", pt_bytes(net), "application/octet-stream")).run()

    def upload_prop(source, data, name):
        at.radio(key="upload_source").set_value(source).run()
        key = "upload_tensor_file" if source == "tensor" else "upload_tokens_file"
        at.file_uploader(key=key).set_value((name, data, "application/octet-stream")).run()
        assert not at.exception
        return "refused" if at.error else "accepted"
    files = st.one_of(st.tuples(st.just("tensor"), st.binary(max_size=256), TENSOR_NAMES),
                      st.tuples(st.just("tokens"), st.text(alphabet="0123456789,\n -x", max_size=60).map(str.encode),
                                st.just("ids.csv")))
    counts = run_counted(lambda f: upload_prop(*f), files, examples=40)
    assert counts["refused"] > 0
    train = AppTest.from_string("from ui.train_page import monitor_log_section\nmonitor_log_section()", default_timeout=60).run()

    def log_prop(data):
        train.file_uploader(key="train_monitor_log").set_value(("m.jsonl", data, "application/json")).run()
        assert not train.exception and len(train.error) == 1 and "Cannot use m.jsonl" in train.error[0].value
        return "refused"
    assert run_counted(log_prop, st.binary(max_size=256), examples=20) == {"refused": 20}
    train.file_uploader(key="train_monitor_log").set_value(("m.jsonl", real_log(), "application/json")).run()
    assert not train.exception and not train.error and len(train.get("plotly_chart")) == 1
