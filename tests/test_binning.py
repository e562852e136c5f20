"""viz.binning: float32 heatmap arrays in Plotly's binary encoding, still equal to the probe's numbers."""
import base64
import json

import numpy as np

from models import ProbeConfig, probe
from viz import gate_figure, magnitude_heatmap_figure
from viz.binning import block_mean, compact

F32 = np.finfo(np.float32).eps  # float32 storage: relative rounding <= eps / 2


def arrays(fig) -> list[dict]:
    """The figure's traces as Plotly writes them to the browser (binary arrays as {"dtype", "bdata"})."""
    return json.loads(fig.to_json())["data"]


def decode(values) -> tuple[str, np.ndarray]:
    return values["dtype"], np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])


def test_compact_rounds_to_float32_only():
    a = np.array([1 / 3, -2.5e-30, 1e30, np.nan])
    c = compact(a)
    assert c.dtype == np.float32
    np.testing.assert_allclose(c[:3], a[:3], rtol=F32 / 2, atol=0)
    assert np.isnan(c[3])


def test_unit_heatmap_is_float32_and_equals_the_probe_at_float32_precision():
    r = probe(ProbeConfig(cell="lstm", seq_len=40, hidden_size=12, batch_size=3, seed=1))
    mat = r.grad_h_units.astype(np.float64).mean(axis=0)  # (T, H)
    (trace,) = arrays(magnitude_heatmap_figure({"LSTM": mat}))
    dtype, z = decode(trace["z"])
    assert dtype == "f4" and decode(trace["x"])[0] == "f4"
    expected = np.log10(mat).T  # every |dL/dh_t| of this run is > 0
    np.testing.assert_allclose(z.reshape(expected.shape), expected, rtol=F32 / 2, atol=0)


def test_decimated_gate_heatmap_is_float32_block_means_of_the_probe():
    r = probe(ProbeConfig(cell="gru", seq_len=300, hidden_size=70, batch_size=2, seed=2))
    traces = arrays(gate_figure(r.gates, "GRU gates"))
    heat = [t for t in traces if t["type"] == "heatmap"]
    assert [t["name"] for t in heat] == list(r.gates)
    for t, g in zip(heat, r.gates.values()):
        expected, centres_t, centres_n = block_mean(g.astype(np.float64).mean(axis=0))
        assert expected.shape == (250, 64)  # MAX_T x MAX_N cells, not 300 x 70
        dtype, z = decode(t["z"])
        assert dtype == "f4"
        np.testing.assert_allclose(z.reshape(64, 250), expected.T, rtol=F32 / 2, atol=1e-300)
        np.testing.assert_array_equal(decode(t["x"])[1], centres_t.astype(np.float32))
