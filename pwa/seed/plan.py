"""The two plans a unit is built from: its jurisdiction and its shape (from a template)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pwa.models.enums import Funding, QuotaKind, UnitKind, UnitNature, UnitRank

from .people import Weighted


@dataclass(slots=True)
class Jurisdiction:
    region_id: int
    code: str
    name: str
    city_level: bool
    issuer: str  # 张 → 张编〔2019〕15号
    scope: str  # 市 / 县 / 区: "全市", "县委、县政府"
    places: dict[str, str]  # name placeholders {G} {g} {S} {P} {p}
    birth_codes: Weighted
    urban: bool = False
    district: bool = False
    unit_keys: dict[str, tuple[int, str]] = field(default_factory=dict)  # key → (id, short)
    accounts: list[tuple[int, QuotaKind, Funding]] = field(default_factory=list)
    short_names: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Shape:
    """Everything the builder needs about a unit, from an organ or township template."""

    full_name: str
    short_name: str
    kind: UnitKind
    nature: UnitNature
    funding: Funding
    rank: UnitRank
    accounts: str
    size: tuple[int, int]
    profile: str
    field: str
    staff: str
    school: str
    departments: tuple[str, ...]  # the pool some are drawn from
    department_count: tuple[int, int]  # how many to draw
    base_departments: tuple[str, ...]  # always present: 办公室 …
    leader: tuple[str, str] | None
    established: tuple[int, int]
    focus: str
    parent: tuple[int, str] | None = None
    aliases: tuple[tuple[str, bool], ...] = ()
    street: bool = False
