"""Athlete-local calendar dates computed by the database, per row, the same on PostgreSQL and SQLite.

`LocalDate(instant, zone)` is the calendar date of a timestamp (a column, or a constant such as "now") in the
IANA timezone a column names (the athlete's `timezone`). It is the one expression behind every athlete-local day
in SQL: the load figures group sessions by it, the program metrics take "today" from it, the admin filters and
orders sessions by it.

- PostgreSQL converts with its own zone data: `(instant AT TIME ZONE zone)::date`.
- SQLite knows no zones: Django registers a Python function on every SQLite connection for its own
  `TruncDate(tzinfo=…)` (`django_datetime_cast_date`), which converts with Python's zoneinfo; it is fed the zone
  name from the row. The connection works in UTC.

Both must give the date Python gives (`instant.astimezone(ZoneInfo(zone)).date()`, what the rest of the code
computes), and each misreads a few of the names athletes.validators accepts, so those are handed over as another
name for the same zone (tests/training/test_local_time.py holds every accepted name to Python's date on both):

- PostgreSQL reads a zone argument as a time zone *abbreviation* first, then as a zone name: "CET", "EET", "MET"
  and "WET" are abbreviations with a fixed offset there ("CET" is +01:00 all year), while the IANA zones keep
  summer time. They go as the IANA zone each is a link to (`POSTGRESQL_ZONE_NAMES`).
- Django's SQLite function reads "Etc/GMT+10" as "Etc/GMT shifted by +10:00", while the IANA zone is UTC−10
  (POSIX signs). Such names go as the fixed offset they stand for, "-10:00", which it reads right
  (`sqlite_zone_names()`).
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime

from django.db import models
from django.db.backends.utils import split_tzname_delta
from django.db.models import F, Value

from athletes.validators import iana_timezones

# IANA names that PostgreSQL's default abbreviation set reads as a fixed offset, with the zone each is a link to
# in the IANA data (since 2024b; before, rule-based zones that follow the same rules today). EST, MST, HST,
# GMT, UTC, UCT and Zulu are abbreviations too, but with the offset their IANA zone keeps all year.
POSTGRESQL_ZONE_NAMES = {
    "CET": "Europe/Brussels",
    "EET": "Europe/Athens",
    "MET": "Europe/Brussels",
    "WET": "Europe/Lisbon",
}


@functools.cache
def sqlite_zone_names() -> dict[str, str]:
    """{name: "±HH:MM"} for the accepted names Django's SQLite function would read as a zone plus an offset
    (its own `split_tzname_delta` decides), each with the fixed offset the IANA zone has."""
    names = {}
    for name in sorted(iana_timezones()):
        if split_tzname_delta(name)[1]:
            minutes = int(zoneinfo.ZoneInfo(name).utcoffset(datetime(2000, 1, 1)).total_seconds()) // 60
            names[name] = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return names


def _expression(value) -> models.Expression:
    return F(value) if isinstance(value, str) else value


def _zone_sql(compiler, zone: models.Expression, renamed: dict[str, str]) -> tuple[str, list]:
    """The zone expression's SQL, the names in `renamed` replaced by theirs."""
    sql, params = compiler.compile(zone)
    whens = " ".join("WHEN %s THEN %s" for _ in renamed)
    pairs = [part for pair in renamed.items() for part in pair]
    return f"(CASE {sql} {whens} ELSE {sql} END)", [*params, *pairs, *params]


class LocalDate(models.Func):
    """The calendar date of `instant` (a field name or an expression) in the IANA zone `zone` names (a field
    name or an expression), row by row."""

    output_field = models.DateField()
    arity = 2

    def __init__(self, instant, zone, **extra):
        super().__init__(_expression(instant), _expression(zone), **extra)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotImplementedError(f"LocalDate has no SQL for {connection.display_name}")

    def as_postgresql(self, compiler, connection, **extra_context):
        instant, zone = self.get_source_expressions()
        instant_sql, instant_params = compiler.compile(instant)
        zone_sql, zone_params = _zone_sql(compiler, zone, POSTGRESQL_ZONE_NAMES)
        return f"(({instant_sql})::timestamptz AT TIME ZONE {zone_sql})::date", (*instant_params, *zone_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django's own zone-converting cast (registered by its SQLite backend); the connection works in UTC.
        instant, zone = self.get_source_expressions()
        instant_sql, instant_params = compiler.compile(instant)
        zone_sql, zone_params = _zone_sql(compiler, zone, sqlite_zone_names())
        return f"django_datetime_cast_date({instant_sql}, {zone_sql}, 'UTC')", (*instant_params, *zone_params)


def local_today(now: datetime, zone) -> LocalDate:
    """Today's date at the instant `now` in the zone `zone` names (a field name such as "athlete__timezone")."""
    return LocalDate(Value(now, output_field=models.DateTimeField()), zone)


class DaysBetween(models.Func):
    """Whole days from the date `start` to the date `end` (`end − start`: negative when `end` comes first)."""

    output_field = models.IntegerField()
    arity = 2

    def __init__(self, start, end, **extra):
        super().__init__(_expression(start), _expression(end), **extra)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotImplementedError(f"DaysBetween has no SQL for {connection.display_name}")

    def as_postgresql(self, compiler, connection, **extra_context):
        return self._compile(compiler, "(({end})::date - ({start})::date)")

    def as_sqlite(self, compiler, connection, **extra_context):
        return self._compile(compiler, "CAST(julianday({end}) - julianday({start}) AS INTEGER)")

    def _compile(self, compiler, template: str):
        start, end = self.get_source_expressions()
        start_sql, start_params = compiler.compile(start)
        end_sql, end_params = compiler.compile(end)
        # Parameters in the order their placeholders appear in the template.
        first_end = template.index("{end}") < template.index("{start}")
        params = (*end_params, *start_params) if first_end else (*start_params, *end_params)
        return template.format(start=start_sql, end=end_sql), params
