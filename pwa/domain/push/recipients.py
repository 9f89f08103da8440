"""Who hears of an item step: the holders of a step are the inverse of the inbox's to-do
query — the assignee, or everyone holding the step's role whose jurisdiction covers the
unit — plus whoever they delegated to, never the requester."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from auth.models import Account, AccountRole
from auth.roles import Role
from auth.scope import region_parents
from pwa.domain.items.routing import delegable
from pwa.models import Delegation, ItemTask, Unit
from pwa.models.item import Item


def _region_and_ancestors(session: Session, region_id: int) -> list[int]:
    parents = region_parents(session)
    chain, current = [], region_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def step_holders(session: Session, task: ItemTask, today: date) -> set[int]:
    item: Item = task.item
    if task.assignee_id is not None:
        holders = {task.assignee_id}
    else:
        unit = session.get(Unit, item.unit_id)
        holders = set(
            session.scalars(
                select(Account.id)
                .join(AccountRole, AccountRole.account_id == Account.id)
                .where(
                    AccountRole.role == Role(task.required_role),
                    Account.disabled_at.is_(None),
                    or_(
                        Account.unit_id == unit.id,
                        Account.region_id.in_(_region_and_ancestors(session, unit.region_id)),
                    ),
                )
            )
        )
    if holders and delegable(task.stage, item.item_type):
        holders |= set(
            session.scalars(
                select(Delegation.delegate_id).where(
                    Delegation.delegator_id.in_(sorted(holders)),
                    Delegation.starts_on <= today,
                    Delegation.ends_on >= today,
                    Delegation.revoked_at.is_(None),
                )
            )
        )
    holders.discard(item.requester_id)
    return holders
