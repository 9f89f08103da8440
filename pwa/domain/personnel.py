"""实名制人员 as lookups may show them: masked by default, one page at a time, within scope.

Which fields a viewer may see is decided by the caller's remit (``Remit``); forbidden fields
are never loaded into the rows handed to templates, so they cannot leak into HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from auth.scope import Scope
from pwa.domain import idnumber
from pwa.domain.crypto import BlindIndex, FieldCipher
from pwa.models import (
    Education,
    Funding,
    Gender,
    LeadershipAppointment,
    LeadershipQuota,
    Occupancy,
    Person,
    QuotaKind,
    Unit,
)

PAGE_SIZE = 25  # ≤ 50 a page by policy; there is no "show all"
ID_CONTEXT = "person.id_number"


class InvalidIdNumber(ValueError):
    """Not an 18-character ID number with a valid date and check digit."""


@dataclass(frozen=True)
class Remit:
    """What a viewer's role lets them see of people (SECURITY.md, field-level remits)."""

    everyone: bool  # the whole establishment of a unit (编办) or only its leaders (组织部)
    id_numbers: bool  # masked ID numbers at all (never for 组织部)


@dataclass(frozen=True)
class PersonRow:
    person_id: int
    name: str
    gender: Gender
    age_band: int  # 20 for 20–29 …
    education: Education
    post: str
    grade: str
    kind: QuotaKind
    funding: Funding
    id_masked: str | None  # None when the remit excludes ID numbers
    leader: bool


@dataclass(frozen=True)
class PersonnelPage:
    rows: list[PersonRow]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class PersonDetail:
    person: Person
    unit: Unit
    occupancy: Occupancy
    appointments: list[tuple[str, date]]  # (title, since)
    age_band: int
    id_masked: str | None


def age_band(birth: date, today: date) -> int:
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return max(age // 10 * 10, 10)


def _leaders_of(unit_id: int):
    return (
        select(LeadershipAppointment.person_id)
        .join(LeadershipQuota, LeadershipQuota.id == LeadershipAppointment.quota_id)
        .where(LeadershipQuota.unit_id == unit_id, LeadershipAppointment.ended_on.is_(None))
    )


def list_personnel(
    session: Session, unit_id: int, remit: Remit, today: date, page: int = 1
) -> PersonnelPage:
    """One page of the people on a unit's establishment (open occupancies), masked."""
    leaders = _leaders_of(unit_id)
    condition = [Occupancy.unit_id == unit_id, Occupancy.exit_date.is_(None)]
    if not remit.everyone:
        condition.append(Occupancy.person_id.in_(leaders))
    total = session.scalar(select(func.count()).select_from(Occupancy).where(*condition)) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    rows = session.execute(
        select(
            Person.id,
            Person.name,
            Person.gender,
            Person.birth_date,
            Person.education,
            Person.post,
            Person.grade,
            Person.id_number_masked,
            Occupancy.kind,
            Occupancy.funding,
            Occupancy.person_id.in_(leaders).label("leader"),
        )
        .join(Occupancy, Occupancy.person_id == Person.id)
        .where(*condition)
        .order_by(Occupancy.person_id.in_(leaders).desc(), Occupancy.entry_date, Person.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return PersonnelPage(
        rows=[
            PersonRow(
                r.id,
                r.name,
                r.gender,
                age_band(r.birth_date, today),
                r.education,
                r.post,
                r.grade,
                r.kind,
                r.funding,
                r.id_number_masked if remit.id_numbers else None,
                bool(r.leader),
            )
            for r in rows
        ],
        total=total,
        page=page,
        pages=pages,
    )


def _open_occupancy_in_scope(
    session: Session, person_id: int, scope: Scope
) -> tuple[Occupancy, Unit] | None:
    row = session.execute(
        select(Occupancy, Unit)
        .join(Unit, Unit.id == Occupancy.unit_id)
        .where(Occupancy.person_id == person_id, Occupancy.exit_date.is_(None), scope.unit_clause())
        .order_by(Occupancy.entry_date.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def person_detail(
    session: Session, person_id: int, scope: Scope, remit: Remit, today: date
) -> PersonDetail | None:
    """A person on the establishment of a unit in scope, or None (404): never anyone else."""
    found = _open_occupancy_in_scope(session, person_id, scope)
    if found is None:
        return None
    occupancy, unit = found
    person = session.get(Person, person_id)
    if not remit.everyone and not session.scalar(
        select(exists(_leaders_of(unit.id).where(LeadershipAppointment.person_id == person_id)))
    ):
        return None
    appointments = session.execute(
        select(LeadershipQuota.title, LeadershipAppointment.appointed_on)
        .join(LeadershipQuota, LeadershipQuota.id == LeadershipAppointment.quota_id)
        .where(
            LeadershipAppointment.person_id == person_id, LeadershipAppointment.ended_on.is_(None)
        )
    ).all()
    return PersonDetail(
        person,
        unit,
        occupancy,
        [(t, d) for t, d in appointments],
        age_band(person.birth_date, today),
        person.id_number_masked if remit.id_numbers else None,
    )


def reveal_id_number(person: Person, cipher: FieldCipher) -> str:
    """The full number, for a step-up-verified, audited unmasking only."""
    return cipher.decrypt(person.id_number_ciphertext, ID_CONTEXT)


def find_by_id_number(session: Session, raw: str, index: BlindIndex, scope: Scope) -> int | None:
    """Exact look-up through the keyed index (nothing is decrypted); None if not in scope."""
    number = idnumber.normalize(raw or "")[:32]
    if not idnumber.is_valid(number):
        raise InvalidIdNumber(number)
    person_id = session.scalar(select(Person.id).where(Person.id_number_index == index.of(number)))
    if person_id is None or _open_occupancy_in_scope(session, person_id, scope) is None:
        return None
    return person_id
