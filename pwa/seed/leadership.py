"""领导职数 for one unit and its 内设机构, filled from the unit's own staff."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from pwa.models.enums import ExitReason, LeadershipLevel, LeadershipPosition, UnitKind, UnitRank

from . import catalog as C
from .codes import DocumentNumbers
from .people import CIVIL_STAFF, Hire
from .plan import Jurisdiction, Shape
from .texts import department_titles, principal_titles


class LeadershipMixin:
    """Part of UnitBuilder: posts approved in the 三定 and the people appointed to them."""

    rng: random.Random
    as_of: date
    add: Callable[[str, dict[str, Any]], None]
    documents: DocumentNumbers
    _id: Callable[[str], int]
    _day_in: Callable[[date, date], date]

    def _leadership(
        self,
        unit_id: int,
        shape: Shape,
        j: Jurisdiction,
        departments: list[tuple[int, str]],
        hires: list[Hire],
        leavers: list[Hire],
        accounts: list[list[Any]],
    ) -> None:
        rng = self.rng
        level = _LEVEL_OF_RANK.get(shape.rank, LeadershipLevel.SECTION)
        principal, deputy = principal_titles(shape.full_name, shape.leader)
        total = sum(a[2] for a in accounts)
        if shape.kind is UnitKind.TOWNSHIP:
            heads, deputies = 2, rng.randint(3, 6)  # 党委书记 and 乡镇长 are both 正职
        elif shape.kind is UnitKind.PUBLIC_INSTITUTION:
            heads = 1
            deputies = 1 if total < 15 else rng.randint(1, 2) if total < 40 else rng.randint(2, 4)
        else:
            heads, deputies = 1, rng.randint(3, 4) if j.city_level else rng.randint(2, 4)
        posts = [
            (None, "", level, _PRINCIPAL, principal, heads),
            (None, "", level, _DEPUTY, deputy, deputies),
        ]
        medical_or_school = shape.profile in ("medical", "teaching")
        for department_id, name in departments:
            head, second = department_titles(name, medical_or_school)
            posts.append((department_id, name, LeadershipLevel.SECTION, _PRINCIPAL, head, 1))
            if total >= 30 and rng.random() < 0.3:
                posts.append((department_id, name, LeadershipLevel.SECTION, _DEPUTY, second, 1))

        document = accounts[0][4]  # the same 三定 document fixes staffing and posts
        candidates = sorted(hires, key=lambda h: h.age + rng.uniform(-6, 6), reverse=True)
        next_candidate = 0
        civil = shape.staff in CIVIL_STAFF
        for department_id, department, post_level, position, title, approved in posts:
            quota_id = self._id("leadership_quota")
            self.add(
                "leadership_quota",
                {
                    "id": quota_id,
                    "unit_id": unit_id,
                    "department_id": department_id,
                    "level": post_level,
                    "position": position,
                    "title": title,
                    "approved": approved,
                    "document_number": document,
                },
            )
            if department_id is None and position is _PRINCIPAL:
                self._past_leader(quota_id, j, leavers)
            for _ in range(approved):
                if next_candidate >= len(candidates):
                    break
                if rng.random() < 0.06:
                    continue  # a vacant post
                hire = candidates[next_candidate]
                next_candidate += 1
                self._appoint(quota_id, j, hire)
                person = hire.person
                person["post"] = (department + title)[:32]
                if civil and (department_id is None or j.city_level):
                    person["grade"] = C.LEVEL_GRADE[(post_level.value, position.value)]

    def _appoint(
        self, quota_id: int, j: Jurisdiction, hire: Hire, ended_on: date | None = None
    ) -> None:
        last = ended_on or self.as_of - timedelta(days=7)
        first = max(hire.occupancy["entry_date"], last - timedelta(days=8 * 365))
        appointed = self._day_in(first, last) if first < last else first
        self.add(
            "leadership_appointment",
            {
                "id": self._id("leadership_appointment"),
                "quota_id": quota_id,
                "person_id": hire.person["id"],
                "appointed_on": appointed,
                "document_number": self.documents.issue(j.issuer + "任", appointed.year),
                "ended_on": ended_on,
            },
        )

    def _past_leader(self, quota_id: int, j: Jurisdiction, leavers: list[Hire]) -> None:
        """History: a retired head's appointment, ended on the day they retired."""
        for leaver in leavers:
            if leaver.occupancy["exit_reason"] is ExitReason.RETIREMENT:
                if self.rng.random() < 0.5:
                    self._appoint(quota_id, j, leaver, ended_on=leaver.occupancy["exit_date"])
                return


_PRINCIPAL, _DEPUTY = LeadershipPosition.PRINCIPAL, LeadershipPosition.DEPUTY
_LEVEL_OF_RANK = {
    UnitRank.BUREAU_FULL: LeadershipLevel.BUREAU,
    UnitRank.BUREAU_DEPUTY: LeadershipLevel.BUREAU,
    UnitRank.DIVISION_FULL: LeadershipLevel.DIVISION,
    UnitRank.DIVISION_DEPUTY: LeadershipLevel.DIVISION,
}
