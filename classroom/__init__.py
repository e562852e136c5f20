"""Class mode's shared state: `ClassStore` (one SQLite file per machine, every server process), and `links()`.

    from classroom import ClassStore, links
    code, secret = ClassStore().create_class()
    teacher, students = links("http://10.0.0.5:8501", code, secret)

`python -m classroom new --url http://HOST:PORT` creates a class and prints the two links. Standard library only:
no Streamlit, no torch (the serving scripts import it before either).
"""
from __future__ import annotations

from urllib.parse import urlencode

from .store import ClassState, ClassStore, new_student_id, normalize_code

__all__ = ["ClassState", "ClassStore", "links", "new_student_id", "normalize_code"]

LESSON_PATH = "/lesson"


def links(base_url: str, code: str, secret: str) -> tuple[str, str]:
    """(teacher, students) URLs of class `code` on the server at `base_url` (scheme://host:port)."""
    base = base_url.rstrip("/") + LESSON_PATH
    return f"{base}?{urlencode({'class': code, 'key': secret})}", f"{base}?{urlencode({'class': code})}"
