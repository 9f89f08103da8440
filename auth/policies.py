"""Security policy knobs (⚙ in SECURITY.md), free of model imports so config can use them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=15)
    absolute: timedelta = timedelta(hours=12)
    pre_auth: timedelta = timedelta(minutes=5)
    anonymous: timedelta = timedelta(hours=2)
    max_live_per_account: int = 2
    touch_every: timedelta = timedelta(seconds=60)


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 5
    base_lock: timedelta = timedelta(minutes=15)
    max_lock: timedelta = timedelta(days=1)

    def lock_duration(self, lock_count: int) -> timedelta:
        """15 min, 30 min, 1 h … for the 1st, 2nd, 3rd lock; capped at ``max_lock``."""
        return min(self.base_lock * (2 ** max(lock_count - 1, 0)), self.max_lock)
