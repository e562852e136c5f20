"""The command line of the engine (`python -m models probe|train|sweep`): argument parsing and files only;
the computation lives in the library modules of `models/`."""
