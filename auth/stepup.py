"""Step-up: a fresh TOTP code for one action on exactly what was displayed.

The page that shows the thing to sign asks for a challenge bound to it (object id and
version hash). The POST carries the challenge id and a code. The challenge is single use,
expires within five minutes, belongs to one account and one action, and is refused with
``StaleBinding`` (HTTP 409) when the object changed after it was displayed. Recovery codes
never satisfy it: only the authenticator does.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from auth import login, throttle
from auth.accounts import active_secret
from auth.i18n import N_, UserFacingError
from auth.messages import failure
from auth.models import Account, StepUpChallenge
from pwa.domain.crypto import FieldCipher

LIFETIME = timedelta(minutes=5)


class StepUpError(UserFacingError):
    """The step-up did not verify; the message says why."""

    def __init__(self, msgid: str, result: login.Result | None = None, **params: object) -> None:
        super().__init__(msgid, **params)
        self.result = result


class StaleBinding(StepUpError):
    """What was displayed is no longer what would be signed."""


@dataclass(frozen=True)
class Challenge:
    id: str
    expires_at: datetime


def issue(
    session: Session, account: Account, action: str, bound_to: str, now: datetime
) -> Challenge:
    challenge = StepUpChallenge(
        id=secrets.token_urlsafe(32),
        account_id=account.id,
        action=action,
        bound_to=bound_to,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(challenge)
    session.flush()
    return Challenge(challenge.id, challenge.expires_at)


def redeem(
    session: Session,
    account: Account,
    *,
    challenge_id: str,
    action: str,
    bound_to: str,
    code: str,
    cipher: FieldCipher,
    now: datetime,
    policy: throttle.ThrottlePolicy,
    via_recovery_code: bool = False,
) -> None:
    """Verify and spend the challenge, or raise StepUpError / StaleBinding."""
    if via_recovery_code:
        raise StepUpError(
            N_("使用恢复码登录的会话不能签批或查看敏感信息，请用验证器动态码重新登录")
        )
    challenge = session.scalar(
        select(StepUpChallenge).where(StepUpChallenge.id == (challenge_id or "")[:64])
    )
    if challenge is None or challenge.account_id != account.id or challenge.action != action:
        raise StepUpError(N_("确认信息无效，请刷新页面后重新操作"))
    if challenge.used_at is not None:
        raise StepUpError(N_("此确认已使用过，请刷新页面后重新操作"))
    if challenge.expires_at <= now:
        raise StepUpError(N_("确认已超过 5 分钟，请刷新页面后重新输入动态码"))
    if challenge.bound_to != bound_to:
        raise StaleBinding(N_("内容在您打开页面后已被修改，请刷新页面核对后重新确认"))
    secret = active_secret(account, cipher)
    if secret is None:
        raise StepUpError(N_("尚未绑定验证器，不能进行此操作"))
    result = login.verify_code_for(session, account, secret, code, now, policy)
    if not result.ok:
        msgid, params = failure(result)
        raise StepUpError(msgid, result, **params)
    spent = session.execute(
        update(StepUpChallenge)
        .where(StepUpChallenge.id == challenge.id, StepUpChallenge.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise StepUpError(N_("此确认已使用过，请刷新页面后重新操作"))
