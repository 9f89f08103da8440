"""Per-account push preferences: categories switched off, and quiet hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.i18n import N_, UserFacingError
from pwa.models.push import PushPreference

from .categories import OPTIONAL, SPECS, Category


class PreferenceError(UserFacingError):
    pass


@dataclass(frozen=True)
class Preferences:
    muted: frozenset[Category] = frozenset()
    quiet_start: int | None = None  # minutes after local midnight
    quiet_end: int | None = None

    @property
    def has_quiet_hours(self) -> bool:
        return (
            self.quiet_start is not None
            and self.quiet_end is not None
            and self.quiet_start != self.quiet_end
        )

    def wants(self, category: Category) -> bool:
        return SPECS[category].always_on or category not in self.muted

    def quiet_until(self, now: datetime, zone: ZoneInfo) -> datetime | None:
        """The end of the quiet window ``now`` falls in (UTC), or None outside it."""
        if not self.has_quiet_hours:
            return None
        local = now.astimezone(zone)
        minute = local.hour * 60 + local.minute
        start, end = self.quiet_start, self.quiet_end
        inside = start <= minute < end if start < end else minute >= start or minute < end
        if not inside:
            return None
        day = local.date() if minute < end else local.date() + timedelta(days=1)
        ends = datetime.combine(day, time(end // 60, end % 60), tzinfo=zone)
        return ends.astimezone(UTC)


def _parse_muted(raw: str) -> frozenset[Category]:
    return frozenset(Category(c) for c in raw.split(",") if c in Category._value2member_map_)


def load(session: Session, account_id: int) -> Preferences:
    return load_many(session, [account_id]).get(account_id, Preferences())


def load_many(session: Session, account_ids: list[int]) -> dict[int, Preferences]:
    if not account_ids:
        return {}
    rows = session.execute(
        select(PushPreference).where(PushPreference.account_id.in_(sorted(set(account_ids))))
    ).scalars()
    return {
        row.account_id: Preferences(_parse_muted(row.muted), row.quiet_start, row.quiet_end)
        for row in rows
    }


def parse_clock(raw: str | None) -> int | None:
    """'22:00' → 1320; empty → None; anything else is an error the person can fix."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        hours, minutes = text.split(":")
        value = int(hours) * 60 + int(minutes)
        if not (0 <= int(hours) < 24 and 0 <= int(minutes) < 60):
            raise ValueError
    except ValueError:
        raise PreferenceError(N_("时间格式应为 时:分，例如 22:00")) from None
    return value


def store(
    session: Session,
    account_id: int,
    *,
    muted: set[Category],
    quiet_start: int | None,
    quiet_end: int | None,
) -> Preferences:
    if (quiet_start is None) != (quiet_end is None):
        raise PreferenceError(N_("免打扰时段需要同时填写开始和结束时间"))
    if quiet_start is not None and quiet_start == quiet_end:
        raise PreferenceError(N_("免打扰时段的开始和结束时间不能相同"))
    kept = sorted(c.value for c in muted if c in OPTIONAL)
    row = session.get(PushPreference, account_id)
    if row is None:
        row = PushPreference(account_id=account_id)
        session.add(row)
    row.muted, row.quiet_start, row.quiet_end = ",".join(kept), quiet_start, quiet_end
    session.flush()
    return Preferences(frozenset(Category(c) for c in kept), quiet_start, quiet_end)


def format_clock(minutes: int | None) -> str:
    return "" if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"
