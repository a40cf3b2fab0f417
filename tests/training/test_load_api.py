"""GET /api/v1/athletes/{id}/load/ and /api/v1/load-summary/: windows, CSV, who sees what, flags, query counts."""

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from training.load import queries

pytestmark = pytest.mark.django_db


def url(athlete, query=""):
    return f"/api/v1/athletes/{athlete.pk}/load/{query}"


def add_days(athlete, loads: dict[date, float], *, hour: int = 12, planned=None):
    """One completed session per day at `hour` local time with the given load."""
    tz = ZoneInfo(athlete.timezone)
    days = sorted(loads)
    program = TrainingProgramFactory(
        athlete=athlete, start_date=days[0] - timedelta(days=1), end_date=days[-1] + timedelta(days=7)
    )
    for day in days:
        when = datetime.combine(day, time(hour), tzinfo=tz)
        TrainingSessionFactory(
            program=program, scheduled_at=when, status="completed", load=loads[day], planned_load=planned,
            completed_at=when + timedelta(hours=1),
        )  # fmt: skip
    return program


def freeze(monkeypatch, now: datetime):
    """Make "now" `now` for the load code only (knox keeps the real clock for the tokens)."""
    monkeypatch.setattr(queries, "timezone", SimpleNamespace(now=lambda: now))


# --- The window ------------------------------------------------------------------------------------------


def test_default_window_is_84_days_ending_on_the_athletes_today(coach_client, monkeypatch):
    athlete = AthleteProfileFactory(timezone="Pacific/Auckland")
    # 2026-11-25 20:00 UTC is already 2026-11-26 in Auckland (UTC+13).
    freeze(monkeypatch, datetime(2026, 11, 25, 20, 0, tzinfo=UTC))
    body = coach_client.get(url(athlete)).json()
    assert (body["from"], body["to"]) == ("2026-09-04", "2026-11-26")
    assert len(body["days"]) == 84 and body["days"][-1]["date"] == "2026-11-26"
    only_from = coach_client.get(url(athlete, "?from=2026-11-20")).json()
    assert (only_from["from"], only_from["to"]) == ("2026-11-20", "2026-11-26")
    only_to = coach_client.get(url(athlete, "?to=2026-03-31")).json()
    assert (only_to["from"], only_to["to"]) == ("2026-01-07", "2026-03-31")


def test_a_window_of_366_days_is_allowed_and_367_is_not(coach_client, athlete):
    ok = coach_client.get(url(athlete, "?from=2025-01-01&to=2026-01-01"))
    assert ok.status_code == 200 and len(ok.json()["days"]) == 366
    too_long = coach_client.get(url(athlete, "?from=2025-01-01&to=2026-01-02"))
    assert too_long.status_code == 400 and "366" in too_long.json()["to"][0]


@pytest.mark.parametrize(
    "query, field",
    [
        ("?from=2026-02-02&to=2026-02-01", "from"),
        ("?from=2026-13-01", "from"),
        ("?to=yesterday", "to"),
        ("?to=0001-01-01", "to"),
        ("?from=2026-01-01%00", "from"),
    ],
)
def test_bad_windows_are_400(coach_client, athlete, query, field):
    response = coach_client.get(url(athlete, query))
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    "query", ["?from=1900-01-01&to=1900-01-07", "?from=2999-12-25&to=2999-12-31", "?to=1900-01-01"]
)
def test_the_edges_of_the_date_range_answer(coach_client, athlete, query):
    add_days(athlete, {date(2026, 3, 2): 100})
    response = coach_client.get(url(athlete, query))
    if "2999" in query:  # the series reaches at most 365 days past the athlete's today
        assert response.status_code == 400 and "to" in response.json()
    else:
        assert response.json()["days"] and {d["load"] for d in response.json()["days"]} == {0.0}
    summary = coach_client.get("/api/v1/load-summary/?date=" + query.rsplit("=", 1)[1])
    assert summary.status_code == 200 and summary.json()["results"][0]["load"] == 0.0


def test_from_equal_to_to_is_one_day(coach_client, athlete):
    body = coach_client.get(url(athlete, "?from=2026-02-01&to=2026-02-01")).json()
    assert [d["date"] for d in body["days"]] == ["2026-02-01"]
    assert [w["weekStart"] for w in body["weeks"]] == ["2026-01-26"]


# --- Who sees what -----------------------------------------------------------------------------------------


def test_athletes_see_their_own_load_and_nobody_elses(athlete_client, athlete, other_athlete):
    assert athlete_client.get(url(athlete)).status_code == 200
    response = athlete_client.get(url(other_athlete))
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_unknown_or_malformed_ids_are_404_and_anonymous_is_401(coach_client, anon_client, athlete):
    assert coach_client.get("/api/v1/athletes/01a214a8-0000-7000-8000-000000000000/load/").status_code == 404
    assert coach_client.get("/api/v1/athletes/not-a-uuid/load/").status_code == 404
    response = anon_client.get(url(athlete))
    assert response.status_code == 401 and "WWW-Authenticate" in response


def test_writes_are_405(coach_client, athlete):
    assert coach_client.post(url(athlete), {}).status_code == 405
    assert coach_client.post("/api/v1/load-summary/", {}).status_code == 405


# --- CSV ---------------------------------------------------------------------------------------------------


def test_csv_by_accept_header_and_by_format_parameter(coach_client, athlete):
    add_days(athlete, {date(2026, 3, 2): 420, date(2026, 3, 3): 0.25}, planned=400)
    json_body = coach_client.get(url(athlete, "?from=2026-03-01&to=2026-03-31")).json()
    for response in (
        coach_client.get(url(athlete, "?from=2026-03-01&to=2026-03-31"), HTTP_ACCEPT="text/csv"),
        coach_client.get(url(athlete, "?from=2026-03-01&to=2026-03-31&format=csv")),
    ):
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert list(rows[0]) == [
            "date", "load", "plannedLoad", "sessions", "acute", "chronic", "acwr", "acwrEwma", "fitness",
            "fatigue", "form", "projected",
        ]  # fmt: skip
        assert {r["projected"] for r in rows} == {"false"}
        assert len(rows) == 31
        by_date = {r["date"]: r for r in rows}
        assert by_date["2026-03-02"]["load"] == "420.0" and by_date["2026-03-02"]["plannedLoad"] == "400.0"
        assert by_date["2026-03-03"]["load"] == "0.3"  # 0.25 half up
        assert by_date["2026-03-02"]["acwr"] == ""  # null is an empty cell
        json_day = next(d for d in json_body["days"] if d["date"] == "2026-03-04")
        assert by_date["2026-03-04"]["fatigue"] == str(json_day["fatigue"])


def test_csv_errors_are_json(coach_client, athlete, other_client):
    response = coach_client.get(url(athlete, "?from=2026-03-02&to=2026-03-01"), HTTP_ACCEPT="text/csv")
    assert response.status_code == 400 and response.json() == {"from": ["Must not be after `to`."]}
    response = other_client.get(url(athlete, "?format=csv"))
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_the_schema_documents_both_media_types(coach_client):
    schema = coach_client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/athletes/{id}/load/"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "format"}
    series = schema["components"]["schemas"]["LoadSeries"]["properties"]
    assert {"athleteId", "from", "to", "model", "days", "weeks"} <= set(series)
    assert "plannedLoad" in schema["components"]["schemas"]["LoadDay"]["properties"]
    summary = schema["paths"]["/api/v1/load-summary/"]["get"]
    assert {p["name"] for p in summary["parameters"]} == {"date", "page", "pageSize", "squadId"}


# --- The summary --------------------------------------------------------------------------------------------

D = date(2026, 6, 1)  # a Monday


def steady_then(athlete, last_week: list[float], *, hour: int = 12):
    """28 days of 100 before D, then `last_week` from D, at `hour` local time."""
    loads = {D - timedelta(days=28 - i): 100.0 for i in range(28)}
    loads.update({D + timedelta(days=i): v for i, v in enumerate(last_week) if v})
    add_days(athlete, loads, hour=hour)


def test_summary_rows_and_flags(coach_client):
    high = AthleteProfileFactory(display_name="B high", timezone="America/Los_Angeles")
    steady_then(high, [300] * 7)  # acute 300, chronic (21·100 + 7·300)/28 = 150 → 2.0
    low = AthleteProfileFactory(display_name="A low", timezone="Asia/Tokyo")
    steady_then(low, [0] * 7)  # acute 0, chronic 75 → 0.0
    monotone = AthleteProfileFactory(display_name="C monotone")
    steady_then(monotone, [100, 100, 100, 100, 100, 100, 110])  # monotony 28.99, acwr 1.0
    empty = AthleteProfileFactory(display_name="D empty")
    body = coach_client.get(f"/api/v1/load-summary/?date={D + timedelta(days=6)}").json()
    assert body["count"] == 4
    rows = {r["displayName"]: r for r in body["results"]}
    assert [r["displayName"] for r in body["results"]] == ["A low", "B high", "C monotone", "D empty"]
    assert rows["B high"]["acwr"] == 2.0 and rows["B high"]["flags"] == ["acwr_high"]
    assert rows["B high"]["acute"] == 300.0 and rows["B high"]["chronic"] == 150.0
    assert rows["B high"]["weekLoad"] == 2100.0 and rows["B high"]["monotony"] is None
    assert rows["A low"]["acwr"] == 0.0 and rows["A low"]["flags"] == ["acwr_low"]
    assert rows["C monotone"]["monotony"] == 28.99 and rows["C monotone"]["flags"] == ["monotony_high"]
    assert rows["C monotone"]["strain"] == round(710 * 28.99, 1)
    assert rows["D empty"]["acwr"] is None and rows["D empty"]["flags"] == []
    assert rows["B high"]["athleteId"] == str(high.pk) and rows["B high"]["date"] == "2026-06-07"
    assert set(rows["B high"]) == {
        "athleteId", "displayName", "date", "load", "acute", "chronic", "acwr", "acwrEwma", "fitness", "fatigue",
        "form", "weekLoad", "monotony", "strain", "flags", "weekCompliance",
    }  # fmt: skip
    assert empty.pk  # listed though it has no sessions
    assert rows["D empty"]["weekCompliance"] is None  # nothing planned


@pytest.mark.parametrize(
    "zone, hour",
    [("America/New_York", 12), ("Pacific/Auckland", 8), ("America/Los_Angeles", 20), ("Asia/Kolkata", 1)],
)
def test_summary_row_equals_the_series_on_that_day(coach_client, zone, hour):
    # The summary groups by each row's zone in SQL, the series by one zone: local dates that are another UTC
    # date (08:00 in Auckland, 20:00 in Los Angeles, 01:00 in Kolkata) must land on the same day in both.
    athlete = AthleteProfileFactory(display_name="Same", timezone=zone)
    steady_then(athlete, [50, 0, 250, 0, 400, 0, 75], hour=hour)
    day = D + timedelta(days=4)
    series = coach_client.get(url(athlete, f"?from={day}&to={day}")).json()
    row = coach_client.get(f"/api/v1/load-summary/?date={day}").json()["results"][0]
    figures = series["days"][0]
    assert figures["load"] == 400.0  # D + 4 is the 400 day, locally
    for key in ("load", "acute", "chronic", "acwr", "acwrEwma", "fitness", "fatigue", "form"):
        assert row[key] == figures[key], key
    assert (row["weekLoad"], row["monotony"], row["strain"]) == tuple(
        series["weeks"][0][k] for k in ("load", "monotony", "strain")
    )


def test_summary_defaults_to_each_athletes_today(coach_client, monkeypatch):
    freeze(monkeypatch, datetime(2026, 11, 25, 20, 0, tzinfo=UTC))
    AthleteProfileFactory(display_name="Auckland", timezone="Pacific/Auckland")
    AthleteProfileFactory(display_name="Oslo", timezone="Europe/Oslo")
    rows = coach_client.get("/api/v1/load-summary/").json()["results"]
    assert {r["displayName"]: r["date"] for r in rows} == {"Auckland": "2026-11-26", "Oslo": "2026-11-25"}


def test_summary_is_scoped_and_paginated(athlete_client, athlete, other_athlete, coach_client, noprofile_client):
    body = athlete_client.get("/api/v1/load-summary/").json()
    assert [r["athleteId"] for r in body["results"]] == [str(athlete.pk)]
    assert noprofile_client.get("/api/v1/load-summary/").status_code == 403  # no role, no profile
    page = coach_client.get("/api/v1/load-summary/?pageSize=1&page=2").json()
    assert page["count"] == 2 and [r["displayName"] for r in page["results"]] == ["Owner"]  # Other, Owner
    assert coach_client.get("/api/v1/load-summary/?page=3&pageSize=1").status_code == 404


@pytest.mark.parametrize("query", ["?date=2026-02-30", "?date=x", "?date=0001-01-01"])
def test_summary_bad_date_is_400(coach_client, query):
    response = coach_client.get(f"/api/v1/load-summary/{query}")
    assert response.status_code == 400 and "date" in response.json()


def _summary_queries(client, n_athletes: int, total: int) -> int:
    zones = ["Europe/Oslo", "America/Los_Angeles", "Asia/Tokyo", "UTC", "Pacific/Auckland"]
    for i in range(n_athletes):
        athlete = AthleteProfileFactory(timezone=zones[i % len(zones)])
        add_days(athlete, {D - timedelta(days=k): 100.0 + k for k in range(0, 40, 3)}, hour=23)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/load-summary/?date={D}&pageSize=50")
    assert response.status_code == 200 and response.json()["count"] == total
    assert all(r["acwr"] is not None for r in response.json()["results"])
    return len(queries)


def test_summary_query_count_is_the_same_for_3_and_30_athletes(coach):
    few = _summary_queries(bearer_client(coach), 3, total=3)
    many = _summary_queries(bearer_client(coach), 27, total=30)
    assert few == many <= 6


def test_series_is_a_constant_number_of_queries(coach_client, athlete):
    add_days(athlete, {D - timedelta(days=k): 50.0 for k in range(0, 300, 2)})
    with CaptureQueriesContext(connection) as queries:
        assert coach_client.get(url(athlete, f"?from={D - timedelta(days=365)}&to={D}")).status_code == 200
    assert len(queries) <= 5  # token, the caller's permissions, athlete, grouped sums (+ knox's bookkeeping)
