"""A clock tests can hold still and move forward."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class FrozenClock:
    """Returns the same aware UTC time until advanced."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 26, 15, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Moves time forward by a timedelta's keyword arguments."""
        self.now += timedelta(**delta)
        return self.now
