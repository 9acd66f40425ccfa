"""certportal.dates prints what Django's `date` filter prints for the work lists' two
formats, in the current time zone and language."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.template import engines
from django.utils import timezone, translation

from certportal import dates

MOMENTS = [
    dt.datetime(2026, 12, 2, 15, 45, tzinfo=dt.UTC),
    dt.datetime(2026, 1, 1, 0, 5, tzinfo=dt.UTC),  # the day before in New York
    dt.datetime(2027, 5, 31, 23, 59, 59, tzinfo=dt.UTC),
]


def date_filter(value, fmt: str) -> str:
    """What a template prints: `{{ value|date:fmt }}` (the value in the current zone)."""
    return engines["django"].from_string("{{ v|date:f }}").render({"v": value, "f": fmt})


def test_dates_match_the_date_filter_in_each_zone_and_language():
    for zone in ("UTC", "America/New_York", "Asia/Kolkata"):
        with timezone.override(zoneinfo.ZoneInfo(zone)):
            for language in ("en", "de", "fr"):
                with translation.override(language):
                    for moment in MOMENTS:
                        assert dates.day_month(moment) == date_filter(moment, "j M")
                        assert dates.day_month_year_time(moment) == date_filter(moment, "j M Y H:i")
    assert dates.day_month(dt.date(2026, 3, 4)) == "4 Mar"
    assert dates.day_month(None) == dates.day_month_year_time(None) == ""
    with translation.override("de"):
        assert dates.day_month(MOMENTS[0]) == "2 Dez"
