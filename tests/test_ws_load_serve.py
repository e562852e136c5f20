"""Start-up: ui.cache.warm_up fills the shared cache with the explorer's defaults, and scripts/serve.py
(the warmed launcher) serves the same explorer as `streamlit run`, read through scripts/ws_load.py's client."""
import asyncio
import contextlib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import websockets

from models import probe
from scripts.browser import free_port
from scripts.ws_session import Session
from ui import cache
from ui.settings import AppSettings

ROOT = Path(__file__).resolve().parent.parent


def test_warm_up_puts_the_default_probes_and_their_jacobian_norms_in_the_shared_cache():
    cache.warm_up(wait=True)
    for cell in AppSettings().cells:
        cfg = AppSettings().probe_config(cell)
        shared = cache.cached_probe(cfg)
        assert shared is cache.cached_probe(cfg)  # one shared object: a cache hit
        assert shared._jacobian_norm is not None  # computed by the warm-up, not on first read
        fresh = probe(cfg)
        np.testing.assert_array_equal(shared.grad_h, fresh.grad_h)
        np.testing.assert_allclose(shared.jacobian_norm, fresh.jacobian_norm, rtol=1e-6)
    cache.warm_up(wait=True)  # once per process: a second call starts nothing


async def first_run(url: str):
    async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=None, open_timeout=60) as ws:
        return await Session(ws, "seed=0").rerun(120)


def test_warmed_launcher_serves_the_explorer():
    port = free_port()
    cmd = [sys.executable, "-m", "scripts.serve", "--server.headless", "true", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    break
            assert server.poll() is None, "the launcher exited"
            time.sleep(0.2)
        run = asyncio.run(first_run(url))
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert run.status == "FINISHED_SUCCESSFULLY" and not run.exceptions and run.first_chart is not None
    assert "seq_len=100" in run.query and "probe_seq_len" in run.widgets
