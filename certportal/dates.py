"""Dates as the work lists print them ("2 Dec", "2 Dec 2026 15:45"), formatted in Python
in the current time zone. Django's ``date`` filter parses its format string and builds a
formatter on every call; a 50-row queue prints 100 dates, a sixth of the page's CPU that
way. The texts are the ones ``|date:"j M"`` and ``|date:"j M Y H:i"`` print."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone, translation
from django.utils.dates import MONTHS_3

# Month abbreviations per language ("Dec"): translated once, not once per date printed.
_MONTHS: dict[str | None, tuple[str, ...]] = {}


def _local(value: dt.datetime | dt.date) -> dt.datetime | dt.date:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _month(month: int) -> str:
    language = translation.get_language()
    names = _MONTHS.get(language)
    if names is None:
        names = _MONTHS[language] = ("", *(str(MONTHS_3[m]).title() for m in range(1, 13)))
    return names[month]


def day_month(value: dt.datetime | dt.date | None) -> str:
    """ "2 Dec" ("" for None)."""
    if value is None:
        return ""
    local = _local(value)
    return f"{local.day} {_month(local.month)}"


def day_month_year_time(value: dt.datetime | None) -> str:
    """ "2 Dec 2026 15:45" ("" for None)."""
    if value is None:
        return ""
    local = _local(value)
    return f"{local.day} {_month(local.month)} {local.year} {local.hour:02d}:{local.minute:02d}"
