"""models.after_lstm: the gradient reaching t = 1 is the product of the numbers the minGRU and the LRU multiply by."""
import numpy as np
import pytest

from models import probe
from models.after_lstm import configs, factor_product, sigmoid


@pytest.mark.parametrize("cell", ["mingru", "lru"])
@pytest.mark.parametrize("gate_bias,ring_top", [(3.0, 0.999), (0.0, 0.9)])
def test_the_product_of_numbers_is_the_probes_gradient(cell, gate_bias, ring_top):
    r = probe(configs(gate_bias, ring_top)[cell].replace(dtype="float64"))
    np.testing.assert_allclose(factor_product(r), r.grad_h[:, 0], rtol=1e-10)


def test_same_inputs_and_the_gate_bias_sets_the_minGRUs_decay():
    runs = {cell: probe(cfg) for cell, cfg in configs(3.0, 0.999, seq_len=20).items()}
    assert all(np.array_equal(runs["lstm"].inputs, r.inputs) for r in runs.values())
    zero = probe(configs(3.0, 0.999, seq_len=20)["mingru"].replace(input_scale=0.0, dtype="float64"))
    np.testing.assert_allclose(zero.grad_h.mean(0)[0], sigmoid(3.0) ** 19, rtol=1e-10)  # x = 0: sigma(b)^(T-1)


def test_refuses_a_cell_without_a_product():
    with pytest.raises(ValueError, match="product of numbers"):
        factor_product(probe(configs(1.0, 0.9, seq_len=5)["lstm"]))
