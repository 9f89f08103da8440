"""Request input the database could not take: ids beyond its integer range and NUL bytes.

Both used to reach the database and come back as a 500 (SQLite's OverflowError, PostgreSQL's
"integer out of range" and its refusal of NUL in text). Ids out of range now simply match no
route (404) or no object; text with NUL is a 400.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

MAX_INT = 2**31 - 1  # PostgreSQL's integer, the type of every id column


def db_int(raw: str) -> int:
    """``int`` for ``request.args.get(..., type=db_int)``: out of range is a ValueError, so
    werkzeug falls back to the default."""
    value = int(raw)
    if not -MAX_INT <= value <= MAX_INT:
        raise ValueError("out of range")
    return value


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` URL parts that fit the database's integer columns."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def _refuse_nul() -> None:
    values = list(request.args.values())
    if request.method in ("POST", "PUT", "PATCH"):
        values += list(request.form.values())
    if any("\x00" in value for value in values):
        raise BadRequest()


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_nul)
