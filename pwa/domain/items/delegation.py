"""委托: an office member hands their steps to a colleague for a while, and who acts for
whom today."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.i18n import N_
from auth.models import Account
from pwa.models import Delegation

from .context import DELEGATING_ROLES, OFFICE_ROLES, Context, Participant
from .errors import ItemError, ItemNotFound, NotAllowed
from .steps import guard_text


def active_delegators(session: Session, delegate_id: int, today: date) -> list[int]:
    return list(
        session.scalars(
            select(Delegation.delegator_id).where(
                Delegation.delegate_id == delegate_id,
                Delegation.starts_on <= today,
                Delegation.ends_on >= today,
                Delegation.revoked_at.is_(None),
            )
        )
    )


def delegate(
    session: Session,
    who: Participant,
    *,
    to_account_id: int,
    starts_on: date,
    ends_on: date,
    note: str,
    ctx: Context,
) -> Delegation:
    if not who.roles & DELEGATING_ROLES:
        raise NotAllowed(N_("只有编办人员可以委托"))
    if ends_on < starts_on:
        raise ItemError(N_("结束日期不能早于开始日期"))
    if ends_on < ctx.clock.today:
        raise ItemError(N_("结束日期已过"))
    guard_text(note)
    if (ends_on - starts_on).days > 90:
        raise ItemError(N_("委托期限不能超过 90 天"))
    target = session.get(Account, to_account_id)
    if (
        target is None
        or target.id == who.account_id
        or target.disabled_at is not None
        or not target.role_set & OFFICE_ROLES
    ):
        raise ItemError(N_("只能委托给编办的其他同事"))
    delegation = Delegation(
        delegator_id=who.account_id,
        delegate_id=target.id,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note[:200],
        created_at=ctx.clock.now,
    )
    session.add(delegation)
    session.flush()
    return delegation


def end_delegation(session: Session, who: Participant, delegation_id: int, ctx: Context) -> None:
    delegation = session.get(Delegation, delegation_id)
    if delegation is None or delegation.delegator_id != who.account_id:
        raise ItemNotFound()
    if delegation.revoked_at is None:
        delegation.revoked_at = ctx.clock.now
