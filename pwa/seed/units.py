"""One unit at a time: its row, names, 内设机构, ledger, people, leadership posts, reservations.

Doing the whole unit in one pass keeps every invariant local: the people hired are counted
against the ledger just written, reservations fit into what is left, and leaders are
picked from the unit's own staff.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pwa.domain import idnumber
from pwa.models.enums import (
    Funding,
    QuotaKind,
    UnitKind,
)

from . import catalog as C
from .codes import (
    REGISTRAR_INSTITUTION,
    REGISTRAR_MASS_ORGANIZATION,
    REGISTRAR_ORGAN,
    DocumentNumbers,
    make_credit_code,
)
from .leadership import LeadershipMixin
from .people import Hire, PeopleFactory, Staffing
from .plan import Jurisdiction, Shape
from .texts import department_duties, unit_functions

Add = Callable[[str, dict[str, Any]], None]
_ADMIN, _LEGAL, _INST = QuotaKind.ADMINISTRATIVE, QuotaKind.POLITICAL_LEGAL, QuotaKind.INSTITUTION
_OFF_QUOTA_RATE = {  # (share of units with 编外人员, their number as a share of approved)
    "legal": (0.9, 0.25),
    "medical": (0.7, 0.2),
    "teaching": (0.25, 0.05),
    "organ": (0.35, 0.1),
    "township": (0.5, 0.12),
    "general": (0.2, 0.08),
}


class UnitBuilder(LeadershipMixin):
    def __init__(
        self,
        rng: random.Random,
        as_of: date,
        add: Add,
        people: PeopleFactory,
        documents: DocumentNumbers,
        size_factor: float,
    ) -> None:
        self.rng = rng
        self.as_of = as_of
        self.add = add
        self.people = people
        self.documents = documents
        self.size_factor = size_factor
        self.next_id = {
            name: 1
            for name in (
                "unit",
                "unit_alias",
                "internal_department",
                "quota_ledger_entry",
                "quota_reservation",
                "leadership_quota",
                "leadership_appointment",
                "off_quota_engagement",
            )
        }
        self.sort_order = 0
        self.reservations_made = 0
        # Credits turn "about 4 % of units" into exactly that share, spread through the run,
        # so even the tiny scale has over-quota units, full units and reservations.
        self._credit = {"over": rng.random(), "full": rng.random(), "reserve": rng.random()}
        self._credit_codes: set[str] = set()
        self._stamp = datetime.combine(as_of, time(1, 30), tzinfo=UTC)

    def _due(self, what: str, share: float) -> bool:
        self._credit[what] += share
        if self._credit[what] >= 1:
            self._credit[what] -= 1
            return True
        return False

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def _day_in(self, first: date, last: date) -> date:
        span = (last - first).days
        return first + timedelta(days=self.rng.randrange(span + 1)) if span > 0 else first

    # -- the unit and what its 三定 fixes --------------------------------------------------

    def build(self, j: Jurisdiction, shape: Shape) -> int:
        rng = self.rng
        unit_id = self._id("unit")
        self.sort_order += 1
        short = shape.short_name
        while short in j.short_names:  # people search by short names: keep them distinct
            short += "（分）"
        j.short_names.add(short)
        latest = self.as_of - timedelta(days=400)
        established = self._day_in(
            date(shape.established[0], 1, 1), date(shape.established[1], 12, 28)
        )
        established = min(established, latest)
        self.add(
            "unit",
            {
                "id": unit_id,
                "credit_code": self._credit_code(shape.kind, j.code),
                "full_name": shape.full_name,
                "short_name": short,
                "kind": shape.kind,
                "nature": shape.nature,
                "rank": shape.rank,
                "funding": shape.funding,
                "region_id": j.region_id,
                "parent_id": shape.parent[0] if shape.parent else None,
                "functions": unit_functions(
                    shape.kind,
                    shape.nature,
                    shape.focus,
                    j.scope,
                    shape.parent[1] if shape.parent else None,
                    shape.school,
                    shape.street,
                ),
                "established_on": established,
                "abolished_on": None,
                "sort_order": self.sort_order,
                "version": 1,
                "updated_at": self._stamp - timedelta(minutes=rng.randrange(525_600)),
            },
        )
        for alias, is_nameplate in shape.aliases:
            self.add(
                "unit_alias",
                {
                    "id": self._id("unit_alias"),
                    "unit_id": unit_id,
                    "name": alias,
                    "is_nameplate": is_nameplate,
                },
            )
        accounts = self._ledger(unit_id, shape, j, established)
        departments = self._departments(unit_id, shape, sum(a[2] for a in accounts))
        staffing = Staffing(
            unit_id,
            established,
            shape.profile,
            shape.field,
            shape.staff,
            shape.school,
            j.city_level,
            j.birth_codes,
            j.issuer,
        )
        hires, leavers, over = self._staff(j, staffing, accounts)
        self._leadership(unit_id, shape, j, departments, hires, leavers, accounts)
        self._reserve(unit_id, j, accounts, over)
        self._off_quota(staffing, sum(a[2] for a in accounts))
        j.accounts.append((unit_id, accounts[0][0], accounts[0][1]))
        return unit_id

    def _credit_code(self, kind: UnitKind, region_code: str) -> str:
        registrar, lead = (
            (REGISTRAR_INSTITUTION, "4")
            if kind is UnitKind.PUBLIC_INSTITUTION
            else (REGISTRAR_MASS_ORGANIZATION, "5")
            if kind is UnitKind.MASS_ORGANIZATION
            else (REGISTRAR_ORGAN, "0")
        )
        while True:
            code = make_credit_code(
                registrar, region_code, f"{lead}{self.rng.randrange(10_000_000):07d}"
            )
            # An all-digit code can pass as an ID number and trip the leak scanners.
            if code not in self._credit_codes and not idnumber.is_valid(code):
                self._credit_codes.add(code)
                return code

    def _departments(self, unit_id: int, shape: Shape, approved: int) -> list[tuple[int, str]]:
        rng = self.rng
        low, high = shape.department_count
        high = max(low, min(high, approved // 5))  # small units have few 科室
        pool = list(shape.departments)
        wanted = min(rng.randint(low, high), len(pool))
        picked = sorted(rng.sample(range(len(pool)), wanted))
        names = list(shape.base_departments)
        names += [pool[i] for i in picked if pool[i] not in names]
        result = []
        for order, name in enumerate(names, start=1):
            department_id = self._id("internal_department")
            self.add(
                "internal_department",
                {
                    "id": department_id,
                    "unit_id": unit_id,
                    "name": name,
                    "functions": department_duties(name),
                    "sort_order": order,
                },
            )
            result.append((department_id, name))
        return result

    # -- 编制: ledger, people on it, reservations -----------------------------------------

    def _ledger(
        self, unit_id: int, shape: Shape, j: Jurisdiction, established: date
    ) -> list[list[Any]]:
        """Write the unit's ledger; returns [kind, funding, approved, actual, document]."""
        rng = self.rng
        main = max(1, round(rng.randint(*shape.size) * self.size_factor))
        plan: list[tuple[QuotaKind, Funding, int]] = []
        if shape.accounts == "hospital":  # 差额 for most posts, some 全额 (two funding forms)
            full = max(1, round(main * rng.uniform(0.15, 0.3)))
            plan = [(_INST, Funding.PARTIAL, max(1, main - full)), (_INST, Funding.FULL, full)]
        elif shape.accounts == "inst":
            plan = [(_INST, shape.funding, main)]
        elif shape.accounts == "csm":
            plan = [(QuotaKind.CIVIL_SERVICE_INSTITUTION, Funding.FULL, main)]
        elif shape.accounts == "legal":
            plan = [(_LEGAL, Funding.FULL, main)]
            if rng.random() < 0.6:
                plan.append((_ADMIN, Funding.FULL, max(1, round(main * rng.uniform(0.05, 0.15)))))
        else:
            plan = [(_ADMIN, Funding.FULL, main)]
        if shape.accounts in ("admin", "legal") and rng.random() < 0.45:
            plan.append((QuotaKind.LOGISTICS, Funding.FULL, rng.randint(1, 3)))

        if shape.kind is UnitKind.PUBLIC_INSTITUTION:
            initial = self._day_in(max(established, date(2011, 1, 1)), date(2021, 12, 28))
        else:  # organs got their present 三定 in the 2019 reform
            initial = self._day_in(date(2019, 1, 10), date(2019, 6 if j.city_level else 12, 28))
        initial = min(max(initial, established), self.as_of - timedelta(days=60))
        document = self.documents.issue(j.issuer + "编", initial.year)
        summary = (
            "三定规定核定" if shape.kind is not UnitKind.PUBLIC_INSTITUTION else "机构编制方案核定"
        )
        accounts = []
        for index, (kind, funding, amount) in enumerate(plan):
            self._entry(unit_id, kind, funding, amount, document, initial, summary)
            running = amount
            count = (
                rng.choices((0, 1, 2, 3), (50, 30, 15, 5))[0]
                if index == 0
                else int(rng.random() < 0.2)
            )
            days = sorted(
                self._day_in(initial + timedelta(days=30), self.as_of - timedelta(days=1))
                for _ in range(count)
            )
            for day in days:
                size = rng.randint(1, max(1, running // 8))
                if rng.random() < 0.55 or running - size < 1:
                    delta, text = size, rng.choice(C.LEDGER_ADJUSTMENTS_UP)
                else:
                    delta, text = -size, rng.choice(C.LEDGER_ADJUSTMENTS_DOWN)
                running += delta
                self._entry(
                    unit_id,
                    kind,
                    funding,
                    delta,
                    self.documents.issue(j.issuer + "编", day.year),
                    day,
                    text,
                )
            accounts.append([kind, funding, running, 0, document])
        return accounts

    def _entry(
        self,
        unit_id: int,
        kind: QuotaKind,
        funding: Funding,
        delta: int,
        document: str,
        day: date,
        summary: str,
    ) -> None:
        self.add(
            "quota_ledger_entry",
            {
                "id": self._id("quota_ledger_entry"),
                "unit_id": unit_id,
                "kind": kind,
                "funding": funding,
                "delta": delta,
                "document_number": document,
                "effective_on": day,
                "summary": summary,
                "recorded_at": datetime.combine(day, time(2, 0), tzinfo=UTC)
                + timedelta(minutes=self.rng.randrange(480)),
            },
        )

    def _staff(
        self, j: Jurisdiction, staffing: Staffing, accounts: list[list[Any]]
    ) -> tuple[list[Hire], list[Hire], bool]:
        """Fill each account to 75–100 %; a few units over quota, some exactly full."""
        rng, people, add = self.rng, self.people, self.add
        over = self._due("over", 0.04)
        full = not over and self._due("full", 0.10)
        hires: list[Hire] = []
        leavers: list[Hire] = []
        earlier = j.accounts
        for index, account in enumerate(accounts):
            kind, funding, approved = account[0], account[1], account[2]
            if over and index == 0:
                actual = approved + rng.randint(1, max(1, round(approved * 0.08)))
            elif full:
                actual = approved
            else:
                actual = min(approved, round(approved * rng.uniform(0.75, 1.0)))
            account[3] = actual
            for _ in range(actual):
                hire = people.hire(staffing, kind, funding)
                add("person", hire.person)
                add("occupancy", hire.occupancy)
                hires.append(hire)
                if earlier and rng.random() < 0.025:  # came from another unit nearby
                    prior_id, prior_kind, prior_funding = rng.choice(earlier)
                    prior = people.prior_post(hire, prior_id, prior_kind, prior_funding, j.issuer)
                    if prior:
                        add("occupancy", prior)
            for _ in range(int(actual * 0.04 + rng.random())):
                leaver = people.leaver(staffing, kind, funding)
                add("person", leaver.person)
                add("occupancy", leaver.occupancy)
                leavers.append(leaver)
        return hires, leavers, over

    def _reserve(
        self, unit_id: int, j: Jurisdiction, accounts: list[list[Any]], over: bool
    ) -> None:
        """预占 for ~5 % of units (6 % of those with room), never more than the room left."""
        rng = self.rng
        room = [a for a in accounts if a[2] - a[3] >= 1]
        if over or not room or not self._due("reserve", 0.06):
            return
        kind, funding, approved, actual, _document = rng.choice(room)
        granted = rng.randint(1, min(5, approved - actual))
        state = (
            ("live", "expired", "cancelled")[self.reservations_made]
            if self.reservations_made < 3
            else rng.choices(("live", "expired", "cancelled"), (75, 15, 10))[0]
        )
        self.reservations_made += 1
        cancelled = None
        if state == "live":
            granted_on = self.as_of - timedelta(days=rng.randint(0, 178))
            consumed = rng.randint(0, granted - 1)
        elif state == "expired":
            granted_on = self.as_of - timedelta(days=rng.randint(200, 360))
            consumed = rng.randint(0, granted)
        else:
            granted_on = self.as_of - timedelta(days=rng.randint(20, 150))
            cancelled = self._day_in(granted_on + timedelta(days=5), self.as_of)
            consumed = 0
        self.add(
            "quota_reservation",
            {
                "id": self._id("quota_reservation"),
                "unit_id": unit_id,
                "kind": kind,
                "funding": funding,
                "granted": granted,
                "consumed": consumed,
                "document_number": self.documents.issue(j.issuer + "编", granted_on.year),
                "granted_on": granted_on,
                "valid_until": add_months(granted_on, 6),
                "cancelled_on": cancelled,
            },
        )

    def _off_quota(self, staffing: Staffing, approved: int) -> None:
        share, ratio = _OFF_QUOTA_RATE.get(staffing.profile, _OFF_QUOTA_RATE["general"])
        if self.rng.random() >= share:
            return
        for _ in range(max(1, round(approved * ratio * self.rng.uniform(0.5, 1.5)))):
            person, engagement = self.people.off_quota(staffing, self._id("off_quota_engagement"))
            self.add("person", person)
            self.add("off_quota_engagement", engagement)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
