"""`python -m models probe|train|sweep ...`: forwards to the command line in `models.cli.main`."""
from .cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
