"""Per-request plumbing: a request id on every response and in every error page."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g


def init_app(app: Flask) -> None:
    @app.before_request
    def _assign_request_id() -> None:
        g.request_id = secrets.token_hex(8)

    @app.after_request
    def _expose_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response
