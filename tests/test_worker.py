"""ui/worker.py: torch work on long-lived threads, with the torch thread count the limiter asks for."""
import threading

import pytest
import torch

from ui import worker
from ui.train_job import TrainingLimiter


def test_runs_on_long_lived_threads_and_returns_or_raises():
    names = {worker.run(lambda: threading.current_thread().name) for _ in range(20)}
    assert names <= {f"torch-worker_{i}" for i in range(worker.WORKERS)}
    assert threading.current_thread().name not in names
    assert worker.run(divmod, 17, 5) == (3, 2)
    with pytest.raises(ZeroDivisionError):
        worker.run(divmod, 1, 0)


def test_a_running_training_caps_the_workers_threads_and_its_end_restores_them():
    server = torch.get_num_threads()
    limiter = TrainingLimiter(slots=2, threads=1)
    assert limiter.acquire(threading.Event(), timeout=1)
    try:
        assert worker.run(torch.get_num_threads) == 1
    finally:
        limiter.release()
    assert worker.run(torch.get_num_threads) == server


def test_a_task_started_while_the_other_worker_is_busy_gets_one_thread():
    """Two probes at once share the two cores: the second runs on 1 torch thread, the next lone one on all."""
    if torch.get_num_threads() == 1:
        pytest.skip("one core: every task runs on 1 thread anyway")
    started, release = threading.Event(), threading.Event()

    def hold():
        started.set()
        assert release.wait(10)
        return torch.get_num_threads()

    out: list = []
    first = threading.Thread(target=lambda: out.append(worker.run(hold)))
    first.start()
    assert started.wait(10)
    try:
        assert worker.run(torch.get_num_threads) == 1
    finally:
        release.set()
        first.join(10)
    assert out == [torch.get_num_threads()]  # the first task kept the server's count
    assert worker.run(torch.get_num_threads) == torch.get_num_threads()


def test_small_work_runs_on_one_thread_and_the_next_task_gets_the_servers_count_back():
    """run_small (a probe with H < 128: ui.cache.on_worker) uses 1 torch thread; run afterwards, the server's own."""
    from models import ProbeConfig
    from ui.cache import on_worker

    assert worker.run_small(torch.get_num_threads) == 1
    assert worker.run(torch.get_num_threads) == torch.get_num_threads()
    assert on_worker(ProbeConfig(hidden_size=64), torch.get_num_threads) == 1
    assert on_worker(ProbeConfig(hidden_size=256), torch.get_num_threads) == torch.get_num_threads()
