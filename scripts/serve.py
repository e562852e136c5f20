"""`streamlit run app.py ARGS...` with the engine warmed before the first visitor: the same server, in-process.

    python -m scripts.serve [streamlit run options, e.g. --server.port 8501 --server.headless true]

Streamlit imports the app's modules and runs its first probe only when the first session opens, so
the first visitor waits for torch's import (~2.5 s on a 2-core machine) and cold first probes (~2.5 s).
This launcher imports them first and starts `ui.cache.warm_up()` (the explorer's default probes and
their Jacobian norms, into the same shared cache the pages read), then hands over to Streamlit's own
command line in this process.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import ui.explorer_page  # noqa: F401  the page's imports (torch, plotly, models, viz) happen now
    import ui.lesson.page  # noqa: F401
    from ui.cache import warm_up
    warm_up()
    from streamlit.web import cli
    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
