"""Turning templates into concrete units of one jurisdiction: names, rank, 内设机构, parents."""

from __future__ import annotations

import random
from collections.abc import Iterator

from pwa.models.enums import Funding, UnitKind, UnitNature, UnitRank

from . import catalog as C
from .catalog_institutions import (
    INSTITUTION_TEMPLATES,
    STREET_DEPARTMENTS,
    TOWNSHIP_DEPARTMENTS,
    TOWNSHIP_TEMPLATES,
    VILLAGE_SCHOOL,
    TownshipTemplate,
)
from .catalog_units import ORGAN_TEMPLATES, UnitTemplate
from .plan import Jurisdiction, Shape

TEMPLATES: tuple[UnitTemplate, ...] = ORGAN_TEMPLATES + INSTITUTION_TEMPLATES
_SURNAME_CHARS = tuple(name for name, _ in C.SURNAMES[:40] if len(name) == 1)


def _county_department(name: str) -> str:
    """County organs are one level down: 支队 → 大队, 科 → 股, 处 → 科."""
    if name.endswith("支队"):
        return name[:-2] + "大队"
    if name.endswith("科"):
        return name[:-1] + "股"
    if name.endswith("处"):
        return name[:-1] + "科"
    return name


def template_shapes(
    rng: random.Random, j: Jurisdiction, max_tier: int
) -> Iterator[tuple[str, Shape]]:
    """(template key, shape) for every organ and institution the jurisdiction has."""
    level = 0 if j.city_level else 1
    flag = "c" if j.city_level else "k"
    for tpl in TEMPLATES:
        tier = tpl.tier if j.city_level or tpl.county_tier is None else tpl.county_tier
        if tier > max_tier or flag not in tpl.levels:
            continue
        count = 1
        if tpl.count and max_tier > 1:
            count = rng.randint(*tpl.count[2 * level : 2 * level + 2])
        for n in range(1, count + 1):
            yield tpl.key, _shape(tpl, j, level, flag, n if tpl.count else 0)


def _pick(pattern: str | tuple[str, str], level: int) -> str:
    return pattern if isinstance(pattern, str) else pattern[level]


def _shape(tpl: UnitTemplate, j: Jurisdiction, level: int, flag: str, n: int) -> Shape:
    places = dict(j.places, n=C.CHINESE_NUMERALS[n] if n else "")
    institution = tpl.kind is UnitKind.PUBLIC_INSTITUTION
    if institution:
        rank = (tpl.rank or (UnitRank.SECTION_FULL, UnitRank.SECTION_DEPUTY))[level]
        base: tuple[str, ...] = ("办公室",)
        departments, department_count = tpl.departments, (1, 5)  # 2–6 with 办公室
    else:
        rank = UnitRank.DIVISION_FULL if j.city_level else UnitRank.SECTION_FULL
        base = ("办公室", "政策法规科", "人事科") if tpl.standard_departments else ("办公室",)
        departments, department_count = tpl.departments, (3, 8)
        if not j.city_level:
            base = tuple(_county_department(d) for d in base)
            departments = tuple(_county_department(d) for d in departments)
    parent = j.unit_keys.get(tpl.parent) if tpl.parent else None
    return Shape(
        full_name=_pick(tpl.name, level).format(**places),
        short_name=_pick(tpl.short, level).format(**places),
        kind=tpl.kind,
        nature=tpl.nature,
        funding=tpl.funding,
        rank=rank,
        accounts=tpl.accounts,
        size=(tpl.size[2 * level], tpl.size[2 * level + 1]),
        profile=tpl.profile,
        field=tpl.field,
        staff=tpl.staff,
        school=tpl.school,
        departments=departments,
        department_count=department_count,
        base_departments=base,
        leader=tpl.leader,
        established=tpl.established,
        focus=tpl.focus,
        parent=parent,
        aliases=tuple(
            (p.format(**places), is_nameplate)
            for p, is_nameplate, levels in tpl.aliases
            if flag in levels
        ),
    )


def place_root(rng: random.Random, used: set[str]) -> str:
    """A plausible northern place name (东庄, 柳沟, 王家堡), unique within ``used``."""
    while True:
        if rng.random() < 0.35:
            root = rng.choice(_SURNAME_CHARS) + C.VILLAGE_MIDDLE + rng.choice(C.PLACE_SECOND)
        else:
            root = rng.choice(C.PLACE_FIRST) + rng.choice(C.PLACE_SECOND)
        if root not in used:
            used.add(root)
            return root


def township_shape(rng: random.Random, j: Jurisdiction, root: str, kind: str) -> Shape:
    """A 乡镇人民政府 or 街道办事处; ``kind`` is 镇, 乡 or 街道."""
    street = kind == "街道"
    head = {"镇": "镇长", "乡": "乡长", "街道": "主任"}[kind]
    aliases: tuple[tuple[str, bool], ...] = ()
    if kind == "镇" and rng.random() < 0.2:  # 撤乡设镇: the old name is still searched for
        aliases = ((f"{j.places['G']}{root}乡人民政府", False),)
    pool = STREET_DEPARTMENTS if street else TOWNSHIP_DEPARTMENTS
    return Shape(
        full_name=f"{j.places['G']}{root}{'街道办事处' if street else kind + '人民政府'}",
        short_name=f"{root}{kind}",
        kind=UnitKind.TOWNSHIP,
        nature=UnitNature.ADMINISTRATIVE,
        funding=Funding.FULL,
        rank=UnitRank.SECTION_FULL,
        accounts="admin",
        size=(20, 50),
        profile="township",
        field="organ",
        staff="civil",
        school="",
        departments=pool[1:],
        department_count=(3, 6),
        base_departments=pool[:1],
        leader=(("党工委书记、主任" if street else f"党委书记、{head}"), "副" + head),
        established=(1984, 2001) if not street else (1995, 2015),
        focus="",
        street=street,
        aliases=aliases,
    )


def township_institution_shapes(
    rng: random.Random,
    j: Jurisdiction,
    township: tuple[int, str],
    street: bool,
    max_tier: int,
    villages: int,
) -> Iterator[Shape]:
    for tpl in TOWNSHIP_TEMPLATES:
        if tpl.tier > max_tier:
            continue
        name = tpl.street_name if street else tpl.name
        if name is None:
            continue
        yield _township_institution(j, township, tpl, name)
    used: set[str] = set()
    for _ in range(0 if street else villages):
        name = VILLAGE_SCHOOL.name.format(V=place_root(rng, used))
        yield _township_institution(j, township, VILLAGE_SCHOOL, name, rank=UnitRank.UNRANKED)


def _township_institution(
    j: Jurisdiction,
    township: tuple[int, str],
    tpl: TownshipTemplate,
    name: str,
    rank: UnitRank = UnitRank.STOCK,
) -> Shape:
    parent = township if tpl.parent == "township" else j.unit_keys.get(tpl.parent)
    return Shape(
        full_name=f"{j.places['G']}{township[1]}{name}",
        short_name=f"{township[1]}{name}",
        kind=UnitKind.PUBLIC_INSTITUTION,
        nature=tpl.nature,
        funding=tpl.funding,
        rank=rank,
        accounts=tpl.accounts,
        size=tpl.size,
        profile=tpl.profile,
        field=tpl.field,
        staff=tpl.staff,
        school=tpl.school,
        departments=tpl.departments,
        department_count=(1, 3),
        base_departments=("办公室",),
        leader=None,
        established=tpl.established,
        focus=tpl.focus,
        parent=parent,
    )
