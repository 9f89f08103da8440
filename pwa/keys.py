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
    TestConfig.BACKUP_KEY,
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
    """Fill SECRET_KEY, DATA_KEY, INDEX_KEY, BACKUP_KEY and AUDIT_CHECKPOINT_KEY on ``config``
    or fail with one clear line."""
    generate = config.GENERATE_MISSING_KEYS
    wanted = {
        "SECRET_KEY": ("secret_key", lambda: secrets.token_urlsafe(48), "PWA_SECRET_KEY"),
        "DATA_KEY": ("data_key", _random_b64(32), "PWA_DATA_KEY"),
        "INDEX_KEY": ("index_key", _random_b64(32), "PWA_INDEX_KEY"),
        "BACKUP_KEY": ("backup_key", _random_b64(32), "PWA_BACKUP_KEY"),
        "AUDIT_CHECKPOINT_KEY": (
            "audit_checkpoint_key",
            _random_b64(32),
            "PWA_AUDIT_CHECKPOINT_KEY",
        ),
    }
    if config.DATA_KEYS:  # the key list replaces the single key, which stays as id 1
        del wanted["DATA_KEY"]
        if not config.DATA_KEY:
            config.DATA_KEY = _read_or_create(instance_path, "data_key", False, _random_b64(32))
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
    cipher = field_cipher(config)
    if config.ENV_NAME == "production" and any(
        base64.b64encode(key).decode() in _KNOWN_KEYS for key in cipher.keys.values()
    ):
        raise ConfigurationError("PWA_DATA_KEYS 含有公开的默认值，生产环境拒绝启动")
    backup = backup_key(config)
    if any(backup == key for key in cipher.keys.values()):
        raise ConfigurationError("PWA_BACKUP_KEY 不得与数据加密密钥（PWA_DATA_KEY）相同")
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


def _data_key(value: str, name: str) -> bytes:
    key = _decode(value, name, 32)
    if len(key) != 32:
        raise ConfigurationError(f"{name} 必须是 32 字节（base64 编码）")
    return key


def field_cipher(config: Config) -> FieldCipher:
    """All data keys: ``PWA_DATA_KEYS`` ("2:base64,1:base64", the first is current) and
    ``PWA_DATA_KEY`` as key id 1, so that old ciphertexts decrypt while they are rotated."""
    keys: dict[int, bytes] = {}
    current: int | None = None
    for part in (config.DATA_KEYS or "").split(","):
        if not part.strip():
            continue
        key_id, sep, value = part.strip().partition(":")
        if not sep or not key_id.strip().isdigit() or not 0 < int(key_id) < 256:
            raise ConfigurationError(
                "PWA_DATA_KEYS 格式无效：应为 编号:base64,编号:base64（编号 1–255）"
            )
        if int(key_id) in keys:
            raise ConfigurationError(f"PWA_DATA_KEYS 中密钥编号 {int(key_id)} 重复")
        keys[int(key_id)] = _data_key(value.strip(), f"PWA_DATA_KEYS 中编号 {int(key_id)} 的密钥")
        current = int(key_id) if current is None else current
    if config.DATA_KEY:
        legacy = _data_key(config.DATA_KEY, "PWA_DATA_KEY")
        if keys.get(1, legacy) != legacy:
            raise ConfigurationError("PWA_DATA_KEY 与 PWA_DATA_KEYS 中编号 1 的密钥不一致")
        keys[1] = legacy
    if not keys:
        raise ConfigurationError("缺少密钥 PWA_DATA_KEY")
    return FieldCipher(keys=keys, current_key_id=current if current is not None else 1)


def backup_key(config: Config | dict) -> bytes:
    value = config.get("BACKUP_KEY") if isinstance(config, dict) else config.BACKUP_KEY
    return _data_key(value or "", "PWA_BACKUP_KEY")


def blind_index(config: Config) -> BlindIndex:
    return BlindIndex(_decode(config.INDEX_KEY or "", "PWA_INDEX_KEY", 32))


def audit_checkpoint_key(config: Config) -> bytes:
    return _decode(config.AUDIT_CHECKPOINT_KEY or "", "PWA_AUDIT_CHECKPOINT_KEY", 32)
