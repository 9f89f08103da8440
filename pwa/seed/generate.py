"""``generate_demo``: a deterministic synthetic 河北 establishment database.

Rows are built as plain dicts and written with Core ``executemany`` in chunks
(PITFALLS.md: ORM objects are 3–10× slower at this volume). Primary keys are assigned
here, so no row ever needs a round trip to learn its id. The caller owns the
transaction: nothing here commits.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from pwa.domain.crypto import BlindIndex, FieldCipher
from pwa.models import (
    InternalDepartment,
    LeadershipAppointment,
    LeadershipQuota,
    Occupancy,
    OffQuotaEngagement,
    Person,
    QuotaLedgerEntry,
    QuotaReservation,
    Region,
    Unit,
    UnitAlias,
)
from pwa.models.enums import RegionLevel

from . import catalog as C
from .codes import DocumentNumbers
from .people import PeopleFactory, Weighted
from .plan import Jurisdiction
from .shapes import place_root, template_shapes, township_institution_shapes, township_shape
from .units import UnitBuilder

SCALES = C.SCALES
CHUNK_ROWS = 10_000
# Parents before children, so a flush of every buffer in this order never breaks a key.
_TABLES = (
    Region,
    Unit,
    UnitAlias,
    InternalDepartment,
    QuotaLedgerEntry,
    QuotaReservation,
    LeadershipQuota,
    Person,
    Occupancy,
    LeadershipAppointment,
    OffQuotaEngagement,
)


@dataclass(frozen=True)
class SeedReport:
    regions: int
    units: int
    departments: int
    ledger_entries: int
    reservations: int
    leadership_quotas: int
    appointments: int
    persons: int
    occupancies: int
    off_quota: int
    seconds: float


class _Sink:
    """Buffers rows per table and writes them all, parents first, every CHUNK_ROWS rows."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.buffers: dict[str, list[dict[str, Any]]] = {t.__tablename__: [] for t in _TABLES}
        self.counts: dict[str, int] = dict.fromkeys(self.buffers, 0)
        self.pending = 0

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.buffers[table].append(row)
        self.pending += 1
        if self.pending >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        for model in _TABLES:
            rows = self.buffers[model.__tablename__]
            if rows:
                self.connection.execute(model.__table__.insert(), rows)
                self.counts[model.__tablename__] += len(rows)
                rows.clear()
        self.pending = 0


def generate_demo(
    connection: Connection,
    *,
    scale: str = "city",
    seed: int = 20240601,
    as_of: date,
    cipher: FieldCipher,
    blind_index: BlindIndex,
    progress: Callable[[str], None] | None = None,
) -> SeedReport:
    """Fill an empty database with a synthetic province, city or tiny demo; does not commit."""
    if scale not in SCALES:
        raise ValueError(f"未知规模 {scale!r}：可选 {', '.join(SCALES)}")
    spec = SCALES[scale]
    started = time.perf_counter()
    say = progress or (lambda _line: None)
    rng = random.Random(seed)
    sink = _Sink(connection)
    documents = DocumentNumbers()
    people = PeopleFactory(rng, as_of, cipher, blind_index, documents)
    builder = UnitBuilder(rng, as_of, sink.add, people, documents, spec.size_factor)

    cities = _regions(rng, spec, sink)
    say(f"生成行政区划 {sum(1 + len(c) for _, c in cities) + 1:,} 个")
    for city, counties in cities:
        first_unit, first_person = builder.next_id["unit"], people.next_person_id
        for j in (city, *counties):
            for key, shape in template_shapes(rng, j, spec.max_tier):
                unit_id = builder.build(j, shape)
                j.unit_keys.setdefault(key, (unit_id, shape.short_name))
            if not j.city_level:
                _townships(rng, spec, builder, j)
        say(
            f"{city.name}：单位 {builder.next_id['unit'] - first_unit:,} 个，"
            f"人员 {people.next_person_id - first_person:,} 名"
        )
    sink.flush()
    if connection.dialect.name == "postgresql":
        # Keys were assigned here; move each sequence past them for later inserts.
        for model in _TABLES:
            name = model.__tablename__
            connection.execute(
                text(  # table names are our own constants, never input
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {name}))"
                )
            )
    from pwa.domain.search_index import rebuild_search_index

    say(f"检索索引：{rebuild_search_index(connection):,} 个名称")
    counts = sink.counts
    seconds = time.perf_counter() - started
    say(
        f"写入完成：单位 {counts['unit']:,} 个，人员 {counts['person']:,} 名，用时 {seconds:.1f} 秒"
    )
    return SeedReport(
        regions=counts["region"],
        units=counts["unit"],
        departments=counts["internal_department"],
        ledger_entries=counts["quota_ledger_entry"],
        reservations=counts["quota_reservation"],
        leadership_quotas=counts["leadership_quota"],
        appointments=counts["leadership_appointment"],
        persons=counts["person"],
        occupancies=counts["occupancy"],
        off_quota=counts["off_quota_engagement"],
        seconds=seconds,
    )


def _townships(
    rng: random.Random, spec: C.ScaleSpec, builder: UnitBuilder, j: Jurisdiction
) -> None:
    used: set[str] = set()
    for index in range(rng.randint(*spec.townships)):
        if j.urban or (j.district and index < 2):
            kind = "街道"
        else:  # the county seat is a 镇; elsewhere 镇 outnumber 乡
            kind = "镇" if index == 0 or rng.random() < 0.6 else "乡"
        shape = township_shape(rng, j, place_root(rng, used), kind)
        township_id = builder.build(j, shape)
        villages = rng.randint(*spec.village_schools)
        for institution in township_institution_shapes(
            rng, j, (township_id, shape.short_name), kind == "街道", spec.max_tier, villages
        ):
            builder.build(j, institution)


def _regions(
    rng: random.Random, spec: C.ScaleSpec, sink: _Sink
) -> list[tuple[Jurisdiction, list[Jurisdiction]]]:
    """The region rows, and a jurisdiction for every city and county that gets units."""
    next_id = iter(range(1, 1_000_000))
    province_id = next(next_id)
    code, name, short = C.PROVINCE
    sink.add(
        "region",
        {
            "id": province_id,
            "code": code,
            "name": name,
            "short_name": short,
            "level": RegionLevel.PROVINCE,
            "parent_id": None,
        },
    )
    cities = [C.ZHANGJIAKOU, *(C.OTHER_CITIES if spec.other_cities else ())]
    issuers = {city_short[0] for _, _, city_short in (C.ZHANGJIAKOU, *C.OTHER_CITIES)}
    names = _county_names(rng)
    result = []
    for city_code, city_name, city_short in cities:
        city_id = next(next_id)
        sink.add(
            "region",
            {
                "id": city_id,
                "code": city_code,
                "name": city_name,
                "short_name": city_short,
                "level": RegionLevel.CITY,
                "parent_id": province_id,
            },
        )
        if city_code == C.ZHANGJIAKOU[0]:
            every = [(c, n, urban) for c, n, urban in C.ZJK_COUNTIES]
            wanted = [c for c in every if spec.zjk_counties is None or c[0] in spec.zjk_counties]
            former = C.ZJK_FORMER_CODES
        else:
            count = rng.randint(*spec.counties_per_city)
            every = [
                (f"{city_code[:4]}{i:02d}", next(names) + ("区" if i <= 3 else "县"), i <= 2)
                for i in range(1, count + 1)
            ]
            wanted, former = every, ()
        # Residents of the city were born all over it: districts weigh more.
        city_births = Weighted(
            [(c, 3 if n.endswith("区") else 1) for c, n, _ in every] + [(c, 0.5) for c in former]
        )
        city = Jurisdiction(
            region_id=city_id,
            code=city_code,
            name=city_name,
            city_level=True,
            issuer=city_short[0],
            scope="市",
            birth_codes=city_births,
            places={
                "G": city_name,
                "g": "市",
                "S": city_short,
                "P": f"中共{city_name}委",
                "p": "市委",
            },
        )
        counties = []
        for county_code, county_name, urban in wanted:
            region_id = next(next_id)
            sink.add(
                "region",
                {
                    "id": region_id,
                    "code": county_code,
                    "name": county_name,
                    "short_name": county_name,
                    "level": RegionLevel.COUNTY,
                    "parent_id": city_id,
                },
            )
            others = [c for c, _, _ in every if c != county_code]
            births = Weighted(
                [(county_code, 85.0)]
                + [(c, 15.0 / len(others)) for c in others]
                + [(c, 0.5) for c in former]
            )
            counties.append(
                Jurisdiction(
                    region_id=region_id,
                    code=county_code,
                    name=county_name,
                    city_level=False,
                    issuer=_issuer(county_name, issuers),
                    scope=county_name[-1],
                    birth_codes=births,
                    urban=urban,
                    district=county_name.endswith("区"),
                    places={
                        "G": county_name,
                        "g": county_name,
                        "S": county_name,
                        "P": f"中共{county_name}委",
                        "p": f"{county_name}委",
                    },
                )
            )
        result.append((city, counties))
    return result


def _issuer(county_name: str, used: set[str]) -> str:
    """The 文号 prefix (蔚, 张北 …): as short as it can be while staying unique."""
    stem = county_name[:-1]
    for candidate in (stem[:1], stem[:2], stem, county_name):
        if candidate and candidate not in used:
            used.add(candidate)
            return candidate
    raise ValueError(f"no free 文号 prefix for {county_name}")


def _county_names(rng: random.Random):  # noqa: ANN202 - a plain generator of strings
    """Synthetic county names: Faker's districts first, then generated place names."""
    used = {name[:-1] for _, name, _ in C.ZJK_COUNTIES}
    used |= {short for _, _, short in C.OTHER_CITIES} | {C.ZHANGJIAKOU[2]}
    pool = list(C.FAKER_DISTRICTS)
    rng.shuffle(pool)
    for name in pool:
        if name not in used and len(name) == 2:
            used.add(name)
            yield name
    while True:
        yield place_root(rng, used)
