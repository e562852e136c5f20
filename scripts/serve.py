"""`streamlit run app.py ARGS...` with the engine warmed before the first visitor: the same server, in-process.

    python -m scripts.serve [streamlit run options, e.g. --server.port 8501 --server.headless true]

Streamlit imports the app's modules and runs its first probe only when the first session opens, so
the first visitor waits for torch's import (~2.5 s on a 2-core machine) and cold first probes (~2.5 s).
This launcher imports them first and starts `ui.cache.warm_up()` (the explorer's default probes and
their Jacobian norms, into the same shared cache the pages read), then hands over to Streamlit's own
command line in this process.

It also freezes the garbage collector's view of everything loaded so far (`gc.freeze()`): Streamlit runs
a full collection after every script run (runner.postScriptGC), and walking torch's, plotly's and pandas'
~250,000 long-lived objects each time cost ~90 ms of server time per change (one WebSocket client,
`scripts.ws_load --clients 1`: change -> script finished p50 253 -> 166 ms). Objects made later are still
collected. It freezes a second time once the warm-up is done and the server answers: the server's own modules
(uvicorn, starlette, anyio, ...) and those torch imports on a first probe (sympy, through `torch._refs`) are
another ~50,000 objects that each collection walked: Streamlit's collection after a script run took 19-32 ms
(p50 of 3-30 runs, one client), and 0.8-0.9 ms once they are frozen too. It holds the GIL meanwhile, so the
run's last messages waited for it.
"""
from __future__ import annotations

import gc
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def freeze_when_served(timeout: float = 600.0) -> None:
    """Once the warm-up is done and the server answers its health check: collect, then freeze what is left."""
    from streamlit import config
    from streamlit.runtime import Runtime

    from scripts.browser import healthy
    from ui.cache import warm_up
    warm_up(wait=True)
    deadline, address = time.monotonic() + timeout, config.get_option("server.address")
    url = f"http://{'127.0.0.1' if address in (None, '', '0.0.0.0', '::') else address}:{config.get_option('server.port')}"
    while not (Runtime.exists() and healthy(url)):
        if time.monotonic() > deadline:
            return
        time.sleep(0.2)
    gc.collect()
    gc.freeze()


def main(argv: list[str] | None = None) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import ui.explorer_page  # noqa: F401  the page's imports (torch, plotly, models, viz) happen now
    import ui.lesson.page  # noqa: F401
    from ui.cache import warm_up
    warm_up()
    from streamlit.web import cli
    gc.collect()
    gc.freeze()  # what is loaded now lives as long as the server: later collections skip it
    threading.Thread(target=freeze_when_served, name="freeze-when-served", daemon=True).start()
    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
