"""编办移动办公: ``create_app()`` registers configuration, extensions and blueprints."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from pwa.config import Config, ConfigurationError, check_audit_retention, config_from_environment


def create_app(config: Config | None = None) -> Flask:
    import auth.setup
    from pwa import cli, errors, i18n, inputs, keys, request_id, security, templating
    from pwa.db import DatabaseURLError
    from pwa.extensions import csrf, db, htmx, secrets
    from pwa.routes import register_blueprints

    config = config or config_from_environment()
    app = Flask(__name__, instance_path=config.INSTANCE_PATH, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    keys.resolve_keys(config, Path(app.instance_path))
    if config.ENV_NAME == "production" and config.DEBUG:
        raise ConfigurationError("生产环境不得开启调试模式（DEBUG）")
    check_audit_retention(config)
    if not config.DATABASE_URL:
        config.DATABASE_URL = f"sqlite:///{Path(app.instance_path) / config.DATABASE_FILENAME}"
    app.config.from_object(config)
    inputs.init_app(app)

    try:
        db.init_app(app)
    except DatabaseURLError as exc:
        raise ConfigurationError(str(exc)) from None
    secrets.init_app(
        app,
        keys.field_cipher(config),
        keys.blind_index(config),
        audit_key=keys.audit_checkpoint_key(config),
    )
    csrf.init_app(app)
    htmx.init_app(app)
    i18n.init_app(app)
    security.init_security(app)
    request_id.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    auth.setup.init_app(app)
    register_blueprints(app)
    cli.init_app(app)
    return app


__all__ = ["create_app"]
