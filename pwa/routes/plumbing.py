"""Health check and other machine-facing endpoints."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from auth.permissions import public
from pwa.extensions import db

blueprint = Blueprint("plumbing", __name__)


@blueprint.get("/healthz")
@public
def check_health() -> tuple[dict[str, str], int]:
    """For load balancers: 200 when the database answers, 503 otherwise (no details)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
