"""Property-based: any ProbeConfig input gives a config or a ValueError; any valid small config probes
without an exception, and a result either is finite or says where it overflowed."""
import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import ProbeConfig, probe
from models.config import CHOICES, LIMITS

ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.lists(st.integers(), max_size=2))
FIELDS = [f.name for f in dataclasses.fields(ProbeConfig)]


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), ANY_VALUE, max_size=4))
def test_any_values_give_config_or_value_error(values):
    try:
        cfg = ProbeConfig(**values)
    except ValueError as err:
        assert any(name in str(err) for name in FIELDS) or "too large" in str(err)
        return
    for name, (lo, hi) in LIMITS.items():
        assert lo <= getattr(cfg, name) <= hi
    for name, allowed in CHOICES.items():
        assert getattr(cfg, name) in allowed


SMALL = st.fixed_dictionaries({
    "cell": st.sampled_from(CHOICES["cell"]), "init": st.sampled_from(CHOICES["init"]),
    "activation": st.sampled_from(CHOICES["activation"]), "dtype": st.sampled_from(CHOICES["dtype"]),
    "seq_len": st.integers(1, 60), "hidden_size": st.integers(1, 12), "input_size": st.integers(1, 3),
    "num_layers": st.integers(1, 3), "batch_size": st.integers(1, 4),
    "weight_scale": st.floats(0.0, 10.0), "input_scale": st.floats(0.0, 100.0),
    "forget_bias": st.floats(-20.0, 20.0), "seed": st.integers(0, 2**31 - 1)}).map(
    lambda v: {**v, "hidden_size": v["hidden_size"] + v["hidden_size"] % 2} if v["cell"] == "lru" else v)  # [Re ; Im]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SMALL)
def test_valid_configs_probe_and_flag_overflow(values):
    r = probe(ProbeConfig(**values))
    T = values["seq_len"]
    assert r.grad_h.shape == (values["batch_size"], T) and r.grad_w_steps.shape == (T,)
    arrays = [r.grad_h, r.grad_h_layers, r.grad_x, r.grad_w_steps, r.hidden]
    if r.grad_c is not None:
        arrays.append(r.grad_c)
    all_finite = all(np.isfinite(a).all() for a in arrays)
    assert (r.nonfinite is None) == all_finite
    if r.nonfinite is not None:
        assert 0 <= r.nonfinite < T and r.nonfinite_stage in ("forward", "backward")
    assert r.jacobian_norm.shape == (T,)
