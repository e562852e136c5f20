"""models.sweep: summaries against formulas and plain autograd, the RNN bound, identical tables from every
place the sweep can run (this process, a local pool, an in-process Dask cluster), resuming, bad input."""
import math

import numpy as np
import pandas as pd
import pytest

from models import ProbeConfig
from models.cells import build_model
from models.config import SWEEP_MAX_COST
from models.probe import make_inputs, make_readout
from models.sweep import CONFIG_COLUMNS, SUMMARY_COLUMNS, plan, read_table, sweep
from tests.reference import reference

GAMMA = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25, "linear": 1.0}  # sup |phi'|


def formula_horizon(log10_g_back, T):
    """min k >= 0 with g_{T-k} < 1e-3, else T; log10_g_back(k) = log10 g_{T-k}."""
    return next((k for k in range(T) if log10_g_back(k) < -3), T)


# ---------------------------------------------------------------- formulas

def test_linear_rnn_decay_is_minus_log10_s_at_every_grid_point():
    """W_hh = s Q, Q orthogonal, phi = identity: dL/dh_t = (W_hh^T)^(T-t) v, so ||dL/dh_t|| = s^(T-t)."""
    scales = [round(float(s), 10) for s in np.linspace(0.5, 1.5, 11)] + [0.83, 1.27]
    lengths = [20, 150]
    base = ProbeConfig(cell="rnn", activation="linear", init="orthogonal", dtype="float64", hidden_size=8,
                       batch_size=2)
    table = sweep(base, {"seq_len": lengths, "weight_scale": scales}, workers=1)
    assert len(table) == len(scales) * len(lengths)
    for row in table.itertuples():
        s, T = row.weight_scale, row.seq_len
        assert abs(row.decay_per_step - (-math.log10(s))) < 1e-9, (s, T)
        assert abs(row.log10_grad_first - (T - 1) * math.log10(s)) < 1e-9, (s, T)
        assert abs(row.growth_per_step_max - math.log10(s)) < 1e-9, (s, T)
        assert abs(row.gamma_w_norm - s) < 1e-12
        assert row.horizon == formula_horizon(lambda k: k * math.log10(s), T), (s, T)
        assert row.nonfinite == -1 and math.isnan(row.decay_per_step_c) and row.horizon_c == -1


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_rnn_gradient_never_exceeds_the_bound(activation):
    """Pascanu et al. 2013: ||dL/dh_t|| <= (gamma ||W_hh||)^(T-t) ||dL/dh_T||, and ||W_hh|| = s here."""
    base = ProbeConfig(cell="rnn", activation=activation, init="orthogonal", dtype="float64", hidden_size=16,
                       batch_size=4, input_scale=0.5)
    scales = [0.5, 0.9, 1.0, 1.1, 1.5, 2.5, 4.0]
    table = sweep(base, {"seq_len": [30, 120], "weight_scale": scales}, seeds=2, workers=1)
    assert len(table) == 2 * len(scales) * 2
    bound = np.log10(GAMMA[activation] * table["weight_scale"].to_numpy())  # per step
    assert (table["growth_per_step_max"].to_numpy() <= bound + 1e-12).all()
    assert np.allclose(table["gamma_w_norm"], GAMMA[activation] * table["weight_scale"], rtol=1e-12)


def test_summaries_of_every_cell_match_plain_autograd():
    """Each row against the step-by-step float64 reference (tests/reference.py) and numpy's own fit."""
    base = ProbeConfig(dtype="float64", hidden_size=6, batch_size=3, seq_len=25)
    table = sweep(base, {"cell": ["rnn", "lstm", "gru"], "weight_scale": [0.6, 1.3]}, workers=1)
    for row in table.to_dict("records"):
        cfg = ProbeConfig(**{k: row[k] for k in CONFIG_COLUMNS})
        ref = reference(build_model(cfg), cfg.cell, cfg.activation, make_inputs(cfg), make_readout(cfg))
        curves = {"": ref["grad_h"]} | ({"_c": ref["grad_c"]} if cfg.cell == "lstm" else {})
        for suffix, grad in curves.items():
            g = grad.numpy().mean(0)  # (T,)
            T = len(g)
            slope = np.polyfit(np.arange(1, T + 1), np.log10(g), 1)[0]
            assert row[f"decay_per_step{suffix}"] == pytest.approx(slope, rel=1e-7, abs=1e-12)
            assert row[f"log10_grad{suffix}_first"] == pytest.approx(np.log10(g[0]), rel=1e-7, abs=1e-12)
            assert row[f"horizon{suffix}"] == formula_horizon(lambda k: np.log10(g[T - 1 - k]), T)
        if cfg.cell != "lstm":
            assert math.isnan(row["log10_grad_c_first"])
        rates = [np.log10(ref["grad_h"].numpy()[:, t]) / (T - 1 - t) for t in range(T - 1)]
        assert row["growth_per_step_max"] == pytest.approx(np.max(rates), rel=1e-7)


def test_rows_cover_the_product_and_share_probes_where_a_cell_ignores_an_axis():
    base = ProbeConfig(hidden_size=4, batch_size=2, seq_len=10)
    axes = {"cell": ["rnn", "lstm"], "forget_bias": [0.0, 2.0], "weight_scale": [0.7, 1.2]}
    p = plan(base, axes, seeds=2)
    assert len(p.points) == 2 * 2 * 2 * 2 and len(p.probes) == (2 + 4) * 2  # the RNN once per (scale, seed)
    table = sweep(base, axes, seeds=2, workers=1)
    assert list(table.columns) == list(CONFIG_COLUMNS) + list(SUMMARY_COLUMNS)
    assert list(table["seed"][:2]) == [0, 1] and list(table["cell"]) == ["rnn"] * 8 + ["lstm"] * 8
    rnn, lstm = table[table.cell == "rnn"], table[table.cell == "lstm"]
    by_bias = lambda t, b: t[t.forget_bias == b][list(SUMMARY_COLUMNS)].reset_index(drop=True)
    pd.testing.assert_frame_equal(by_bias(rnn, 0.0), by_bias(rnn, 2.0))
    # a larger forget bias keeps the LSTM's cell-state gradient longer
    assert (by_bias(lstm, 2.0)["log10_grad_c_first"] > by_bias(lstm, 0.0)["log10_grad_c_first"]).all()


# ---------------------------------------------------------------- the same table wherever it runs

SMALL = dict(base=ProbeConfig(hidden_size=8, batch_size=2), seeds=2,
             axes={"cell": ["rnn", "lstm", "gru"], "weight_scale": [0.5, 1.0, 2.0], "seq_len": [15, 40]})


def test_local_pool_and_in_process_dask_cluster_give_identical_tables():
    import dask
    from distributed import LocalCluster

    here = sweep(**SMALL, workers=1, chunk_size=5)
    pool = sweep(**SMALL, workers=2, chunk_size=5)
    pd.testing.assert_frame_equal(here, pool, check_exact=True)
    # Dask's own cluster in this process: a scheduler and 2 worker processes on loopback, no dashboard,
    # stopped on leaving the block. Workers fork from the fork server that already imported torch
    # (about 1 s to start instead of 10 under load); the tasks travel through the scheduler as on a cluster.
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                         worker_dashboard_address=None, timeout="60s", silence_logs=40) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:") and len(cluster.workers) == 2
        on_dask = sweep(**SMALL, scheduler=cluster.scheduler_address, chunk_size=5, timeout=120)
    pd.testing.assert_frame_equal(here, on_dask, check_exact=True)
    assert here["nonfinite"].eq(-1).all() and np.isfinite(here["log10_grad_first"]).all()


@pytest.mark.parametrize("workers", [1, 2])
def test_an_interrupted_sweep_resumes_to_the_uninterrupted_table(tmp_path, workers):
    whole = sweep(**SMALL, workers=1)
    seen = []

    def ctrl_c_after_two_chunks(done, total):
        seen.append(done)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(**SMALL, workers=workers, chunk_size=4, out=tmp_path, on_progress=ctrl_c_after_two_chunks)
    kept = sorted(tmp_path.glob("chunks/chunk-*.parquet"))
    assert len(kept) == 2 and not (tmp_path / "sweep.parquet").exists()
    restart = []
    resumed = sweep(**SMALL, workers=workers, out=tmp_path, on_progress=lambda d, n: restart.append((d, n)))
    assert restart[0] == (2 * 4, len(whole))  # the two finished chunks are skipped
    pd.testing.assert_frame_equal(resumed, whole, check_exact=True)
    pd.testing.assert_frame_equal(read_table(tmp_path), whole, check_exact=True)
    with pytest.raises(ValueError, match="different sweep"):
        sweep(SMALL["base"], {"cell": ["rnn"]}, out=tmp_path, workers=1)


# ---------------------------------------------------------------- refusals

@pytest.mark.parametrize("axes, seeds, words", [
    ({"colour": [1]}, 1, "unknown axis 'colour'"),
    ({"weight_scale": []}, 1, "axis weight_scale is empty"),
    ({"weight_scale": [0.5, 11.0]}, 1, "weight_scale=11.0 is out of range"),
    ({"init": ["ortho"]}, 1, "init='ortho'"),
    ({"cell": ["rnn"]}, 0, "seeds=0"),
    ({"cell": ["rnn"], "seq_len": [5000], "hidden_size": [1024], "batch_size": [1],  # 200 x 5.2e9 > 1e12
      "weight_scale": [round(0.5 + k / 200, 4) for k in range(200)]}, 1, "probe-units.*past the cap"),
])
def test_bad_input_names_what_to_change(axes, seeds, words):
    with pytest.raises(ValueError, match=words):
        plan(ProbeConfig(), axes, seeds)


def test_the_cost_cap_counts_t_b_h2_over_the_probes():
    # 3 cells x 2 scales, T = 100, B = 8, H = 32 -> 6 x 100 x 8 x 32^2 probe-units
    p = plan(ProbeConfig(seq_len=100, batch_size=8, hidden_size=32), {"cell": ["rnn", "lstm", "gru"],
                                                                      "weight_scale": [0.5, 1.0]})
    assert p.cost == 6 * 100 * 8 * 32 ** 2 and "cap" in p.describe() and f"{SWEEP_MAX_COST:.3g}" in p.describe()
