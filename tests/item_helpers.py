"""A cast for item tests: one account per role in the tiny demo city, and service calls
made the way the web layer makes them (one write transaction each)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from flask import Flask

from auth import accounts
from auth.models import Account
from auth.roles import Role
from auth.scope import scope_for
from pwa.clock import OFFICE_TIMEZONE
from pwa.domain import idnumber
from pwa.domain.items import effects, service
from pwa.domain.items import payloads as p
from pwa.domain.items.routing import DECISION_STAGES, WorkflowPolicy
from pwa.extensions import db
from pwa.models import Education, EntryMode, Gender, ItemState, ItemType, TaskStage, Verdict
from pwa.models.item import Item
from tests.auth_helpers import make_account, unit_id_by_short_name

T = TypeVar("T")

CAST = {
    "clerk": Role.UNIT_CLERK,
    "staff": Role.OFFICE_STAFF,
    "staff2": Role.OFFICE_STAFF,
    "leader": Role.OFFICE_LEADER,
    "leader2": Role.OFFICE_LEADER,
    "director": Role.OFFICE_DIRECTOR,
    "zzb": Role.ORG_REVIEWER,
    "czj": Role.FINANCE_REVIEWER,
    "rsj": Role.HR_REVIEWER,
}


@dataclass
class World:
    app: Flask
    ids: dict[str, int]
    secrets: dict[str, str | None]
    unit_id: int  # the clerk's unit (市教育局)
    policy: WorkflowPolicy

    def who(self, name: str) -> service.Participant:
        with self.app.app_context():
            account = db.session.get(Account, self.ids[name])
            return service.Participant(account.id, account.role_set, scope_for(db.session, account))

    def ctx(self) -> service.Context:
        now = self.app.config.get("FROZEN_NOW") or datetime.now(UTC)
        return service.Context(
            clock=service.Clock(now, now.astimezone(OFFICE_TIMEZONE).date()),
            keys=effects.Keys(*self.app.extensions["pwa.secrets"]),
            policy=self.policy,
        )

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call a service function in its own write transaction, as a request would."""
        with self.app.app_context(), db.write() as session:
            result = fn(session, *args, ctx=self.ctx(), **kwargs)
            session.flush()
            return result

    def opinions(self, item, agree: bool = True):
        """Every open joint-review task answered by its department's reviewer."""
        reviewer = {"joint_org": "zzb", "joint_finance": "czj", "joint_hr": "rsj"}
        for stage in [t.stage.value for t in service.open_tasks(item)]:
            if stage in reviewer and item.state.value == "joint_review":
                item = self.run(
                    service.give_opinion,
                    self.who(reviewer[stage]),
                    item.id,
                    agree=agree,
                    comment="" if agree else "不同意",
                    expected_version=item.version,
                )
        return item

    def to_decision(self, item, requester_done: bool = True):
        """An item submitted by the clerk taken through intake and joint review."""
        staff = self.who("staff")
        item = self.run(service.accept, staff, item.id, expected_version=item.version)
        item = self.run(service.begin_review, staff, item.id, expected_version=item.version)
        item = self.run(service.forward, staff, item.id, comment="", expected_version=item.version)
        return self.opinions(item)

    def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self.app.app_context():
            return fn(db.session, *args, **kwargs)


def make_world(app: Flask, unit_short_name: str = "市教育局") -> World:
    unit_id = unit_id_by_short_name(app, unit_short_name)
    ids, secret_of = {}, {}
    for name, role in CAST.items():
        if role is Role.UNIT_CLERK:
            ids[name], secret_of[name] = make_account(app, name, role, unit_id=unit_id)
        else:
            ids[name], secret_of[name] = make_account(app, name, role)
    return World(app, ids, secret_of, unit_id, WorkflowPolicy())


def new_key() -> str:
    return uuid.uuid4().hex


# -- shorthands for service and effect tests (added; the above is unchanged) -----------------

DECIDER_OF_STAGE = {
    "decide_leader": "leader",
    "decide_director": "director",
    "committee": "director",
}


def declare(
    world: World,
    who: str,
    item_type: ItemType,
    payload: Any,
    *,
    unit_id: int | None = None,
    sealed: dict[str, str] | None = None,
    committee: bool = False,
    submit: bool = True,
    key: str | None = None,
):
    """``who`` declares an item for ``unit_id`` (default: the clerk's unit)."""
    draft = service.Draft(
        item_type,
        world.unit_id if unit_id is None else unit_id,
        payload,
        dict(sealed or {}),
        committee,
    )
    return world.run(
        service.create,
        world.who(who),
        draft,
        idempotency_key=new_key() if key is None else key,
        submit=submit,
    )


def review(world: World, item, by: str = "staff", *, opinions: bool = True):
    """受理 → 开始审核 → 审核通过 by ``by``, then (optionally) every joint opinion 同意."""
    reviewer = world.who(by)
    item = world.run(service.accept, reviewer, item.id, expected_version=item.version)
    item = world.run(service.begin_review, reviewer, item.id, expected_version=item.version)
    item = world.run(service.forward, reviewer, item.id, comment="", expected_version=item.version)
    return world.opinions(item) if opinions else item


def hash_of(world: World, item_id: int) -> str:
    return world.read(lambda s: service.version_hash(s.get(Item, item_id)))


def decide(
    world: World,
    who: str,
    item_id: int,
    verdict: Verdict = Verdict.APPROVE,
    comment: str = "",
    *,
    seen: str | None = None,
) -> service.Outcome:
    """``who`` decides with the hash of the item as it stands (or ``seen``)."""
    return world.run(
        service.decide,
        world.who(who),
        item_id,
        verdict=verdict,
        comment=comment,
        version_hash_seen=seen or hash_of(world, item_id),
        signed_with="totp",
    )


def open_decision_stage(item) -> TaskStage | None:
    for task in service.open_tasks(item):
        if task.stage in DECISION_STAGES:
            return task.stage
    return None


def approve_all(world: World, item):
    """同意 at every decision stage in turn, each by the stage's holder."""
    while item.state is ItemState.AWAITING_DECISION:
        stage = open_decision_stage(item)
        assert stage is not None, "awaiting a decision without a decision task"
        item = decide(world, DECIDER_OF_STAGE[stage.value], item.id).item
    return item


def add_role(app: Flask, account_id: int, role: Role, granted_by_id: int) -> None:
    """Give an account a second business role (someone who is both staff and leader)."""
    with app.app_context(), db.write() as s:
        accounts.grant_role(
            s,
            s.get(Account, account_id),
            role,
            granted_by=s.get(Account, granted_by_id),
            now=app.config.get("FROZEN_NOW") or datetime.now(UTC),
        )


def staff_entry(
    reservation_id: int, sequence: int, born: date = date(1998, 5, 1)
) -> tuple[p.StaffEntry, dict[str, str]]:
    """A 上编 payload for a new person and its sealed part (the full ID number)."""
    number = idnumber.make("130702", born, sequence)
    payload = p.StaffEntry(
        reservation_id,
        "张三",
        Gender.MALE,
        born,
        idnumber.mask(number),
        Education.BACHELOR,
        "科员",
        EntryMode.CIVIL_SERVICE_EXAM,
        "招录",
    )
    return payload, {"id_number": number}
