"""The approver's inbox: 待我审批 / 我已处理 / 我发起的 / 抄送我的, and the 编委 agenda.

Every box is one query scoped to the viewer's jurisdiction; counts feed the badges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from auth.models import Account, AccountRole
from auth.roles import Role
from auth.scope import scope_for
from pwa.models import (
    Delegation,
    ItemCopy,
    ItemState,
    ItemTask,
    ItemType,
    TaskStage,
    Unit,
)
from pwa.models.item import Item

from .context import Participant
from .payloads import (
    LeadershipPosts,
    QuotaAdjust,
    QuotaUse,
    StaffEntry,
    StaffExit,
    UnitEstablish,
    load,
)
from .routing import NON_DELEGABLE_STAGES, NON_DELEGABLE_TYPES

PAGE_SIZE = 30


class Box(StrEnum):
    TODO = "todo"  # 待我审批
    DONE = "done"  # 我已处理
    MINE = "mine"  # 我发起的
    COPIED = "copied"  # 抄送我的
    AGENDA = "agenda"  # 编委会议 agenda


class Due(StrEnum):
    ANY = ""
    OVERDUE = "overdue"
    SOON = "soon"  # within three days


@dataclass(frozen=True)
class Filters:
    item_type: ItemType | None = None
    unit_id: int | None = None
    due: Due = Due.ANY
    page: int = 1


@dataclass(frozen=True)
class Row:
    item_id: int
    item_type: ItemType
    state: ItemState
    unit_id: int
    unit_name: str
    updated_at: object
    due_on: date | None
    flagged: bool
    document_number: str | None
    stage: TaskStage | None = None
    reminders: int = 0
    # What the item asks for in a few words, within every role's remit (no names): pairs of
    # (kind of part, value) the template renders, e.g. ("kind", 行政编制), ("count", 2).
    summary: tuple[tuple[str, object], ...] = ()

    def overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today


@dataclass(frozen=True)
class Listing:
    rows: list[Row]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def _delegated_roles(session: Session, who: Participant, today: date) -> Select:
    """Roles held by the people who delegated to ``who`` today."""
    return (
        select(AccountRole.account_id, AccountRole.role)
        .join(Delegation, Delegation.delegator_id == AccountRole.account_id)
        .where(
            Delegation.delegate_id == who.account_id,
            Delegation.starts_on <= today,
            Delegation.ends_on >= today,
            Delegation.revoked_at.is_(None),
        )
    )


def _todo_clause(session: Session, who: Participant, today: date):
    own = [r.value for r in who.roles]
    by_delegation = []
    for delegator_id, role in session.execute(_delegated_roles(session, who, today)).all():
        delegator = session.get(Account, delegator_id)
        if delegator is None or delegator.disabled_at is not None:
            continue
        by_delegation.append(
            and_(
                ItemTask.stage.not_in(list(NON_DELEGABLE_STAGES)),
                Item.item_type.not_in(list(NON_DELEGABLE_TYPES)),
                Item.requester_id != delegator_id,
                scope_for(session, delegator).unit_clause(),
                or_(
                    ItemTask.assignee_id == delegator_id,
                    and_(ItemTask.assignee_id.is_(None), ItemTask.required_role == role.value),
                ),
            )
        )
    return and_(
        ItemTask.closed_at.is_(None),
        Item.requester_id != who.account_id,
        or_(
            and_(
                or_(ItemTask.assignee_id.is_(None), ItemTask.assignee_id == who.account_id),
                ItemTask.required_role.in_(own),
            ),
            *by_delegation,
        ),
    )


def _base(who: Participant) -> Select:
    return (
        select(
            Item.id,
            Item.item_type,
            Item.state,
            Item.unit_id,
            Unit.short_name,
            Item.updated_at,
            Item.due_on,
            Item.flagged,
            Item.document_number,
            Item.payload,
        )
        .join(Unit, Unit.id == Item.unit_id)
        .where(
            who.scope.unit_clause() if not _own_only(who) else Item.requester_id == who.account_id
        )
    )


def _own_only(who: Participant) -> bool:
    return who.scope.is_empty


def _box_query(session: Session, who: Participant, box: Box, today: date) -> Select:
    if box is Box.TODO or box is Box.AGENDA:
        query = (
            _base(who)
            .add_columns(ItemTask.stage, ItemTask.reminders, ItemTask.due_on.label("task_due"))
            .join(ItemTask, ItemTask.item_id == Item.id)
        )
        if box is Box.TODO:
            return query.where(_todo_clause(session, who, today))
        if not who.is_office:
            return query.where(false())
        return query.where(ItemTask.closed_at.is_(None), ItemTask.stage == TaskStage.COMMITTEE)
    if box is Box.DONE:
        acted = select(ItemTask.item_id).where(
            or_(ItemTask.acted_by_id == who.account_id, ItemTask.on_behalf_of_id == who.account_id)
        )
        return _base(who).where(Item.id.in_(acted), Item.requester_id != who.account_id)
    if box is Box.MINE:
        return _base(who).where(Item.requester_id == who.account_id)
    roles = [r.value for r in who.roles]
    copied = select(ItemCopy.item_id).where(ItemCopy.role.in_(roles))
    return _base(who).where(Item.id.in_(copied))


def _filtered(query: Select, filters: Filters, today: date, task_due: bool) -> Select:
    if filters.item_type is not None:
        query = query.where(Item.item_type == filters.item_type)
    if filters.unit_id is not None:
        query = query.where(Item.unit_id == filters.unit_id)
    due_column = ItemTask.due_on if task_due else Item.due_on
    if filters.due is Due.OVERDUE:
        query = query.where(due_column < today)
    elif filters.due is Due.SOON:
        query = query.where(due_column >= today, due_column <= today + timedelta(days=3))
    return query


def listing(session: Session, who: Participant, box: Box, filters: Filters, today: date) -> Listing:
    task_due = box in (Box.TODO, Box.AGENDA)
    query = _filtered(_box_query(session, who, box, today), filters, today, task_due)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, min(filters.page, max(1, -(-total // PAGE_SIZE))))
    if task_due:
        ordered = query.order_by(ItemTask.due_on, Item.id)
    else:
        ordered = query.order_by(Item.updated_at.desc(), Item.id.desc())
    rows = []
    for r in session.execute(ordered.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)):
        rows.append(
            Row(
                item_id=r.id,
                item_type=r.item_type,
                state=r.state,
                unit_id=r.unit_id,
                unit_name=r.short_name,
                updated_at=r.updated_at,
                due_on=r.task_due if task_due else r.due_on,
                flagged=r.flagged,
                document_number=r.document_number,
                stage=r.stage if task_due else None,
                reminders=r.reminders if task_due else 0,
                summary=summary_of(r.item_type, r.payload),
            )
        )
    return Listing(rows, total, page)


@dataclass(frozen=True)
class Badges:
    todo: int
    overdue: int
    agenda: int
    returned: int = 0  # my own items sent back for 补正: the applicant's to-do


def badges(session: Session, who: Participant, today: date) -> Badges:
    """Badge counts: open work, how much of it is overdue, and the open 编委 agenda."""

    def count(query: Select) -> int:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0

    todo = _box_query(session, who, Box.TODO, today)
    return Badges(
        todo=count(todo),
        overdue=count(_filtered(todo, Filters(due=Due.OVERDUE), today, task_due=True)),
        agenda=count(_box_query(session, who, Box.AGENDA, today)),
        returned=count(
            select(Item.id).where(
                Item.requester_id == who.account_id, Item.state == ItemState.RETURNED
            )
        ),
    )


def boxes_for(who: Participant) -> list[Box]:
    boxes = [Box.TODO, Box.DONE, Box.MINE, Box.COPIED]
    if who.roles & {Role.OFFICE_LEADER, Role.OFFICE_DIRECTOR, Role.OFFICE_STAFF}:
        boxes.append(Box.AGENDA)
    return boxes


def unit_items(session: Session, who: Participant, unit_id: int, limit: int = 50) -> list[Row]:
    """Open items of one unit that ``who`` may see (the unit card's 在办事项)."""
    from pwa.domain import workflow

    from .reading import can_see

    closed = [s.value for s in workflow.TERMINAL | {ItemState.DRAFT}]
    items = session.scalars(
        select(Item)
        .where(Item.unit_id == unit_id, Item.state.not_in(closed))
        .order_by(Item.updated_at.desc(), Item.id.desc())
        .limit(limit)
    ).all()
    unit = session.get(Unit, unit_id)
    return [
        Row(
            item_id=item.id,
            item_type=item.item_type,
            state=item.state,
            unit_id=unit_id,
            unit_name=unit.short_name if unit else "",
            updated_at=item.updated_at,
            due_on=item.due_on,
            flagged=item.flagged,
            document_number=item.document_number,
            summary=summary_of(item.item_type, item.payload),
        )
        for item in items
        if can_see(session, who, item, unit)
    ]


def summary_of(item_type: ItemType, raw: str) -> tuple[tuple[str, object], ...]:
    """The few words a list row shows: kinds, funding and counts, never a person."""
    try:
        payload = load(item_type, raw)
    except (ValueError, TypeError, KeyError):
        return ()
    if isinstance(payload, QuotaUse):
        return (("kind", payload.kind), ("funding", payload.funding), ("count", payload.count))
    if isinstance(payload, QuotaAdjust):
        return (("kind", payload.kind), ("funding", payload.funding), ("delta", payload.delta))
    if isinstance(payload, StaffExit):
        return (("exit_reason", payload.exit_reason),)
    if isinstance(payload, StaffEntry):
        return (("entry_mode", payload.entry_mode),)
    if isinstance(payload, LeadershipPosts):
        return (("title", payload.title), ("count", payload.approved))
    if isinstance(payload, UnitEstablish):
        return (("name", payload.short_name),)
    return ()
