"""ui/view_data.py: the download tables hold the probe's own numbers, t = 1..T, inf/NaN kept."""
import json

import numpy as np
import pandas as pd
import pytest

from models import ProbeConfig, probe
from ui.view_data import (contributions_frame, gates_frame, gradient_frame, layers_frame, to_csv, to_json,
                          units_frame)


@pytest.fixture(scope="module")
def results():
    small = dict(seq_len=6, hidden_size=3, batch_size=2, num_layers=2)
    return {"RNN": probe(ProbeConfig(cell="rnn", **small)), "LSTM": probe(ProbeConfig(cell="lstm", **small))}


def test_gradient_frame(results):
    df = gradient_frame(results)
    for run, r in results.items():
        rows = df[df.run == run]
        assert list(rows.t) == list(range(1, 7))
        np.testing.assert_allclose(rows.grad_h_mean, [r.grad_h[:, j].mean() for j in range(6)])
        np.testing.assert_allclose(rows.grad_h_min, r.grad_h.min(axis=0))
        np.testing.assert_allclose(rows.grad_h_max, r.grad_h.max(axis=0))
    np.testing.assert_allclose(df[df.run == "RNN"].bound, results["RNN"].bound)
    assert df[df.run == "RNN"].grad_c_mean.isna().all()
    np.testing.assert_allclose(df[df.run == "LSTM"].grad_c_mean, results["LSTM"].grad_c.mean(axis=0))


def test_units_and_layers_frames(results):
    units = units_frame(results)
    r = results["LSTM"]
    table = units[units.run == "LSTM"].pivot(index="t", columns="unit", values="abs_grad_h").to_numpy()
    np.testing.assert_allclose(table, np.abs(r.grad_h_units).mean(axis=0), rtol=1e-6)
    layers = layers_frame(results)
    table = layers[layers.run == "RNN"].pivot(index="t", columns="layer", values="grad_h_mean").to_numpy()
    np.testing.assert_allclose(table, results["RNN"].grad_h_layers.mean(axis=1).T)


def test_gates_frame_has_every_lstm_gate_and_no_rnn_rows(results):
    df = gates_frame(results)
    assert set(df.gate) == {"input", "forget", "cell", "output"} and set(df.run) == {"LSTM"}
    forget = df[df.gate == "forget"].pivot(index="t", columns="unit", values="value").to_numpy()
    np.testing.assert_allclose(forget, results["LSTM"].gates["forget"].mean(axis=0), rtol=1e-6)
    assert list(gates_frame({"RNN": results["RNN"]}).columns) == ["run", "t", "unit", "value", "gate"]


def test_contributions_frame(results):
    df = contributions_frame(results)
    rows = df[df.run == "RNN"]
    np.testing.assert_allclose(rows.grad_w_step, results["RNN"].grad_w_steps)
    np.testing.assert_allclose(rows.jacobian_norm, results["RNN"].jacobian_norm)


def test_csv_keeps_inf_and_nan_and_json_is_strict(results):
    df = pd.DataFrame({"run": "RNN", "t": [1, 2, 3], "x": [np.inf, np.nan, 0.5]})
    assert to_csv(df).splitlines() == ["run,t,x", "RNN,1,inf", "RNN,2,nan", "RNN,3,0.5"]
    doc = json.loads(to_json(df, {"RNN": results["RNN"]}), parse_constant=lambda c: pytest.fail(c))
    assert doc["columns"] == ["run", "t", "x"] and doc["data"][0] == ["RNN", 1, None]
    assert doc["configs"]["RNN"]["cell"] == "rnn" and doc["configs"]["RNN"]["seq_len"] == 6
