"""Synthetic people: names, checksum-valid ID numbers (stored only encrypted), careers.

This is the hot loop of province scale (a million people), so it draws from precomputed
cumulative weights and keeps attribute look-ups local.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

from pwa.domain import idnumber
from pwa.domain.crypto import BlindIndex, FieldCipher
from pwa.models.enums import (
    Education,
    EntryMode,
    ExitReason,
    Gender,
    OffQuotaCategory,
    PoliticalStatus,
    QuotaKind,
)

from . import catalog as C
from .codes import DocumentNumbers

ID_CONTEXT = "person.id_number"
CIVIL_STAFF = frozenset({"civil", "police", "judge", "prosecutor"})
_EDUCATIONS = (
    Education.POSTGRADUATE,
    Education.BACHELOR,
    Education.COLLEGE,
    Education.SECONDARY,
    Education.HIGH_SCHOOL_OR_BELOW,
)
_START_AGE = {Education.POSTGRADUATE: 25, Education.BACHELOR: 22}  # others start at 22 too
_CIVIL_SERVICE_KINDS = frozenset(
    {QuotaKind.ADMINISTRATIVE, QuotaKind.POLITICAL_LEGAL, QuotaKind.CIVIL_SERVICE_INSTITUTION}
)
_SCHOOL_POOL = {
    "medical": "medical",
    "public_health": "medical",
    "teaching": "teaching",
    "legal": "legal",
    "agri": "agri",
    "engineering": "engineering",
}


class Weighted:
    """A fixed weighted choice: cumulative weights computed once, one random() per draw."""

    __slots__ = ("values", "cumulative", "total")

    def __init__(self, pairs: Any) -> None:
        pairs = list(pairs)
        self.values = [v for v, _ in pairs]
        self.cumulative = list(accumulate(w for _, w in pairs))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> Any:
        return self.values[bisect(self.cumulative, rng.random() * self.total)]


@dataclass(slots=True)
class Staffing:
    """What the people factory needs to know about a unit."""

    unit_id: int
    established: date
    profile: str
    field: str
    staff: str
    school: str
    city_level: bool
    birth_codes: Weighted
    issuer: str  # 文号 prefix of the jurisdiction's 编办: 张 / 蔚 …
    civil: bool = field(init=False)

    def __post_init__(self) -> None:
        self.civil = self.staff in CIVIL_STAFF


@dataclass(slots=True)
class Hire:
    person: dict[str, Any]
    occupancy: dict[str, Any]
    age: int


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def ladder_grade(ladder: tuple[tuple[int, str], ...], age: int) -> str:
    grade = ladder[0][1]
    for minimum, name in ladder:
        if age >= minimum:
            grade = name
    return grade


class PeopleFactory:
    def __init__(
        self,
        rng: random.Random,
        as_of: date,
        cipher: FieldCipher,
        blind_index: BlindIndex,
        documents: DocumentNumbers,
    ) -> None:
        self.rng = rng
        self.as_of = as_of
        self.as_of_ordinal = as_of.toordinal()
        self.cipher = cipher
        self.blind_index = blind_index
        self.documents = documents
        self.next_person_id = 1
        self.next_occupancy_id = 1
        self._used: set[int] = set()  # region·birth·sequence keys: ID numbers must be unique
        self._surnames = Weighted(C.SURNAMES)
        self._ethnicities = Weighted(C.ETHNICITIES)
        self._ages = Weighted(C.AGE_BUCKETS)
        self._young_ages = Weighted(
            ((20, 25), 20) if b == (22, 25) else (b, w) for b, w in C.AGE_BUCKETS[:6]
        )
        self._education = {
            k: Weighted(zip(_EDUCATIONS, mix, strict=True)) for k, mix in C.EDUCATION_MIX.items()
        }
        self._mix = {
            k: Weighted((entry, entry[0]) for entry in mix) for k, mix in C.STAFF_MIX.items()
        }
        self._exit_reasons = Weighted((ExitReason(v), w) for v, w in C.EXIT_REASONS)

    # -- identity -------------------------------------------------------------------------

    def _identity(self, male: bool, birth: date, birth_codes: Weighted) -> dict[str, Any]:
        rng = self.rng
        given = rng.choice(C.GIVEN_MALE if male else C.GIVEN_FEMALE)
        if len(given) == 1 and rng.random() < 0.55:
            given += rng.choice(C.GIVEN_MALE_SECOND if male else C.GIVEN_FEMALE_SECOND)
        code = birth_codes.pick(rng)
        ordinal = birth.toordinal()
        while True:
            # GB 11643: the sequence's last digit is odd for men, even for women.
            sequence = rng.randrange(1, 500) * 2 - (1 if male else 0)
            key = (int(code) * 1_000_000 + ordinal) * 1000 + sequence
            if key not in self._used:
                break
        self._used.add(key)
        number = idnumber.make(code, birth, sequence)
        person_id = self.next_person_id
        self.next_person_id += 1
        return {
            "id": person_id,
            "name": self._surnames.pick(rng) + given,
            "gender": Gender.MALE if male else Gender.FEMALE,
            "ethnicity": self._ethnicities.pick(rng),
            "birth_date": birth,
            "id_number_ciphertext": self.cipher.encrypt(number, ID_CONTEXT),
            "id_number_masked": idnumber.mask(number),
            "id_number_index": self.blind_index.of(number),
        }

    def _birth(self, age: int) -> date:
        # Two days of slack keep a 22-year-old 22 whatever the leap years.
        days = int(age * 365.2425) + 2 + self.rng.randrange(362)
        return date.fromordinal(self.as_of_ordinal - days)

    def _schooling(self, person: dict[str, Any], unit: Staffing, age: int, mix: str) -> Education:
        rng = self.rng
        education = self._education[mix].pick(rng)
        if age >= 50 and education is Education.POSTGRADUATE and rng.random() < 0.6:
            education = Education.BACHELOR  # fewer postgraduates among the older cohorts
        pool_key = _SCHOOL_POOL.get(unit.field)
        if education is Education.POSTGRADUATE or education is Education.BACHELOR:
            roll = rng.random()
            if pool_key and roll < 0.5:
                school = rng.choice(C.SCHOOLS_BY_PROFILE[pool_key])
            elif roll < 0.88:
                school = rng.choice(C.SCHOOLS_HEBEI)
            else:
                school = rng.choice(C.SCHOOLS_TOP)
        elif education is Education.COLLEGE:
            pool = C.SCHOOLS_COLLEGE_BY_PROFILE.get(pool_key or "")
            school = rng.choice(pool if pool and rng.random() < 0.6 else C.SCHOOLS_COLLEGE)
        elif education is Education.SECONDARY:
            school = rng.choice(C.SCHOOLS_SECONDARY)
        else:
            school = ""
        person["education"] = education
        person["school"] = school
        person["specialty"] = rng.choice(C.SPECIALTIES[unit.field]) if school else ""
        return education

    def _politics(self, civil: bool, age: int, off_quota: bool = False) -> PoliticalStatus:
        roll = self.rng.random()
        if off_quota:
            shares = (0.05, 0.0, 0.35, 0.0) if age < 28 else (0.12, 0.0, 0.0, 0.0)
        elif civil:
            shares = (0.45, 0.05, 0.40, 0.0) if age < 28 else (0.82, 0.0, 0.0, 0.03)
        else:
            shares = (0.15, 0.05, 0.55, 0.0) if age < 28 else (0.42, 0.0, 0.0, 0.05)
        for status, share in zip(
            (
                PoliticalStatus.CPC_MEMBER,
                PoliticalStatus.CPC_PROBATIONARY,
                PoliticalStatus.CYL_MEMBER,
                PoliticalStatus.DEMOCRATIC_PARTY,
            ),
            shares,
            strict=True,
        ):
            if roll < share:
                return status
            roll -= share
        return PoliticalStatus.MASSES

    # -- staff on the establishment ------------------------------------------------------

    def hire(
        self,
        unit: Staffing,
        kind: Any,
        funding: Any,
        *,
        age: int | None = None,
        male: bool | None = None,
    ) -> Hire:
        rng = self.rng
        _share, ladder, post, male_share = self._mix[unit.staff].pick(rng)
        if male is None:
            male = rng.random() < male_share
        if age is None:
            low, high = self._ages.pick(rng)
            age = rng.randint(low, high)
            if not male and age > C.FEMALE_MAX_AGE:
                age = rng.randint(48, C.FEMALE_MAX_AGE)
        birth = self._birth(age)
        person = self._identity(male, birth, unit.birth_codes)
        education = self._schooling(person, unit, age, unit.profile)
        person["political_status"] = self._politics(unit.civil, age)
        person["post"] = post
        jitter = age + rng.randint(-3, 3)
        grade = ladder_grade(ladder, jitter)
        if ladder is C.CIVIL_SERVANT_LADDER and unit.city_level and jitter >= 50:
            grade = C.CIVIL_SERVANT_LADDER_CITY_TOP[1]
        if ladder is C.CIVIL_SERVANT_LADDER:
            person["post"] = "科员" if grade.endswith("级科员") else grade[2:]
        person["grade"] = grade.format(s=unit.school)
        entry, mode = self._entry(unit, birth, age, education, male)
        occupancy = {
            "id": self.next_occupancy_id,
            "person_id": person["id"],
            "unit_id": unit.unit_id,
            "kind": kind,
            "funding": funding,
            "entry_mode": mode,
            "entry_document_number": self.documents.issue(unit.issuer + "编实", entry.year),
            "entry_date": entry,
            "exit_reason": None,
            "exit_document_number": None,
            "exit_date": None,
        }
        self.next_occupancy_id += 1
        return Hire(person, occupancy, age)

    def _entry(
        self, unit: Staffing, birth: date, age: int, education: Education, male: bool
    ) -> tuple[date, EntryMode]:
        rng = self.rng
        adult = add_years(birth, 22)
        start = add_years(birth, _START_AGE.get(education, 22)) + timedelta(rng.randrange(700))
        roll = rng.random()
        if male and roll < 0.05 and age >= 32:
            mode, entry = EntryMode.MILITARY_RESETTLEMENT, add_years(birth, rng.randint(28, 38))
        elif roll < 0.14 and age >= 28:
            mode = EntryMode.TRANSFER_IN
            entry = start + timedelta(rng.randrange(max(1, self.as_of_ordinal - start.toordinal())))
        elif unit.civil:
            if age <= 35 and roll > 0.92:
                mode = EntryMode.SELECTED_GRADUATE
            else:
                mode = EntryMode.OTHER if roll > 0.985 else EntryMode.CIVIL_SERVICE_EXAM
            entry = start
        else:
            entry = start
            # Before the 2006 rules on open recruitment, graduates were assigned (分配).
            mode = (
                EntryMode.OTHER
                if entry.year < 2006 and roll < 0.7
                else (EntryMode.OTHER if roll > 0.96 else EntryMode.OPEN_RECRUITMENT)
            )
        if entry < unit.established:  # the unit is younger than the career: moved in (转隶)
            entry = unit.established + timedelta(rng.randrange(120))
            mode = EntryMode.TRANSFER_IN
        if entry > self.as_of:
            entry = self.as_of - timedelta(rng.randrange(30))
        return max(entry, adult), mode

    def leaver(self, unit: Staffing, kind: Any, funding: Any) -> Hire:
        """A closed occupancy: history that must never count as actual."""
        rng = self.rng
        reason = self._exit_reasons.pick(rng)
        years_ago = rng.randint(0, 5)
        exit_date = self.as_of - timedelta(days=years_ago * 365 + rng.randrange(360) + 1)
        if reason is ExitReason.RETIREMENT:
            male = rng.random() < 0.55
            age_at_exit = 60 if male else 55
            age = age_at_exit + years_ago
        else:
            male = None
            age = (
                rng.randint(30, 52) if reason is not ExitReason.RESIGNATION else rng.randint(26, 36)
            )
        hire = self.hire(unit, kind, funding, age=age, male=male)
        occupancy = hire.occupancy
        if reason is ExitReason.RETIREMENT:  # on reaching the retirement age
            exit_date = min(
                add_years(hire.person["birth_date"], age - years_ago),
                self.as_of - timedelta(days=1),
            )
        if exit_date <= unit.established:  # nobody leaves a unit before it exists
            exit_date = unit.established + timedelta(days=rng.randint(30, 300))
        entry = occupancy["entry_date"]
        if exit_date < entry:
            entry = exit_date - timedelta(days=rng.randint(400, 3000))
        entry = max(entry, add_years(hire.person["birth_date"], 22), unit.established)
        occupancy["entry_date"] = entry
        exit_date = max(exit_date, entry)
        occupancy["exit_reason"] = reason
        occupancy["exit_date"] = exit_date
        occupancy["exit_document_number"] = self.documents.issue(
            unit.issuer + "编实", exit_date.year
        )
        return hire

    def prior_post(
        self, hire: Hire, prior_unit: int, kind: Any, funding: Any, issuer: str
    ) -> dict[str, Any] | None:
        """A closed occupancy elsewhere for someone who transferred in: their history."""
        entry = hire.occupancy["entry_date"]
        adult = add_years(hire.person["birth_date"], 22)
        span = (entry - adult).days
        if span < 400:
            return None
        started = adult + timedelta(days=self.rng.randrange(span - 365))
        hire.occupancy["entry_mode"] = EntryMode.TRANSFER_IN
        first_mode = (
            EntryMode.CIVIL_SERVICE_EXAM
            if kind in _CIVIL_SERVICE_KINDS
            else EntryMode.OPEN_RECRUITMENT
        )
        occupancy = {
            "id": self.next_occupancy_id,
            "person_id": hire.person["id"],
            "unit_id": prior_unit,
            "kind": kind,
            "funding": funding,
            "entry_mode": first_mode,
            "entry_document_number": self.documents.issue(issuer + "编实", started.year),
            "entry_date": started,
            "exit_reason": ExitReason.TRANSFER_OUT,
            "exit_document_number": self.documents.issue(issuer + "编实", entry.year),
            "exit_date": entry,
        }
        self.next_occupancy_id += 1
        return occupancy

    # -- 编外人员 ---------------------------------------------------------------------------

    def off_quota(self, unit: Staffing, engagement_id: int) -> tuple[dict, dict]:
        rng = self.rng
        low, high = self._young_ages.pick(rng)
        age = rng.randint(low, high)
        post = rng.choice(C.OFF_QUOTA_POSTS.get(unit.profile, C.OFF_QUOTA_POSTS["general"]))
        male = rng.random() < (
            0.85
            if post in ("辅警", "驾驶员", "保安")
            else 0.25
            if post in ("护理员", "合同制护士", "护工", "保育员")
            else 0.5
        )
        person = self._identity(male, self._birth(age), unit.birth_codes)
        self._schooling(person, unit, age, "offquota")
        person["political_status"] = self._politics(False, age, off_quota=True)
        person["post"] = post
        person["grade"] = ""
        started = self.as_of - timedelta(days=rng.randint(30, 8 * 365))
        earliest = add_years(person["birth_date"], 18)
        started = max(started, earliest)
        ended = None
        if rng.random() < 0.08:
            ended = started + timedelta(days=rng.randrange(max(1, (self.as_of - started).days)))
        roll = rng.random()
        category = (
            OffQuotaCategory.LABOUR_DISPATCH
            if roll < 0.5
            else OffQuotaCategory.CONTRACT
            if roll < 0.85
            else OffQuotaCategory.TEMPORARY
        )
        engagement = {
            "id": engagement_id,
            "person_id": person["id"],
            "unit_id": unit.unit_id,
            "category": category,
            "started_on": started,
            "ended_on": ended,
        }
        return person, engagement
