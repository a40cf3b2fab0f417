"""The load chart on the athlete page and the "Training load" admin page."""

import dataclasses
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.support.factories.athletes import AthleteProfileFactory, StaffFactory, UserFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from training.load.admin import sort_rows
from training.load.charts import render_load_chart
from training.load.formulas import DayFigures
from training.load.queries import LoadSummary

pytestmark = pytest.mark.django_db

LOAD_PAGE = reverse("admin:training_athleteload_changelist")


@pytest.fixture
def superuser_client():
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def sessions_until_today(athlete, loads: list[float]):
    """One completed session a day, the last one today (athlete-local), loads oldest first."""
    tz = ZoneInfo(athlete.timezone)
    today = datetime.now(tz).date()
    first = today - timedelta(days=len(loads) - 1)
    program = TrainingProgramFactory(athlete=athlete, start_date=first, end_date=today + timedelta(days=7))
    for i, amount in enumerate(loads):
        when = datetime.combine(first + timedelta(days=i), time(0, 5), tzinfo=tz)
        TrainingSessionFactory(
            program=program, scheduled_at=when, status="completed", load=amount, completed_at=when + timedelta(hours=1)
        )


def test_athlete_page_shows_the_load_chart(superuser_client):
    athlete = AthleteProfileFactory(display_name="Chart", timezone="Asia/Tokyo")
    sessions_until_today(athlete, [100.0] * 35 + [400.0])
    page = superuser_client.get(reverse("admin:athletes_athleteprofile_change", args=[athlete.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="load-chart"' in html and 'class="acwr-band"' in html
    assert html.count('class="bar-load"') == 36  # one bar a day with load; the chart spans 84 days
    for line in ("line-fitness", "line-fatigue", "line-form", "line-acwr", "line-acwr-ewma"):
        assert f'class="{line}"' in html, line
    assert f"/api/v1/athletes/{athlete.pk}/load/?from=" in html and "format=csv" in html
    # 400 today over 28 days of 100: acute (6·100 + 400)/7 = 142.86, chronic (27·100 + 400)/28 = 110.71 → 1.29
    assert "ACWR 1.29" in html


def test_athlete_page_without_load_says_so(superuser_client):
    athlete = AthleteProfileFactory(display_name="Empty")
    html = superuser_client.get(reverse("admin:athletes_athleteprofile_change", args=[athlete.pk])).content.decode()
    assert "No completed sessions with a load" in html and 'class="load-chart"' not in html


def test_the_add_page_has_no_chart(superuser_client):
    html = superuser_client.get(reverse("admin:athletes_athleteprofile_add")).content.decode()
    assert "training-load" not in html


def test_chart_breaks_the_acwr_line_where_it_is_null():
    days = [
        DayFigures(date=date(2026, 1, i + 1), load=100.0, planned_load=0.0, sessions=1, acute=0.0, chronic=0.0,
                   acwr=None if i < 3 else 1.0, acwr_ewma=None if i < 3 else 1.1, fitness=10.0, fatigue=20.0, form=-5.0)
        for i in range(6)
    ]  # fmt: skip
    svg = str(render_load_chart(days))
    assert svg.count('class="line-acwr"') == 1
    acwr_points = svg.split('class="line-acwr"')[1].split('points="')[1].split('"')[0]
    assert len(acwr_points.split()) == 3  # the three days with a ratio
    assert "ACWR 1.0, EWMA ACWR 1.1." in svg
    days[-1] = dataclasses.replace(days[-1], acwr=None, acwr_ewma=None)
    assert "ACWR —, EWMA ACWR —." in str(render_load_chart(days))


def test_training_load_page_lists_flagged_rows_first(superuser_client):
    calm = AthleteProfileFactory(display_name="Aaron Calm")
    # A 7-day cycle: every 7- and 28-day window holds whole cycles, so ACWR is 1.0 whatever today is, and with
    # three rest days a week monotony stays under 2.
    sessions_until_today(calm, [100.0, 0.0, 200.0, 0.0, 150.0, 50.0, 0.0] * 6)
    spiking = AthleteProfileFactory(display_name="Zed Spike", timezone="America/Los_Angeles")
    sessions_until_today(spiking, [100.0] * 30 + [400.0] * 7)
    AthleteProfileFactory(display_name="Mia None")
    html = superuser_client.get(LOAD_PAGE).content.decode()
    names = [n for n in ("Zed Spike", "Aaron Calm", "Mia None") if n in html]
    assert sorted(names, key=html.index) == ["Zed Spike", "Aaron Calm", "Mia None"]
    assert "ACWR &gt; 1.5" in html and 'class="flagged"' in html
    assert "3 athletes" in html and "1 flagged" in html
    assert reverse("admin:athletes_athleteprofile_change", args=[spiking.pk]) in html


def test_training_load_page_sorts_by_a_figure(superuser_client):
    for name, level in (("A low", 50.0), ("B high", 300.0), ("C mid", 150.0)):
        sessions_until_today(AthleteProfileFactory(display_name=name), [level, level + 10] * 20)
    html = superuser_client.get(LOAD_PAGE + "?o=-fitness").content.decode()
    assert sorted(["A low", "B high", "C mid"], key=html.index) == ["B high", "C mid", "A low"]
    html = superuser_client.get(LOAD_PAGE + "?o=fitness").content.decode()
    assert sorted(["A low", "B high", "C mid"], key=html.index) == ["A low", "C mid", "B high"]
    assert superuser_client.get(LOAD_PAGE + "?o=nonsense&p=99").status_code == 200  # default order, last page


def test_sort_rows_puts_flags_first_and_missing_values_last():
    def row(name, acwr, flags=()):
        return LoadSummary(
            athlete_id=uuid.uuid5(uuid.NAMESPACE_URL, name), display_name=name, date=date(2026, 1, 5), load=0.0,
            acute=0.0, chronic=0.0, acwr=acwr, acwr_ewma=None, fitness=0.0, fatigue=0.0, form=0.0, week_load=0.0,
            monotony=None, strain=None, flags=list(flags), week_compliance=None,
        )  # fmt: skip

    rows = [row("a", None), row("b", 1.0), row("c", 2.0, ["acwr_high"]), row("d", 0.5, ["acwr_low"]), row("e", 1.2)]
    assert [r.display_name for r in sort_rows(rows, "-acwr")] == ["c", "d", "e", "b", "a"]
    assert [r.display_name for r in sort_rows(rows, "acwr")] == ["d", "c", "b", "e", "a"]


def test_training_load_page_needs_the_athlete_view_permission():
    client = Client()
    bare = StaffFactory()
    client.force_login(bare)
    assert client.get(LOAD_PAGE).status_code == 403
    bare.user_permissions.add(Permission.objects.get(codename="view_athleteprofile"))
    client.force_login(bare)
    assert client.get(LOAD_PAGE).status_code == 200
    assert Client().get(LOAD_PAGE).status_code == 302  # to the login page


def test_training_load_page_queries_do_not_grow(superuser_client):
    def queries(n):
        for _ in range(n):
            sessions_until_today(AthleteProfileFactory(), [100.0, 150.0, 0.0] * 12)
        with CaptureQueriesContext(connection) as captured:
            assert superuser_client.get(LOAD_PAGE).status_code == 200
        return len(captured)

    assert queries(3) == queries(27)


def test_training_load_is_on_the_admin_index(superuser_client):
    html = superuser_client.get(reverse("admin:index")).content.decode()
    assert LOAD_PAGE in html and "Training load" in html
