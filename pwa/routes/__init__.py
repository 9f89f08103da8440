"""One blueprint per user task; routes stay thin: parse → domain → render."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from pwa.routes import (
        approvals,
        audit,
        comparison,
        declare,
        home,
        lookup,
        notifications,
        personnel,
        plumbing,
        shell,
    )

    app.register_blueprint(home.blueprint)
    app.register_blueprint(approvals.blueprint)
    app.register_blueprint(declare.blueprint)
    app.register_blueprint(lookup.blueprint)
    app.register_blueprint(personnel.blueprint)
    app.register_blueprint(plumbing.blueprint)
    app.register_blueprint(notifications.blueprint)
    app.register_blueprint(comparison.blueprint)
    app.register_blueprint(shell.blueprint)
    app.register_blueprint(audit.blueprint)
