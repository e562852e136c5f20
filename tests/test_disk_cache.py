"""ui.disk_cache and models.result_file: a probe stored by one process reads back equal to a fresh `probe()`
(arrays, names, lazily computed Jacobian norms), two OS processes asking at once compute once, a damaged file is a
miss, the directory stays under its cap (least recently used out first), and only the cache's own results share
their Jacobian norms."""
import multiprocessing
import os
import time

import numpy as np
import pytest

from models import ProbeConfig, probe
from models import result_file
from ui.cache import freeze
from ui.disk_cache import DiskCache

CFG = ProbeConfig(cell="lstm", seq_len=40, hidden_size=12, batch_size=4, seed=3)


def slow_probe(cfg):
    time.sleep(1.0)  # long enough that the other process asks while this one computes
    return freeze(probe(cfg))


def asker(directory, start, out):
    cache = DiskCache(directory)
    start.wait(60)
    r = cache.get_or_compute(CFG, lambda: slow_probe(CFG))
    cache.flush()
    out.put((os.getpid(), cache.computed, r.grad_h.tolist()))


def test_two_processes_asking_at_once_compute_once(tmp_path):
    ctx = multiprocessing.get_context("spawn")  # clean OS processes (no forked torch thread pools)
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=asker, args=(str(tmp_path), start, out)) for _ in range(2)]
    for p in procs:
        p.start()
    time.sleep(0.5)
    start.set()
    answers = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert sorted(computed for _, computed, _ in answers) == [0, 1]  # one computed, the other read its file
    fresh = probe(CFG).grad_h
    for _, _, grad_h in answers:
        np.testing.assert_array_equal(np.array(grad_h), fresh)


@pytest.mark.parametrize("cfg", [CFG, CFG.replace(cell="gru", num_layers=2), CFG.replace(cell="rnn", activation="relu")])
def test_a_stored_result_reads_back_as_a_fresh_probe(tmp_path, cfg):
    DiskCache(tmp_path).get_or_compute(cfg, lambda: freeze(probe(cfg)))
    other = DiskCache(tmp_path)  # another process's view of the directory
    r = other.get_or_compute(cfg, lambda: pytest.fail("computed again"))
    fresh = probe(cfg)
    for name in result_file.ARRAYS:
        a, b = getattr(r, name), getattr(fresh, name)
        assert (a is None) == (b is None), name
        if a is not None:
            np.testing.assert_array_equal(a, b, err_msg=name)
            assert not a.flags.writeable
    assert list(r.gates) == list(fresh.gates) and list(r.grad_paths) == list(fresh.grad_paths)
    for name in fresh.gates:
        np.testing.assert_array_equal(r.gates[name], fresh.gates[name])
    for mine, theirs in zip(r.grad_paths_layers, fresh.grad_paths_layers):
        assert {k: v.tolist() for k, v in mine.items()} == {k: v.tolist() for k, v in theirs.items()}
    assert (r.nonfinite, r.nonfinite_stage) == (fresh.nonfinite, fresh.nonfinite_stage)
    np.testing.assert_allclose(r.jacobian_norm, fresh.jacobian_norm, rtol=1e-6)  # from the stored inputs


def test_jacobian_norms_computed_by_one_process_are_read_by_another(tmp_path):
    first = DiskCache(tmp_path)
    r = first.get_or_compute(CFG, lambda: freeze(probe(CFG)))
    r.jacobian_norm
    first.store_jacobian_norm(r)
    second = DiskCache(tmp_path)
    loaded = second.get_or_compute(CFG, lambda: pytest.fail("computed again"))
    assert loaded._jacobian_inputs is None  # nothing left to compute from: the norms came from the file
    np.testing.assert_allclose(loaded.jacobian_norm, probe(CFG).jacobian_norm, rtol=1e-6)
    stranger = freeze(probe(CFG))  # same config, not from the cache (an uploaded model's result, say)
    assert second.owns(loaded) and not second.owns(stranger)


def test_a_damaged_file_is_a_miss_and_is_replaced(tmp_path):
    cache = DiskCache(tmp_path)
    cache.get_or_compute(CFG, lambda: freeze(probe(CFG)))
    cache.flush()
    entry = tmp_path / f"{cache.key(CFG)}.npz"
    entry.write_bytes(entry.read_bytes()[:1000])  # truncated
    fresh = DiskCache(tmp_path)
    r = fresh.get_or_compute(CFG, lambda: freeze(probe(CFG)))
    assert fresh.computed == 1
    np.testing.assert_array_equal(r.grad_h, probe(CFG).grad_h)
    assert DiskCache(tmp_path).get_or_compute(CFG, lambda: pytest.fail("computed again")) is not None


def test_the_directory_stays_under_its_cap_least_recently_used_out_first(tmp_path):
    configs = [CFG.replace(seed=s) for s in range(8)]
    one = DiskCache(tmp_path)
    one.get_or_compute(configs[0], lambda: freeze(probe(configs[0])))
    one.flush()
    size = (tmp_path / f"{one.key(configs[0])}.npz").stat().st_size
    cache = DiskCache(tmp_path, max_bytes=int(5.5 * size))  # room for five entries
    for i, cfg in enumerate(configs[1:], start=1):
        time.sleep(0.02)  # distinct mtimes
        cache.get_or_compute(configs[0], lambda: pytest.fail("the most used entry was evicted"))
        cache.get_or_compute(cfg, lambda cfg=cfg: freeze(probe(cfg)))
        cache.flush()
        total = sum(p.stat().st_size for p in tmp_path.glob("*.np*"))
        assert total <= cache.max_bytes
    kept = {p.name.split(".")[0] for p in tmp_path.glob("*.npz")}
    assert cache.key(configs[0]) in kept and cache.key(configs[-1]) in kept and cache.key(configs[1]) not in kept
    assert not list(tmp_path.glob(".*.tmp"))  # writes are renames: no temporary file left


def test_a_file_of_another_config_is_not_read(tmp_path):
    cache = DiskCache(tmp_path)
    cache.get_or_compute(CFG, lambda: freeze(probe(CFG)))
    cache.flush()
    other = CFG.replace(seed=4)
    os.replace(tmp_path / f"{cache.key(CFG)}.npz", tmp_path / f"{cache.key(other)}.npz")  # a colliding name
    r = cache.get_or_compute(other, lambda: freeze(probe(other)))
    assert cache.computed == 2
    np.testing.assert_array_equal(r.grad_h, probe(other).grad_h)
