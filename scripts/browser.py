"""Run the app as a user sees it: `streamlit run` on a free loopback port, driven by Debian's Chromium.

Used by tests/test_browser.py and scripts/measure_redraw.py. The server is stopped by its own PID.
A redraw is detected by watching the first chart's SVG change, never by sleeping.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHART = '[data-testid="stPlotlyChart"]'
# The first chart's drawn data: every trace path, so any change to any line shows up.
SIGNATURE_JS = f"""() => {{
  const chart = document.querySelector('{CHART}');
  if (!chart) return '';
  return Array.from(chart.querySelectorAll('.scatterlayer path.js-line')).map(p => p.getAttribute('d')).join('|');
}}"""
# The app is idle: the script has finished, nothing is stale, and at least n traces or heatmaps are drawn.
IDLE_JS = f"""n => document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelectorAll('[data-stale="true"]').length === 0
    && document.querySelectorAll('{CHART} .scatterlayer .trace, {CHART} .heatmaplayer image').length >= n"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(app: str = "app.py", timeout: float = 90.0, warm: bool = False, watcher: str = "none",
                     env: dict | None = None):
    """Yield the base URL of `streamlit run app` once its health endpoint answers; stop it after.
    warm=True starts it as `make run` does (`python -m scripts.serve`: app.py, imports and default probes
    done before the first visitor), with server.fileWatcherType `watcher` (default none, as `make run`);
    `env` adds variables to the server's environment."""
    port = free_port()
    launcher = ["scripts.serve", "--server.fileWatcherType", watcher] if warm else ["streamlit", "run", app]
    cmd = [sys.executable, "-m", *launcher, "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    log = tempfile.TemporaryFile()  # a file, not a pipe: a chatty server never blocks on a full pipe
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"streamlit exited with {proc.returncode}: {log.read().decode()[-2000:]}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit did not answer on {url} within {timeout:.0f} s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def launch_chromium(playwright):
    """Debian's Chromium through Playwright; a clear error if it is not installed."""
    if not os.path.exists(CHROMIUM):
        raise FileNotFoundError(f"{CHROMIUM} not found: install Debian's chromium (`make browser`)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_for_app(page, charts: int = 1, timeout_ms: float = 120_000) -> None:
    """Until the script has finished and at least `charts` Plotly charts have drawn traces."""
    page.wait_for_function(IDLE_JS, arg=charts, timeout=timeout_ms)


def signature(page) -> str:
    return page.evaluate(SIGNATURE_JS)


def timed_change(page, action, timeout_ms: float = 120_000) -> float:
    """Seconds from `action()` (e.g. a key press) until the first chart's traces differ."""
    before = signature(page)
    start = time.perf_counter()
    action()
    page.wait_for_function(f"old => ({SIGNATURE_JS})() !== old && ({SIGNATURE_JS})() !== ''", arg=before,
                           polling=25, timeout=timeout_ms)  # ms; "raf" would rebuild the signature 60 times a second on the server's cores
    return time.perf_counter() - start


def focus_slider(page, label: str):
    """The range input of the slider whose label contains `label`, focused."""
    handle = page.locator('[data-testid="stSlider"]').filter(has_text=label).locator('input[type="range"]').first
    handle.focus()
    return handle
