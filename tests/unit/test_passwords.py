from datetime import UTC, datetime, timedelta

import pytest

from auth import passwords
from auth.passwords import PasswordContext, PasswordPolicyError


@pytest.mark.parametrize("password", ["Short1!", "x" * 129])
def test_length_limits(password):
    with pytest.raises(PasswordPolicyError):
        passwords.check_policy(password)


@pytest.mark.parametrize("password", ["alllowercase1", "ALLUPPER123", "NoDigitsHere"])
def test_short_passwords_need_three_classes(password):
    with pytest.raises(PasswordPolicyError, match="三类"):
        passwords.check_policy(password)


def test_long_passphrases_need_no_classes():
    passwords.check_policy("correct horse battery staple")


@pytest.mark.parametrize(
    "password",
    [
        "P@ssw0rd",
        "Password123!",
        "Qwerty123!!",
        "1qaz2wsx!!!",
        "Zhangjiakou2026!",
        "Aaaaaaaa1!",
        "!!Woaini1314",
    ],
)
def test_common_and_context_words_are_blocked(password):
    with pytest.raises(PasswordPolicyError):
        passwords.check_policy(password)


def test_username_and_name_are_not_allowed_inside():
    with pytest.raises(PasswordPolicyError, match="用户名"):
        passwords.check_policy("Wangfang#2026", PasswordContext("wangfang", "王芳"))
    passwords.check_policy("Xq7#mPz2Lk", PasswordContext("wangfang", "王芳"))


def test_hash_is_argon2id_and_verifies():
    hashed = passwords.hash_password("Xq7#mPz2Lk")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "Xq7#mPz2Lk")
    assert not passwords.verify_password(hashed, "Xq7#mPz2Lj")


def test_unknown_account_never_verifies():
    assert not passwords.verify_password(None, "not-a-real-password-for-timing")


def test_expiry():
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert passwords.is_expired(now - timedelta(days=180), now, timedelta(days=180))
    assert not passwords.is_expired(now - timedelta(days=179), now, timedelta(days=180))
