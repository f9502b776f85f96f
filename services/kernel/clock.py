"""The one injectable clock every service and batch reads the time from."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

#: Business days (interest, fund income, trading calendar) are calendar days here.
BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
#: The same zone as PostgreSQL spells it in ``credit.business_date`` and ``funds.business_date``
#: (migrations 003): SQL compares business dates through those functions, never ``::date``,
#: which would take the session's time zone (UTC on most servers) and move midnight by 8 hours.
BUSINESS_TZ_NAME = "Asia/Shanghai"


def business_date(instant: datetime) -> date:
    """The business date (Asia/Shanghai calendar day) of an instant, whatever zone it carries.

    The one Python definition: every due, overdue, late, cut-off and "today" comparison
    goes through it; ``tests/kernel/test_business_date.py`` holds the SQL twin to it
    around both midnights.
    """
    if instant.tzinfo is None:
        raise ValueError("a business date needs an instant with a UTC offset")
    return instant.astimezone(BUSINESS_TZ).date()


class Clock:
    """The real clock, or a fixed instant (``FINGRAPH_NOW``) that tests may move."""

    def __init__(self, fixed: datetime | None = None) -> None:
        if fixed is not None and fixed.tzinfo is None:
            raise ValueError("a fixed time must carry a UTC offset, e.g. 2026-11-20T10:00:00+08:00")
        self._fixed = fixed

    @classmethod
    def from_iso(cls, value: str | None) -> Clock:
        return cls(datetime.fromisoformat(value) if value else None)

    @property
    def is_fixed(self) -> bool:
        return self._fixed is not None

    def now(self) -> datetime:
        return self._fixed if self._fixed is not None else datetime.now(UTC)

    def set(self, instant: datetime) -> None:
        """Move a fixed clock (tests and demos only)."""
        if instant.tzinfo is None:
            raise ValueError("a fixed time must carry a UTC offset")
        self._fixed = instant

    def today(self) -> date:
        """The current business date in Asia/Shanghai."""
        return business_date(self.now())
