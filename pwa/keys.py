"""Secret keys: read from configuration, or generated once into the instance folder in
development. Production refuses to start with a missing or well-known key."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from pwa.config import Config, ConfigurationError, TestConfig
from pwa.domain.crypto import BlindIndex, FieldCipher
from pwa.domain.push.sender import VapidKeyError, VapidKeys

_KNOWN_KEYS = {
    TestConfig.SECRET_KEY,
    TestConfig.DATA_KEY,
    TestConfig.INDEX_KEY,
    TestConfig.AUDIT_CHECKPOINT_KEY,
    TestConfig.VAPID_PRIVATE_KEY,
    "dev",
    "secret",
    "changeme",
    "change-me",
    "please-change-me",
}


def _read_or_create(
    instance_path: Path, filename: str, generate: bool, make: callable
) -> str | None:
    path = instance_path / "keys" / filename
    if path.exists():
        return path.read_text().strip()
    if not generate:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    value = make()
    # O_EXCL: two workers starting at once must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def _random_b64(length: int) -> callable:
    return lambda: base64.b64encode(secrets.token_bytes(length)).decode()


def resolve_keys(config: Config, instance_path: Path) -> None:
    """Fill SECRET_KEY, DATA_KEY, INDEX_KEY and AUDIT_CHECKPOINT_KEY on ``config`` or fail
    with one clear line."""
    generate = config.GENERATE_MISSING_KEYS
    wanted = {
        "SECRET_KEY": ("secret_key", lambda: secrets.token_urlsafe(48), "PWA_SECRET_KEY"),
        "DATA_KEY": ("data_key", _random_b64(32), "PWA_DATA_KEY"),
        "INDEX_KEY": ("index_key", _random_b64(32), "PWA_INDEX_KEY"),
        "AUDIT_CHECKPOINT_KEY": (
            "audit_checkpoint_key",
            _random_b64(32),
            "PWA_AUDIT_CHECKPOINT_KEY",
        ),
    }
    for attribute, (filename, make, env_name) in wanted.items():
        if not getattr(config, attribute):
            setattr(config, attribute, _read_or_create(instance_path, filename, generate, make))
        value = getattr(config, attribute)
        if not value:
            raise ConfigurationError(f"缺少密钥 {env_name}（生产环境必须通过环境变量提供）")
        if config.ENV_NAME == "production" and value in _KNOWN_KEYS:
            raise ConfigurationError(f"{env_name} 使用了公开的默认值，生产环境拒绝启动")
    if config.ENV_NAME == "production" and len(config.SECRET_KEY or "") < 32:
        raise ConfigurationError("PWA_SECRET_KEY 太短：至少 32 个字符")
    _resolve_vapid(config, instance_path)


def _resolve_vapid(config: Config, instance_path: Path) -> None:
    """Web Push needs a VAPID key pair: generated once in development, required (with a
    contact address) in production — a key that changes would silently orphan every
    subscription, so it is never made up on the fly there."""
    if not config.VAPID_PRIVATE_KEY:
        config.VAPID_PRIVATE_KEY = _read_or_create(
            instance_path, "vapid_private_key", config.GENERATE_MISSING_KEYS, VapidKeys.generate
        )
    if not config.VAPID_PRIVATE_KEY:
        raise ConfigurationError(
            "缺少 Web Push 密钥 PWA_VAPID_PRIVATE_KEY（可用 flask --app pwa push vapid-key 生成）"
        )
    if config.ENV_NAME == "production" and config.VAPID_PRIVATE_KEY in _KNOWN_KEYS:
        raise ConfigurationError("PWA_VAPID_PRIVATE_KEY 使用了公开的测试值，生产环境拒绝启动")
    if not config.VAPID_SUBJECT:
        raise ConfigurationError(
            "缺少 PWA_VAPID_SUBJECT：推送服务联系地址，如 mailto:ops@bianban.example"
        )
    try:
        VapidKeys(config.VAPID_PRIVATE_KEY, config.VAPID_SUBJECT).load()
    except VapidKeyError:
        raise ConfigurationError(
            "PWA_VAPID_PRIVATE_KEY 或 PWA_VAPID_SUBJECT 无效：密钥应为 P-256 私钥"
            "（base64url），联系地址应以 mailto: 或 https:// 开头"
        ) from None


def vapid_keys(config: Config | dict) -> VapidKeys:
    get = config.get if isinstance(config, dict) else lambda name: getattr(config, name)
    return VapidKeys(get("VAPID_PRIVATE_KEY"), get("VAPID_SUBJECT"))


def _decode(value: str, name: str, minimum: int) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(f"{name} 不是有效的 base64") from None
    if len(raw) < minimum:
        raise ConfigurationError(f"{name} 太短：至少 {minimum} 字节")
    return raw


def field_cipher(config: Config) -> FieldCipher:
    key = _decode(config.DATA_KEY or "", "PWA_DATA_KEY", 32)
    if len(key) != 32:
        raise ConfigurationError("PWA_DATA_KEY 必须是 32 字节（base64 编码）")
    return FieldCipher.single(key)


def blind_index(config: Config) -> BlindIndex:
    return BlindIndex(_decode(config.INDEX_KEY or "", "PWA_INDEX_KEY", 32))


def audit_checkpoint_key(config: Config) -> bytes:
    return _decode(config.AUDIT_CHECKPOINT_KEY or "", "PWA_AUDIT_CHECKPOINT_KEY", 32)
