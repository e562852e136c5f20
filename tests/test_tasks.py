"""Each task's targets recomputed from its definition, independently of the generator's code."""
import math

import numpy as np
import pytest
import torch

from models.tasks import (MAX_CSV_BYTES, adding_batch, make_task, parse_series_csv, recall_batch,
                          sine_batch)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("T", [2, 7, 50])
def test_adding_target_is_the_sum_of_the_two_marked_values(T):
    x, y = adding_batch(300, T, gen())
    assert x.shape == (T, 300, 2) and y.shape == (300,)
    values, markers = x[..., 0].numpy(), x[..., 1].numpy()
    assert ((values >= 0) & (values < 1)).all()
    for b in range(300):
        marked = np.flatnonzero(markers[:, b])
        assert len(marked) == 2 and marked[0] < T // 2 <= marked[1]
        assert y[b].item() == pytest.approx(values[marked, b].sum(), abs=1e-6)


def test_adding_baseline_of_predicting_one_is_one_sixth():
    _, y = adding_batch(200_000, 20, gen(1))
    # Var(u1 + u2) = 2/12; the estimate's std is about 0.0005 at this n
    assert ((y - 1) ** 2).mean().item() == pytest.approx(1 / 6, abs=0.003)


def test_recall_target_is_the_first_symbol_and_the_last_step_is_the_query():
    K, T = 5, 30
    x, y = recall_batch(400, T, K, gen())
    assert x.shape == (T, 400, K + 1) and y.dtype == torch.long
    assert torch.equal(x.sum(-1), torch.ones(T, 400))  # one-hot
    assert torch.equal(x[-1].argmax(-1), torch.full((400,), K))  # query token
    assert torch.equal(y, x[0].argmax(-1))
    assert (x[1:-1, :, K] == 0).all()  # distractors come from the K symbols
    assert set(y.tolist()) == set(range(K))  # every class occurs, so chance is 1/K


def test_sine_matches_the_seed_formula_without_noise():
    T, n = 10, 50
    x, y = sine_batch(n, T, gen(3), noise=0.0)
    start = torch.rand(n, generator=gen(3), dtype=torch.float64).numpy() * 2 * math.pi  # the first draw
    for b in range(n):
        p = start[b] + np.arange(T + 1)
        curve = (3 * np.sin(p) + np.cos(5 * p) + 6 - 6) / math.sqrt(5)
        np.testing.assert_allclose(x[:, b, 0].numpy(), curve[:-1], atol=1e-5)
        assert y[b].item() == pytest.approx(curve[-1], abs=1e-5)


def test_sine_noise_has_the_requested_std_and_the_series_is_standardised():
    x, y = sine_batch(20_000, 10, gen(4), noise=1.0)
    z = torch.cat([x[..., 0], y[None]]).double()  # (T+1, n)
    assert z.mean().item() == pytest.approx(0, abs=0.02)
    assert z.std().item() == pytest.approx(1, abs=0.02)


def test_series_windows_are_contiguous_and_test_windows_come_from_the_last_fifth():
    series = np.arange(200, dtype=float)
    task = make_task("series", 10, series=series)
    mean, std = series[:160].mean(), series[:160].std()
    for split, lo in (("train", 0), ("test", 160)):
        x, y = task.batch(100, gen(), split)
        raw_x, raw_y = x[..., 0].double().numpy() * std + mean, y.double().numpy() * std + mean
        starts = np.round(raw_x[0]).astype(int)
        np.testing.assert_allclose(raw_x, starts[None] + np.arange(10)[:, None], atol=1e-3)
        np.testing.assert_allclose(raw_y, starts + 10, atol=1e-3)
        assert (starts >= lo).all() and (starts + 10 < (160 if split == "train" else 200)).all()


def test_same_seed_same_batch_other_seed_other_batch():
    task = make_task("adding", 20)
    a, b, c = task.batch(8, gen(5)), task.batch(8, gen(5)), task.batch(8, gen(6))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and not torch.equal(a[0], c[0])


def test_task_metadata():
    assert make_task("adding", 50).baseline_loss == pytest.approx(1 / 6)
    recall = make_task("recall", 50, num_classes=8)
    assert (recall.input_size, recall.output_size, recall.kind) == (9, 8, "classification")
    assert recall.baseline_loss == pytest.approx(math.log(8))


def test_parse_series_csv_accepts_a_header_and_blank_lines():
    data = "value\n1.5\n\n-2\r\n3e2\n".encode()
    np.testing.assert_array_equal(parse_series_csv(data), [1.5, -2.0, 300.0])
    np.testing.assert_array_equal(parse_series_csv("\ufeff4\n5\n".encode()), [4.0, 5.0])


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"\n \n", "empty"),
    (b"value\n", "no numeric values"),
    (b"1,2\n3,4\n", "line 1 has 2 columns"),
    (b"1\n2\nabc\n", "line 3: 'abc' is not a number"),
    (b"1\nnan\n", "line 2"),
    (b"1\ninf\n", "not a finite number"),
    (b"\xff\xfe1\n", "not UTF-8"),
    (b"1\n" * (MAX_CSV_BYTES // 2 + 1), "limit"),
])
def test_parse_series_csv_refuses_bad_files_with_a_clear_message(data, message):
    with pytest.raises(ValueError, match=message):
        parse_series_csv(data)


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "copy"}, "not one of"),
    ({"name": "adding", "seq_len": 1}, "seq_len=1"),
    ({"name": "recall", "num_classes": 1}, "num_classes=1"),
    ({"name": "series"}, "needs an uploaded series"),
    ({"name": "series", "series": np.arange(20.0)}, "needs at least 55"),
    ({"name": "series", "series": np.ones(100)}, "all values"),
])
def test_make_task_errors_name_the_value_to_change(kwargs, message):
    kwargs = {"seq_len": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        make_task(**kwargs)
