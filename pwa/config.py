"""Configuration as a class chain, chosen by one environment variable: ``PWA_ENV``.

``PWA_ENV`` is ``development`` (make run), ``test`` (pytest) or ``production`` (the default,
so that a forgotten variable fails safe: production refuses to start without real keys).
"""

from __future__ import annotations

import os
from datetime import timedelta

from auth.policies import SessionPolicy, ThrottlePolicy
from pwa.domain.bulk_access import BulkAccessPolicy
from pwa.domain.comparison import ComparisonPolicy
from pwa.domain.items.routing import WorkflowPolicy
from pwa.domain.push.subscriptions import SubscriptionPolicy
from pwa.domain.push.worker import WorkerPolicy

MIN_AUDIT_RETENTION_DAYS = 180  # MLPS 2.0 level 3: audit records kept at least 6 months


class ConfigurationError(SystemExit):
    """The app cannot start as configured. Exits with one readable line, not a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(f"配置错误：{message}")
        self.message = message


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} 不是整数") from None


def check_audit_retention(config: Config) -> None:
    """Refuse to start when the audit log would be kept less than the minimum."""
    days = config.AUDIT_RETENTION_DAYS
    if days < MIN_AUDIT_RETENTION_DAYS:
        raise ConfigurationError(
            f"审计日志保留期限不得少于 {MIN_AUDIT_RETENTION_DAYS} 天"
            f"（PWA_AUDIT_RETENTION_DAYS 当前为 {days} 天）"
        )


def _env_list(name: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


class Config:
    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    # Keys: from the environment in production; generated into the instance folder otherwise.
    SECRET_KEY: str | None = None
    DATA_KEY: str | None = None  # base64 of 32 bytes: AES-256-GCM for ID numbers, TOTP secrets
    INDEX_KEY: str | None = None  # base64 of ≥ 32 bytes: HMAC blind index of ID numbers
    # Key rotation: "2:base64,1:base64", the first is current; DATA_KEY stays key id 1.
    DATA_KEYS: str | None = None
    BACKUP_KEY: str | None = None  # base64 of 32 bytes: AES-256-GCM of backups, ≠ DATA_KEY
    BACKUP_DIR: str | None = None  # default: instance/backups (mount off-site storage here)
    # base64 of ≥ 32 bytes: HMAC-SHA256 key of the audit checkpoints. Kept outside the
    # database, so whoever can rewrite the audit log cannot re-sign its checkpoints.
    AUDIT_CHECKPOINT_KEY: str | None = None
    GENERATE_MISSING_KEYS = False

    INSTANCE_PATH: str | None = None  # default: Flask's instance folder (./instance)
    DATABASE_URL: str | None = None  # default: SQLite file in the instance folder
    DATABASE_FILENAME = "bianban.sqlite3"

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    SUPPORTED_LOCALES = ("zh_Hans_CN", "en")

    FORCE_HTTPS = True
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # ⚙ idle 15 min, absolute 12 h, password-only state 5 min, 2 live sessions per account.
    SESSION_POLICY = SessionPolicy()
    # ⚙ 5 failures lock for 15 min, doubling.
    THROTTLE_POLICY = ThrottlePolicy()
    # ⚙ MLPS asks for rotation; ASVS advises against it (documented deviation, README).
    PASSWORD_MAX_AGE = timedelta(days=180)
    WTF_CSRF_TIME_LIMIT = 3600 * 12
    WTF_CSRF_SSL_STRICT = True
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024  # ⚙ attachments are limited to 10 MB each
    # ⚙ Deadlines, reservation validity, 催办 interval, batch-approvable types, attachments.
    WORKFLOW_POLICY = WorkflowPolicy()
    # ⚙ Bulk personnel access: > 30 distinct persons in 10 min, > 200 a day, or 15 consecutive
    # person ids asked for by id in 10 min block the account until the security admin lifts it.
    BULK_ACCESS_POLICY = BulkAccessPolicy()
    # Proxies whose X-Forwarded-For we believe (CIDR list); nobody by default.
    TRUSTED_PROXIES: list[str] = []

    # Web Push: the VAPID private key (base64url of the raw P-256 scalar) and a contact the
    # push services may write to. Generated into the instance folder in development.
    VAPID_PRIVATE_KEY: str | None = None
    VAPID_SUBJECT: str | None = None
    # ⚙ ≤ 5 subscriptions per account; https endpoints only.
    PUSH_SUBSCRIPTION_POLICY = SubscriptionPolicy()
    # ⚙ ≤ 10 pushes per account per hour, retries, back-off, deadline warning lead time.
    PUSH_WORKER_POLICY = WorkerPolicy()
    PUSH_POLL_SECONDS = 1.0  # how often the worker looks at the outbox
    # ⚙ 数据比对: ≤ 50 rows a request, ≤ 500 a day, an alert after 20 misses in a day.
    COMPARISON_POLICY = ComparisonPolicy()

    # ⚙ The audit log is kept at least this long (MLPS: ≥ 180 days); less refuses to start.
    AUDIT_RETENTION_DAYS = MIN_AUDIT_RETENTION_DAYS
    # ⚙ The push worker signs an audit checkpoint this often (0: only cron or the CLI does).
    AUDIT_CHECKPOINT_SECONDS = 3600

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("PWA_SECRET_KEY", self.SECRET_KEY)
        self.DATA_KEY = os.environ.get("PWA_DATA_KEY", self.DATA_KEY)
        self.INDEX_KEY = os.environ.get("PWA_INDEX_KEY", self.INDEX_KEY)
        self.DATA_KEYS = os.environ.get("PWA_DATA_KEYS", self.DATA_KEYS)
        self.BACKUP_KEY = os.environ.get("PWA_BACKUP_KEY", self.BACKUP_KEY)
        self.BACKUP_DIR = os.environ.get("PWA_BACKUP_DIR") or self.BACKUP_DIR
        self.AUDIT_CHECKPOINT_KEY = os.environ.get(
            "PWA_AUDIT_CHECKPOINT_KEY", self.AUDIT_CHECKPOINT_KEY
        )
        self.AUDIT_RETENTION_DAYS = _env_int("PWA_AUDIT_RETENTION_DAYS", self.AUDIT_RETENTION_DAYS)
        self.DATABASE_URL = os.environ.get("DATABASE_URL", self.DATABASE_URL)
        self.INSTANCE_PATH = os.environ.get("PWA_INSTANCE_PATH") or self.INSTANCE_PATH
        self.TRUSTED_PROXIES = _env_list("PWA_TRUSTED_PROXIES") or list(self.TRUSTED_PROXIES)
        self.VAPID_PRIVATE_KEY = os.environ.get("PWA_VAPID_PRIVATE_KEY", self.VAPID_PRIVATE_KEY)
        self.VAPID_SUBJECT = os.environ.get("PWA_VAPID_SUBJECT", self.VAPID_SUBJECT)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    GENERATE_MISSING_KEYS = True
    # make run serves plain http on 127.0.0.1: secure cookies would never come back.
    FORCE_HTTPS = False
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_SSL_STRICT = False
    VAPID_SUBJECT = "mailto:bianban-dev@example.invalid"


class TestConfig(DevelopmentConfig):
    __test__ = False  # not a pytest test class
    ENV_NAME = "test"
    TESTING = True
    GENERATE_MISSING_KEYS = False
    SECRET_KEY = "test-secret-key-not-for-production-0123456789"  # noqa: S105 - public on purpose
    DATA_KEY = "dGVzdC1kYXRhLWtleS0zMi1ieXRlcy1sb25nLi4uLi4="
    INDEX_KEY = "dGVzdC1pbmRleC1rZXktMzItYnl0ZXMtbG9uZy4uLi4uLi4="
    BACKUP_KEY = "dGVzdC1iYWNrdXAta2V5LTMyLWJ5dGVzLWxvbmcuLi4="
    AUDIT_CHECKPOINT_KEY = "dGVzdC1hdWRpdC1jaGVja3BvaW50LWtleS0zMi1ieXRlcw=="
    VAPID_PRIVATE_KEY = "oZFJfbBdeQEuXoaivPavQafAQxak4oVPU51Z8uCXyXE"  # noqa: S105 - test only
    # The tests' fake push service listens on http://127.0.0.1.
    PUSH_SUBSCRIPTION_POLICY = SubscriptionPolicy(allow_insecure=True)


class ProductionConfig(Config):
    ENV_NAME = "production"


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_environment() -> Config:
    name = os.environ.get("PWA_ENV", "production").strip().lower()
    try:
        return CONFIGS[name]()
    except KeyError:
        raise ConfigurationError(
            f"PWA_ENV={name!r} 无效，应为 development、test 或 production"
        ) from None
