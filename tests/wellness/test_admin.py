"""Wellness in the admin: the "Today" board, the entries (read-only) and the athlete page's 28-day chart, shown
only to the athlete's coaches, head coaches and superusers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.support.factories.athletes import (
    AthleteProfileFactory,
    CoachFactory,
    HeadCoachFactory,
    OperationsFactory,
    StaffFactory,
)
from tests.support.factories.wellness import WellnessEntryFactory

pytestmark = pytest.mark.django_db

TODAY = reverse("admin:wellness_todayboard_changelist")
ENTRIES = reverse("admin:wellness_wellnessentry_changelist")


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def today_of(athlete):
    return timezone.now().astimezone(athlete.tzinfo).date()


@pytest.fixture
def coach():
    return CoachFactory()


def athlete_of(coach, name, **kwargs):
    athlete = AthleteProfileFactory(display_name=name, **kwargs)
    athlete.coaches.add(coach)
    return athlete


def flagged_today(athlete):
    day = today_of(athlete)
    for i in range(1, 11):
        WellnessEntryFactory(athlete=athlete, date=day - timedelta(days=i), mood=3 + i % 3)
    return WellnessEntryFactory(athlete=athlete, date=day, mood=1, illness=True, sleep_hours=5.5, notes="Sore throat")


def test_the_today_board_names_each_flag_in_words(coach):
    ill = athlete_of(coach, "Ill Athlete")
    flagged_today(ill)
    athlete_of(coach, "Quiet Athlete")
    AthleteProfileFactory(display_name="Someone Else")
    page = login(coach).get(TODAY)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ill Athlete" in html and "Quiet Athlete" in html and "Someone Else" not in html
    assert "⚠ ill" in html and "⚠ sleep under 6 h" in html and "⚠ wellness low" in html
    assert "– no entry today" in html
    assert "15/25" in html  # 4 + 3 + 4 + 3 + 1: the day's score
    assert "Sore throat" not in html  # the board shows no notes


def test_the_today_board_costs_the_same_for_more_athletes(coach):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(TODAY).status_code == 200
        return len(ctx.captured_queries)

    client = login(coach)
    flagged_today(athlete_of(coach, "First"))
    few = queries()
    for i in range(8):
        flagged_today(athlete_of(coach, f"More {i}"))
    assert queries() == few


@pytest.mark.parametrize("make", [OperationsFactory, StaffFactory])
def test_operations_and_staff_without_a_role_see_no_wellness(make):
    athlete = AthleteProfileFactory()
    entry = WellnessEntryFactory(athlete=athlete)
    client = login(make())
    assert client.get(TODAY).status_code == 403
    assert client.get(ENTRIES).status_code == 403
    assert client.get(reverse("admin:wellness_wellnessentry_change", args=[entry.pk])).status_code in (302, 403, 404)
    assert "Wellness" not in client.get(reverse("admin:index")).content.decode()


def test_a_coach_sees_only_their_athletes_entries_read_only(coach):
    mine = WellnessEntryFactory(athlete=athlete_of(coach, "Mine"), notes="mine note")
    theirs = WellnessEntryFactory(athlete=AthleteProfileFactory(display_name="Theirs"))
    client = login(coach)
    listed = client.get(ENTRIES).content.decode()
    assert "Mine" in listed and "Theirs" not in listed
    change = client.get(reverse("admin:wellness_wellnessentry_change", args=[mine.pk]))
    assert change.status_code == 200 and "mine note" in change.content.decode()
    assert b'name="_save"' not in change.content  # read-only
    other = client.get(reverse("admin:wellness_wellnessentry_change", args=[theirs.pk]))
    assert other.status_code in (302, 404)
    assert (
        client.post(reverse("admin:wellness_wellnessentry_delete", args=[mine.pk]), {"post": "yes"}).status_code == 403
    )


def test_the_athlete_page_shows_28_days_of_wellness_to_their_coaches(coach):
    athlete = athlete_of(coach, "Charted", timezone="Asia/Tokyo")
    flagged_today(athlete)
    url = reverse("admin:athletes_athleteprofile_change", args=[athlete.pk])
    html = login(coach).get(url).content.decode()
    assert 'class="wellness-chart"' in html
    assert html.count('class="score') == 11  # a bar per entry in the 28 days
    assert html.count('class="no-entry"') == 28 - 11
    assert 'class="score low"' in html  # today's score is low against the previous 28 days
    assert ">ill</text>" in html and "⚠ ill" in html
    assert "Sore throat" in html  # the recent entries' table
    assert 'class="wellness-chart"' in login(HeadCoachFactory()).get(url).content.decode()


def test_the_athlete_page_shows_no_wellness_without_the_permission():
    athlete = AthleteProfileFactory()
    flagged_today(athlete)
    reader = StaffFactory()
    reader.user_permissions.add(*Permission.objects.filter(codename__in=["view_athleteprofile", "view_all_athletes"]))
    response = login(reader).get(reverse("admin:athletes_athleteprofile_change", args=[athlete.pk]))
    assert response.status_code == 200
    assert "wellness-chart" not in response.content.decode()
    assert "Sore throat" not in response.content.decode()
