"""Demo items in every state, made by the demo accounts through the real item services.

Nothing here writes an item row directly: each item is declared, reviewed and decided the
way people would, so the demo shows consistent histories, reservations and 文号. Decisions
made here are marked ``signed_with="demo-seed"`` (nobody typed a code).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Account
from auth.scope import scope_for
from pwa.clock import OFFICE_TIMEZONE
from pwa.domain import idnumber, quota
from pwa.domain.crypto import BlindIndex, FieldCipher
from pwa.domain.items import effects, service
from pwa.domain.items import payloads as p
from pwa.domain.items.routing import CIVIL_SERVICE_KINDS, WorkflowPolicy
from pwa.models import (
    Education,
    EntryMode,
    ExitReason,
    Gender,
    ItemType,
    LeadershipLevel,
    LeadershipPosition,
    Occupancy,
    UnitRank,
    Verdict,
)
from pwa.models.item import Item


@dataclass
class _Cast:
    session: Session
    keys: effects.Keys
    policy: WorkflowPolicy
    now: datetime

    def who(self, username: str) -> service.Participant | None:
        account = self.session.scalar(select(Account).where(Account.username == username))
        if account is None:
            return None
        return service.Participant(account.id, account.role_set, scope_for(self.session, account))

    def ctx(self, at: datetime | None = None) -> service.Context:
        moment = at or self.now
        today = moment.astimezone(OFFICE_TIMEZONE).date()
        return service.Context(service.Clock(moment, today), self.keys, self.policy)


def seed_demo_items(
    session: Session,
    cipher: FieldCipher,
    blind_index: BlindIndex,
    now: datetime,
    policy: WorkflowPolicy | None = None,
) -> int:
    """Items for the demo clerk's unit in every state; returns how many were made."""
    cast = _Cast(session, effects.Keys(cipher, blind_index), policy or WorkflowPolicy(), now)
    names = ("clerk", "staff", "leader", "director", "zzb", "czj", "rsj")
    people = {name: cast.who(name) for name in names}
    if any(v is None for v in people.values()):
        return 0  # the demo city lacks the accounts (e.g. a tiny test city)
    clerk = people["clerk"]
    assert clerk is not None and clerk.scope.unit_id is not None
    unit_id = clerk.scope.unit_id
    story = _Story(cast, people, unit_id)  # type: ignore[arg-type]
    story.tell()
    return story.made


class _Story:
    def __init__(self, cast: _Cast, people: dict[str, service.Participant], unit_id: int) -> None:
        self.cast, self.people, self.unit_id, self.made = cast, people, unit_id, 0
        self.s = cast.session

    # -- steps ----------------------------------------------------------------------------

    def _ctx(self, days_ago: int = 0) -> service.Context:
        return self.cast.ctx(self.cast.now - timedelta(days=days_ago))

    def declare(
        self,
        payload: p.Payload,
        kind: ItemType,
        *,
        days_ago: int,
        submit: bool = True,
        sealed: dict[str, str] | None = None,
        committee: bool = False,
    ) -> Item:
        draft = service.Draft(kind, self.unit_id, payload, sealed or {}, committee)
        item = service.create(
            self.s,
            self.people["clerk"],
            draft,
            idempotency_key=f"demo-{self.made}",
            submit=submit,
            ctx=self._ctx(days_ago),
        )
        self.made += 1
        return item

    def intake(self, item: Item, days_ago: int, comment: str = "材料齐全，符合受理条件") -> None:
        staff, ctx = self.people["staff"], self._ctx(days_ago)
        service.accept(self.s, staff, item.id, expected_version=item.version, ctx=ctx)
        service.begin_review(self.s, staff, item.id, expected_version=item.version, ctx=ctx)
        service.forward(
            self.s, staff, item.id, comment=comment, expected_version=item.version, ctx=ctx
        )

    def opinion(
        self, item: Item, who: str, days_ago: int, agree: bool = True, comment: str = ""
    ) -> None:
        service.give_opinion(
            self.s,
            self.people[who],
            item.id,
            agree=agree,
            comment=comment or ("同意" if agree else ""),
            expected_version=item.version,
            ctx=self._ctx(days_ago),
        )

    def decide(
        self,
        item: Item,
        who: str,
        days_ago: int,
        verdict: Verdict = Verdict.APPROVE,
        comment: str = "同意",
    ) -> None:
        service.decide(
            self.s,
            self.people[who],
            item.id,
            verdict=verdict,
            comment=comment,
            version_hash_seen=service.version_hash(item),
            signed_with="demo-seed",
            ctx=self._ctx(days_ago),
        )

    def through_joint_review(self, item: Item, days_ago: int) -> None:
        self.intake(item, days_ago)
        for task in service.open_tasks(item):
            who = {"joint_org": "zzb", "joint_finance": "czj", "joint_hr": "rsj"}[task.stage.value]
            if item.state.value == "joint_review":
                self.opinion(item, who, days_ago)

    # -- what the office's files look like -------------------------------------------------

    def _best_position(self) -> quota.QuotaPosition | None:
        positions = quota.unit_positions(self.s, self.unit_id, self._ctx().clock.today)
        with_room = [pos for pos in positions if pos.free > 0]
        return max(with_room, key=lambda pos: pos.free, default=None)

    def _quota_use(self, count: int, reason: str) -> p.QuotaUse | None:
        pos = self._best_position()
        if pos is None:
            return None
        civil_service = pos.kind in CIVIL_SERVICE_KINDS
        return p.QuotaUse(
            pos.kind,
            pos.funding,
            min(count, pos.free),
            EntryMode.CIVIL_SERVICE_EXAM if civil_service else EntryMode.OPEN_RECRUITMENT,
            "一级科员" if civil_service else "专业技术岗",
            reason,
        )

    def tell(self) -> None:
        # In the order the 文号 were issued.
        self._grow()
        self._expired()
        self._approved_and_used()
        self._awaiting_decision()
        self._joint_review()
        self._early_states()
        self._exits_for_batch()
        self._structural()

    def _grow(self) -> None:
        """编制调整 through 分管领导, 主任 and the 编委: the room the later requests use."""
        positions = quota.unit_positions(self.s, self.unit_id, self._ctx().clock.today)
        if not positions:
            return
        pos = max(positions, key=lambda position: position.approved)
        item = self.declare(
            p.QuotaAdjust(pos.kind, pos.funding, 10, "承接职能划入，申请增加编制"),
            ItemType.QUOTA_ADJUST,
            days_ago=300,
        )
        self.through_joint_review(item, 298)
        self.decide(item, "leader", 296)
        self.decide(item, "director", 295)
        self.decide(item, "director", 290, comment="经编委会议研究同意")
        service.complete(
            self.s,
            self.people["staff"],
            item.id,
            comment="已印发通知",
            expected_version=item.version,
            ctx=self._ctx(288),
        )

    def _approved_and_used(self) -> None:
        payload = self._quota_use(2, "业务量增加，人员缺口较大，申请补充人员")
        if payload is None:
            return
        item = self.declare(payload, ItemType.QUOTA_USE, days_ago=40)
        self.through_joint_review(item, 38)
        self.decide(item, "leader", 35, comment="同意，按程序组织招录")
        self._revoked()
        entry = p.StaffEntry(
            item.reservation_id or 0,
            "林晓雨",
            Gender.FEMALE,
            date(1999, 3, 14),
            "",
            Education.POSTGRADUATE,
            payload.post,
            payload.entry_mode,
            "拟录用人员，已公示期满",
        )
        number = idnumber.make("130702", entry.birth_date, 417)
        entry = p.StaffEntry(**{**entry.__dict__, "id_number_masked": idnumber.mask(number)})
        used = self.declare(entry, ItemType.STAFF_ENTRY, days_ago=20, sealed={"id_number": number})
        self.through_joint_review(used, 18)
        self.decide(used, "leader", 16)
        # A second 用编 approved and waiting for its people.
        waiting = self._quota_use(1, "退休减员后补充人员")
        if waiting is not None:
            item = self.declare(waiting, ItemType.QUOTA_USE, days_ago=12)
            self.through_joint_review(item, 10)
            self.decide(item, "leader", 8)

    def _expired(self) -> None:
        payload = self._quota_use(1, "申请引进急需紧缺人才")
        if payload is None:
            return
        item = self.declare(payload, ItemType.QUOTA_USE, days_ago=260)
        self.through_joint_review(item, 255)
        self.decide(item, "leader", 250)
        service.expire_reservations(self.s, self._ctx())

    def _revoked(self) -> None:
        payload = self._quota_use(1, "拟接收军转干部")
        if payload is None:
            return
        item = self.declare(payload, ItemType.QUOTA_USE, days_ago=30)
        self.through_joint_review(item, 29)
        self.decide(item, "leader", 28)
        service.revoke(
            self.s,
            self.people["director"],
            item.id,
            comment="安置计划取消，收回预占编制",
            version_hash_seen=service.version_hash(item),
            ctx=self._ctx(5),
        )

    def _awaiting_decision(self) -> None:
        payload = self._quota_use(1, "新增职能划入，申请补充人员")
        if payload is not None:
            item = self.declare(payload, ItemType.QUOTA_USE, days_ago=6)
            self.through_joint_review(item, 4)
        rejected = self._quota_use(1, "申请增加行政辅助人员")
        if rejected is not None:
            item = self.declare(rejected, ItemType.QUOTA_USE, days_ago=15)
            self.through_joint_review(item, 14)
            self.decide(item, "leader", 13, Verdict.REJECT, "岗位设置依据不足，不予批准")

    def _joint_review(self) -> None:
        payload = self._quota_use(1, "申请补充财务人员")
        if payload is None:
            return
        item = self.declare(payload, ItemType.QUOTA_USE, days_ago=3)
        self.intake(item, 2)
        if item.state.value == "joint_review":
            self.opinion(item, "czj", 1, comment="经费有保障，同意")

    def _early_states(self) -> None:
        too_many = self._best_position()
        if too_many is not None:  # more than is vacant: a flagged draft
            self.declare(
                p.QuotaUse(
                    too_many.kind,
                    too_many.funding,
                    too_many.free + 5,
                    EntryMode.OPEN_RECRUITMENT,
                    "专业技术岗",
                    "扩大招生规模",
                ),
                ItemType.QUOTA_USE,
                days_ago=1,
                submit=False,
            )
        submitted = self._quota_use(1, "申请补充信息化管理人员")
        if submitted is not None:
            self.declare(submitted, ItemType.QUOTA_USE, days_ago=1)
        accepted = self._quota_use(1, "申请补充政策法规岗位人员")
        if accepted is not None:
            item = self.declare(accepted, ItemType.QUOTA_USE, days_ago=2)
            service.accept(
                self.s,
                self.people["staff"],
                item.id,
                expected_version=item.version,
                ctx=self._ctx(1),
            )
        leadership = self.declare(
            p.LeadershipPosts(
                LeadershipLevel.SECTION,
                LeadershipPosition.DEPUTY,
                "副局长",
                4,
                "职能增加，申请增加副职职数",
            ),
            ItemType.LEADERSHIP_POSTS,
            days_ago=9,
        )
        service.accept(
            self.s,
            self.people["staff"],
            leadership.id,
            expected_version=leadership.version,
            ctx=self._ctx(8),
        )
        service.return_for_correction(
            self.s,
            self.people["staff"],
            leadership.id,
            comment="请补充职能调整的依据文件",
            expected_version=leadership.version,
            ctx=self._ctx(7),
        )
        adjust = self.declare(
            p.UnitAdjust("", "", UnitRank.DIVISION_FULL, "", "拟调整机构规格"),
            ItemType.UNIT_ADJUST,
            days_ago=11,
        )
        service.withdraw(
            self.s,
            self.people["clerk"],
            adjust.id,
            comment="暂缓申请",
            expected_version=adjust.version,
            ctx=self._ctx(10),
        )

    def _exits_for_batch(self) -> None:
        occupancies = self.s.execute(
            select(Occupancy.id, Occupancy.person_id)
            .where(Occupancy.unit_id == self.unit_id, Occupancy.exit_date.is_(None))
            .order_by(Occupancy.entry_date, Occupancy.id)
            .limit(2)
        ).all()
        for n, (occupancy_id, person_id) in enumerate(occupancies):
            item = self.declare(
                p.StaffExit(occupancy_id, person_id, ExitReason.RETIREMENT, "达到法定退休年龄"),
                ItemType.STAFF_EXIT,
                days_ago=5 - n,
            )
            self.intake(item, 4 - n)

    def _structural(self) -> None:
        pos = self._best_position()
        if pos is None:
            return
        item = self.declare(
            p.QuotaAdjust(pos.kind, pos.funding, 3, "承担新增职能，申请增加编制"),
            ItemType.QUOTA_ADJUST,
            days_ago=21,
        )
        self.through_joint_review(item, 20)
        self.decide(item, "leader", 18)
        self.decide(item, "director", 17, comment="同意，提交编委会议审议")
        under_review = self.declare(
            p.QuotaAdjust(pos.kind, pos.funding, -1, "职能划出，核减编制"),
            ItemType.QUOTA_ADJUST,
            days_ago=2,
        )
        service.accept(
            self.s,
            self.people["staff"],
            under_review.id,
            expected_version=under_review.version,
            ctx=self._ctx(1),
        )
        service.begin_review(
            self.s,
            self.people["staff"],
            under_review.id,
            expected_version=under_review.version,
            ctx=self._ctx(1),
        )
