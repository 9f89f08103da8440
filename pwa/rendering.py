"""One template per page: a full load renders it all, an htmx request only the named block."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    """htmx swaps want the fragment; boosted navigations and history restores want the page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render_page(template: str, block: str = "content", **context: Any) -> str:
    if wants_fragment():
        return render_block(template, block, **context)
    return render_template(template, **context)
