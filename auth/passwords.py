"""Passwords: argon2id hashes and the policy in SECURITY.md (length, classes, blocklist)."""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from auth.i18n import N_, UserFacingError

MIN_LENGTH = 8
MAX_LENGTH = 128
LONG_ENOUGH_FOR_ANY_CLASSES = 15
REQUIRED_CLASSES = 3

_hasher = PasswordHasher()  # argon2id with argon2-cffi's defaults (RFC 9106 low-memory)
# A hash to verify against when the account does not exist, so that an unknown user costs
# the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")

# Common passwords and the words people here build them from (product, place, office).
BLOCKLIST = frozenset(
    {
        "password",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "12345678",
        "123456789",
        "1234567890",
        "11111111",
        "00000000",
        "88888888",
        "66666666",
        "qwerty",
        "qwertyuiop",
        "1qaz2wsx",
        "1q2w3e4r",
        "abc12345",
        "abcd1234",
        "a1234567",
        "aa123456",
        "admin",
        "administrator",
        "root",
        "welcome",
        "iloveyou",
        "woaini",
        "woaini1314",
        "5201314",
        "letmein",
        "zxcvbnm",
        "changeme",
        "default",
        "test",
        "guest",
        "bianban",
        "bianzhi",
        "jigoubianzhi",
        "zhengfu",
        "zhangjiakou",
        "hebei",
        "beijing",
        "china",
        "zhongguo",
        "huawei",
        "wechat",
        "weixin",
        "dingtalk",
        "dingding",
        "编办",
        "编制",
        "张家口",
        "河北",
        "中国",
        "密码",
    }
)


_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "@": "a", "$": "s"})


class PasswordPolicyError(UserFacingError):
    """The password breaks the policy; the message tells the person what to change."""


@dataclass(frozen=True)
class PasswordContext:
    """Words specific to this account that must not be the heart of its password."""

    username: str = ""
    display_name: str = ""


def _classes(password: str) -> int:
    groups = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() or c in string.punctuation for c in password),
    ]
    return sum(groups)


def _core(password: str) -> str:
    """The password without its decorations: lower case, digits and symbols at the ends cut."""
    lowered = unicodedata.normalize("NFKC", password).lower()
    return lowered.strip(string.digits + string.punctuation + " ")


def check_policy(password: str, context: PasswordContext | None = None) -> None:
    """Raise PasswordPolicyError with a message in Chinese if the password is not acceptable."""
    context = context or PasswordContext()
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(N_("密码至少 %(n)d 个字符"), n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(N_("密码最多 %(n)d 个字符"), n=MAX_LENGTH)
    if len(password) < LONG_ENOUGH_FOR_ANY_CLASSES and _classes(password) < REQUIRED_CLASSES:
        raise PasswordPolicyError(
            N_(
                "密码需包含大写字母、小写字母、数字、符号中的至少三类；或使用 %(n)d 个字符以上的长密码"  # noqa: E501 - one msgid
            ),
            n=LONG_ENOUGH_FOR_ANY_CLASSES,
        )
    normalized = unicodedata.normalize("NFKC", password).lower()
    core = _core(password)
    candidates = {
        normalized,
        core,
        normalized.strip(string.punctuation + " "),
        normalized.translate(_LEET),
        core.translate(_LEET),
    }
    if candidates & BLOCKLIST or len(set(core or normalized)) <= 2 or len(set(normalized)) <= 3:
        raise PasswordPolicyError(N_("这个密码太常见，容易被猜中，请换一个"))
    for word in (context.username, context.display_name):
        word = word.strip().lower()
        if len(word) >= 2 and (word in normalized or core == word):
            raise PasswordPolicyError(N_("密码不能包含用户名或姓名"))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-ish time: an unknown account (None) still pays for one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def is_expired(changed_at: datetime, now: datetime, max_age: timedelta) -> bool:
    """MLPS asks for rotation (a documented deviation from ASVS, which advises against it)."""
    return now - changed_at >= max_age
