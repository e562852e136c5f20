"""`python -m classroom new --url http://HOST:PORT [--dir DIR]`: create a class, print `Teacher: URL` and
`Students: URL` (the teacher's link holds the key: give it to nobody else). Exit status 2 with the reason past
the store's cap on classes."""
from __future__ import annotations

import argparse
import sys

from . import ClassStore, links


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classroom", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    new = sub.add_parser("new", help="create a class and print its teacher and student links")
    new.add_argument("--url", default="http://localhost:8501", help="the server's address as students reach it")
    new.add_argument("--dir", default=None, help="store directory (default: $GRADIENT_FLOW_CLASS_DIR, else "
                                                 "~/.cache/gradient-flow/class)")
    args = parser.parse_args(argv)
    try:
        code, secret = ClassStore(args.dir).create_class()
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    teacher, students = links(args.url, code, secret)
    print(f"Teacher: {teacher}\nStudents: {students}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
