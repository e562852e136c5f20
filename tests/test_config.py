"""ProbeConfig rejects every out-of-range or unknown value with a message naming the field and range."""
import pytest

from models import ProbeConfig
from models.config import LIMITS, MAX_ELEMENTS, probe_elements


@pytest.mark.parametrize("field,value,words", [
    ("seq_len", 0, "seq_len=0 is out of range: allowed [1, 5000]"),
    ("hidden_size", 0, "hidden_size=0 is out of range: allowed [1, 1024]"),
    ("num_layers", 5, "num_layers=5 is out of range: allowed [1, 4]"),
    ("weight_scale", -0.5, "weight_scale=-0.5 is out of range: allowed [0.0, 10.0]"),
    ("input_scale", float("nan"), "input_scale=nan is out of range"),
    ("weight_scale", float("inf"), "weight_scale=inf is out of range"),
    ("seq_len", 2.5, "seq_len=2.5 must be a whole number"),
    ("batch_size", "8", "batch_size='8' must be a number"),
    ("seed", True, "seed=True must be a number"),
    ("cell", "transformer", "cell='transformer' is not one of rnn, lstm, gru"),
    ("init", "xavier", "init='xavier' is not one of orthogonal, identity, gaussian, pytorch"),
    ("activation", "gelu", "activation='gelu' is not one of tanh, relu, sigmoid, linear"),
    ("dtype", "float16", "dtype='float16' is not one of float32, float64"),
])
def test_rejects_with_named_field(field, value, words):
    with pytest.raises(ValueError) as err:
        ProbeConfig(**{field: value})
    assert words in str(err.value)


def test_memory_cap_names_what_to_lower():
    with pytest.raises(ValueError, match="lower batch_size, seq_len, hidden_size or num_layers"):
        ProbeConfig(seq_len=5000, hidden_size=1024, batch_size=64)
    n = probe_elements("lstm", 1000, 256, 8, 1)
    assert n < MAX_ELEMENTS  # the app's largest default-batch setting fits
    ProbeConfig(cell="lstm", seq_len=1000, hidden_size=256, batch_size=8)


def test_limits_are_inclusive_and_whole_floats_become_ints():
    for field, (lo, hi) in LIMITS.items():
        assert getattr(ProbeConfig(**{field: lo}), field) == lo
    cfg = ProbeConfig(seq_len=12.0)
    assert cfg.seq_len == 12 and isinstance(cfg.seq_len, int)


def test_frozen_hashable_and_replace_validates():
    cfg = ProbeConfig()
    assert hash(cfg) == hash(ProbeConfig())
    with pytest.raises(Exception):
        cfg.seq_len = 3
    with pytest.raises(ValueError, match="hidden_size"):
        cfg.replace(hidden_size=-1)
