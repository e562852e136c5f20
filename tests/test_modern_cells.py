"""The newer cells (models/diagonal.py, models/indrnn.py): probe() against the independent float64 reference in
tests/reference_modern.py, against autograd through the built module itself, and their initialisations."""
import json

import numpy as np
import pytest
import torch

from models import ProbeConfig, build_model, probe
from models.config import MODERN_CELLS
from tests.reference_modern import reference

RTOL, ATOL = 1e-9, 1e-13  # float64 probe vs float64 reference
ACTS = {"indrnn": ("relu", "tanh", "sigmoid", "linear"), "lru": ("tanh", "relu")}
REC_ROWS = {"mingru": 1, "minlstm": 2}  # gate blocks of weight_ih whose per-step gradient grad_w_steps reports


def close(a, b, name, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(np.asarray(a), b.numpy() if torch.is_tensor(b) else b, rtol=rtol, atol=atol, err_msg=name)


def check(cfg, readout=None):
    r = probe(cfg, readout=readout, keep_path_vectors=True)
    ref = reference(r.model, cfg.cell, cfg.activation, r.inputs, r.readout)
    for name in ("loss", "hidden", "grad_h", "grad_h_layers", "grad_h_units", "grad_x", "jacobian_norm"):
        close(getattr(r, name), ref[name], name)
    assert set(r.gates) == set(ref["gates"])
    for name, g in r.gates.items():
        close(g, ref["gates"][name], name)
    contrib = r.w_hh_contributions()  # per step; their sum is autograd's gradient of the recurrent weights
    theirs = ref["contrib"]
    if cfg.cell in REC_ROWS:
        theirs = theirs.view(cfg.seq_len, -1, cfg.input_size)[:, :REC_ROWS[cfg.cell] * cfg.hidden_size]
    close(contrib, theirs, "contributions")
    close(r.grad_w_steps, theirs.flatten(1).norm(dim=1), "grad_w_steps")
    for k, (mine, refs) in enumerate(zip(r.path_vectors, ref["paths"])):
        assert list(mine) == list(refs), (k, list(mine), list(refs))
        for name, vec in mine.items():
            close(vec, refs[name], f"path {k} {name}")
            close(r.grad_paths_layers[k][name], refs[name].norm(dim=-1), f"path norm {k} {name}")
        # the parts step t sends back add up to autograd's dL/dh_{t-1}
        close(sum(mine.values())[:, 1:], ref["grad_vectors"][k][:, :-1], f"paths sum {k}")
    assert r.grad_c is None and r.cell_state is None and r.grad_highway is None and r.nonfinite is None
    json.dumps(r.to_dict(), allow_nan=False)
    return r, ref


CASES = [(c, a) for c in MODERN_CELLS for a in ACTS.get(c, ("tanh",))]


@pytest.mark.parametrize("cell,activation", CASES)
@pytest.mark.parametrize("layers", [1, 2])
def test_matches_reference(cell, activation, layers):
    check(ProbeConfig(cell=cell, activation=activation, num_layers=layers, seq_len=9, hidden_size=6, input_size=3,
                      batch_size=3, weight_scale=0.95, forget_bias=0.5, seed=3, dtype="float64",
                      init="pytorch" if cell == "indrnn" else "orthogonal"))


@pytest.mark.parametrize("cell", MODERN_CELLS)
@pytest.mark.parametrize("T,H,B,layers", [(1, 4, 2, 1), (1, 2, 1, 2), (5, 2, 1, 3), (12, 8, 4, 2)])
def test_shapes(cell, T, H, B, layers):
    r, _ = check(ProbeConfig(cell=cell, seq_len=T, hidden_size=H, batch_size=B, num_layers=layers, seed=T + H,
                             dtype="float64", activation="relu" if cell == "indrnn" else "tanh"))
    assert r.grad_h.shape == (B, T) and r.grad_h_layers.shape == (layers, B, T)


@pytest.mark.parametrize("cell", MODERN_CELLS)
@pytest.mark.parametrize("readout", ["per_sample", "sequence"])
def test_every_readout(cell, readout):
    """v (B, H): L_b = v_b . h_T^(b) (a task head's dL_b/dh_T); v (T, B, H): a loss on every step."""
    cfg = ProbeConfig(cell=cell, num_layers=2, seq_len=7, hidden_size=4, batch_size=3, seed=2, dtype="float64")
    shape = (3, 4) if readout == "per_sample" else (7, 3, 4)
    v = torch.randn(*shape, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    r, _ = check(cfg, readout=v)
    if readout == "per_sample":
        close(r.grad_h[:, -1], v.norm(dim=1), "dL/dh_T = v")


@pytest.mark.parametrize("cell", ["indrnn"])
@pytest.mark.parametrize("init", ["orthogonal", "identity", "gaussian", "pytorch"])
def test_indrnn_inits(cell, init):
    check(ProbeConfig(cell=cell, init=init, activation="tanh", seq_len=8, hidden_size=5, batch_size=2,
                      weight_scale=1.1, dtype="float64"))


def _chained(model, x, v, hx=None):
    """Autograd through the module itself, one call per step, each starting from the state the last returned:
    total dL/dh_t of the top layer (its h_n entry feeds only the next call), L = v . out_T."""
    states = []
    for t in range(x.shape[0]):
        _, hx = model(x[t:t + 1], hx)
        hx.retain_grad()
        states.append(hx)
    (states[-1][-1] * v).sum().backward()
    return torch.stack([s.grad[-1] for s in states], 1)  # (B, T, H)


@pytest.mark.parametrize("cell", MODERN_CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_through_the_module_itself(cell, layers):
    """The module's own forward: whole-sequence output = chained one-step calls with hx; the probe's top-layer
    dL/dh_t = autograd through those calls; and running from t + 1 with hx = h_t as a leaf gives the same."""
    cfg = ProbeConfig(cell=cell, num_layers=layers, seq_len=8, hidden_size=6, batch_size=2, seed=5, dtype="float64",
                      activation="relu" if cell == "indrnn" else "tanh")
    r = probe(cfg)
    model, x, v = r.model, r.inputs, r.readout
    out, h_n = model(x)
    close(out.transpose(0, 1).detach(), torch.from_numpy(r.hidden), "forward")
    grads = _chained(model, x, v)
    close(r.grad_h, grads.norm(dim=-1), "chained")
    t = 3
    with torch.no_grad():
        _, h_t = model(x[:t + 1])
    leaf = h_t.clone().requires_grad_(True)
    out, _ = model(x[t + 1:], leaf)
    (out[-1] @ v).sum().backward()
    close(r.grad_h_layers[-1][:, t], leaf.grad[-1].norm(dim=-1), "from t + 1 with hx")
    close(r.grad_h_units[:, t], leaf.grad[-1].abs(), "units from t + 1 with hx")


@pytest.mark.parametrize("cell", MODERN_CELLS)
def test_float32_probe_close_to_float64(cell):
    cfg = ProbeConfig(cell=cell, seq_len=60, hidden_size=16, batch_size=4, num_layers=2, seed=5, forget_bias=2.0,
                      activation="relu" if cell == "indrnn" else "tanh")
    r32, r64 = probe(cfg), probe(cfg.replace(dtype="float64"))
    for name in ("grad_h_layers", "jacobian_norm"):
        np.testing.assert_allclose(getattr(r32, name), getattr(r64, name), rtol=2e-4, atol=1e-30, err_msg=name)
    for name in ("grad_x", "grad_w_steps"):  # sums of terms that may cancel: float32 error relative to the largest
        a64 = getattr(r64, name)
        np.testing.assert_allclose(getattr(r32, name), a64, rtol=2e-4, atol=1e-4 * a64.max(), err_msg=name)
    for name in r64.grad_paths:
        np.testing.assert_allclose(r32.grad_paths[name], r64.grad_paths[name], rtol=2e-4, atol=1e-30)
    assert r32.grad_h.mean(0)[0] < 0.9 * r32.grad_h.mean(0)[-1]  # something decays: the check is not vacuous


def test_lru_needs_an_even_hidden_size():
    with pytest.raises(ValueError, match="hidden_size must be even"):
        ProbeConfig(cell="lru", hidden_size=33)


@pytest.mark.parametrize("scale", [0.5, 0.95, 1.0, 3.0])
def test_lru_ring_and_bound(scale):
    """|lambda| on the ring [r_max - 0.1, r_max], r_max = min(scale, 0.999); gamma = (1 - |lambda|^2)^(1/2);
    one layer, L = v . h_T: dL/dh_t = conj(lambda)^(T-t) v exactly, below the bound max|lambda|^(T-t)."""
    r = probe(ProbeConfig(cell="lru", weight_scale=scale, seq_len=40, hidden_size=16, dtype="float64"))
    lam = r.model.eigenvalues(0).detach()
    r_max = min(scale, 0.999)
    assert lam.abs().max() <= r_max + 1e-12 and lam.abs().min() >= r_max - 0.1 - 1e-12
    close(torch.exp(r.model.gamma_log_l0.detach()), (1 - lam.abs() ** 2).sqrt(), "gamma", rtol=1e-12)
    v = torch.complex(*r.readout.chunk(2))
    expected = torch.stack([(lam.conj() ** (39 - t) * v).abs().norm() for t in range(40)])
    close(r.grad_h[0], expected, "lambda powers")
    assert np.all(r.grad_h.mean(0) <= r.bound * (1 + 1e-12))
    close(r.jacobian_norm, np.full(40, lam.abs().max().item()), "jacobian = max |lambda|")


@pytest.mark.parametrize("init,expected", [("orthogonal", "abs"), ("identity", "equal")])
def test_indrnn_weight_scale_is_max_u(init, expected):
    m = build_model(ProbeConfig(cell="indrnn", init=init, weight_scale=0.8, hidden_size=10, num_layers=2, dtype="float64"))
    for k in range(2):
        u = getattr(m, f"u_l{k}").detach()
        assert torch.allclose(u.abs(), torch.full_like(u, 0.8))
        if expected == "equal":
            assert torch.all(u == 0.8)
        else:
            assert (u < 0).any() and (u > 0).any()


@pytest.mark.parametrize("cell", ["mingru", "minlstm"])
@pytest.mark.parametrize("bias", [-1.0, 1.0, 3.0])
def test_forget_bias_sets_the_copy_factor_at_zero_input(cell, bias):
    """At x = 0 the factor a_t is sigma(forget_bias), as the LSTM's f_t = sigma(b_f)."""
    r = probe(ProbeConfig(cell=cell, forget_bias=bias, input_scale=0.0, seq_len=5, hidden_size=4, dtype="float64"))
    a = 1 - r.gates["update"] if cell == "mingru" else r.gates["forget"]
    close(a, np.full(a.shape, 1 / (1 + np.exp(-bias))), "a_t", rtol=1e-12)
    close(r.grad_h.mean(0), (1 / (1 + np.exp(-bias))) ** np.arange(4, -1, -1), "product of numbers", rtol=1e-10)


def test_exploding_indrnn_reports_nonfinite():
    r = probe(ProbeConfig(cell="indrnn", activation="linear", init="identity", weight_scale=3.0, seq_len=400,
                          hidden_size=4))
    assert r.nonfinite is not None and r.nonfinite_stage == "forward"
    json.dumps(r.to_dict(), allow_nan=False)


@pytest.mark.parametrize("cell", MODERN_CELLS)
def test_building_from_a_config_leaves_the_global_rng_alone_and_a_direct_build_is_initialised(cell):
    from models.cells import empty_model

    state = torch.random.get_rng_state()
    a = build_model(ProbeConfig(cell=cell, hidden_size=4, num_layers=2))
    assert torch.equal(state, torch.random.get_rng_state())
    b = build_model(ProbeConfig(cell=cell, hidden_size=4, num_layers=2))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))  # same seed, same weights
    direct = type(empty_model(cell, 1, 4, 2))(1, 4, num_layers=2)  # as a user builds one: nn.RNN's habits
    assert all(torch.isfinite(p).all() for p in direct.parameters())


def test_sweep_reads_what_each_cell_uses():
    """models.sweep: minGRU/minLSTM ignore the weight scale (one probe serves every column, equal rows); IndRNN's
    gamma_w_norm is gamma max|u|; every row equals a lone probe's summary."""
    from models.sweep import plan, summarise, sweep

    base = ProbeConfig(seq_len=30, hidden_size=4, batch_size=2)
    axes = {"cell": ["mingru", "indrnn", "lru"], "weight_scale": [0.5, 0.9]}
    assert len(plan(base, axes).probes) == 5  # minGRU once, IndRNN and LRU twice
    table = sweep(base, axes, workers=1)
    mingru = table[table.cell == "mingru"]
    assert mingru.log10_grad_first.nunique() == 1
    indrnn = table[table.cell == "indrnn"].set_index("weight_scale")
    np.testing.assert_allclose(indrnn.gamma_w_norm.to_numpy(), [0.5, 0.9], rtol=1e-6)  # orthogonal: |u_j| = s, tanh
    row = table[(table.cell == "lru") & (table.weight_scale == 0.9)].iloc[0]
    lone = summarise(probe(base.replace(cell="lru", weight_scale=0.9)))
    assert row.horizon == lone["horizon"] and row.log10_grad_first == pytest.approx(lone["log10_grad_first"])
