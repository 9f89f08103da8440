"""Who acts on an item and with what: the participant (account, roles, jurisdiction), the
clock, the keys and the office's policy, and the role sets the item steps check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from auth.roles import Role
from auth.scope import Scope
from pwa.domain import audit

from . import effects
from .routing import JOINT_STAGES, STAGE_ROLE, WorkflowPolicy

OFFICE_ROLES = frozenset({Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.OFFICE_DIRECTOR})
DECIDER_ROLES = frozenset({Role.OFFICE_LEADER, Role.OFFICE_DIRECTOR})
# Who may hand their steps to a colleague for a while (委托).
DELEGATING_ROLES = DECIDER_ROLES | {Role.OFFICE_STAFF}
JOINT_ROLES = {STAGE_ROLE[stage]: stage for stage in JOINT_STAGES}


@dataclass(frozen=True)
class Participant:
    """Who acts: an account, its roles and its jurisdiction."""

    account_id: int
    roles: frozenset[Role]
    scope: Scope

    @property
    def is_office(self) -> bool:
        return bool(self.roles & OFFICE_ROLES)


@dataclass(frozen=True)
class Clock:
    now: datetime
    today: date


@dataclass
class Context:
    """What every service call needs besides the item: time, keys and the office's policy."""

    clock: Clock
    keys: effects.Keys
    policy: WorkflowPolicy = field(default_factory=WorkflowPolicy)
    # Who is acting, for the audit log: every history event is also an audit record, in the
    # same transaction (a change whose record cannot be written does not happen).
    actor: audit.Actor | None = None
    # The office's time zone: quiet hours for notifications are local times.
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
