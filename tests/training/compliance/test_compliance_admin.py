"""Compliance and the season in the admin: the chips (a symbol and a word beside the colour) on the sessions list
and the program page with their legend, the load page's weekly compliance beside acute and chronic load, and the
athlete's season chart with its projection and events."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import (
    MicroCycleFactory,
    SeasonEventFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(coach):
    client = Client()
    client.force_login(coach)
    return client


@pytest.fixture
def plan():
    athlete = AthleteProfileFactory(display_name="Ada Runner", timezone="Europe/Oslo")
    today = datetime.now(athlete.tzinfo).date()
    program = TrainingProgramFactory(
        athlete=athlete, title="Spring", start_date=today - timedelta(days=13), end_date=today + timedelta(days=14)
    )
    at = datetime.combine(today - timedelta(days=12), time(8), tzinfo=athlete.tzinfo)
    TrainingSessionFactory(program=program, title="Done well", scheduled_at=at, status="completed", completed_at=at,
                           load=Decimal("300"), planned_load=Decimal("300"))  # fmt: skip
    TrainingSessionFactory(program=program, title="Forgotten", scheduled_at=at + timedelta(days=1),
                           planned_load=Decimal("200"))  # fmt: skip
    TrainingSessionFactory(program=program, title="Coming", scheduled_at=datetime.now(UTC) + timedelta(days=3),
                           planned_load=Decimal("250"))  # fmt: skip
    return athlete, program


def test_the_sessions_list_shows_each_sessions_chip_and_the_legend(admin_client, plan):
    text = admin_client.get("/admin/training/trainingsession/").content.decode()
    green = "on plan · 1.00: within 20 % of the plan"
    assert f'<span class="compliance compact compliance-green" title="{green}">✓</span>' in text
    assert '<span class="compliance compact compliance-red" title="missed: missed or skipped">✗</span>' in text
    assert 'class="compliance-legend"' in text
    for word in ("on plan", "off plan", "far off plan", "missed"):
        assert word in text


def test_the_program_page_shows_each_weeks_compliance(admin_client, plan):
    _, program = plan
    text = admin_client.get(f"/admin/training/trainingprogram/{program.pk}/change/").content.decode()
    assert 'class="week-compliance"' in text and 'class="compliance-legend"' in text
    # Week 1: 300 done of 500 planned (0.60, yellow); the weeks not started show their plan only.
    assert "~ off plan · 0.60" in text
    assert "not started" in text


def test_the_load_page_shows_acute_and_chronic_beside_acwr_and_the_weeks_compliance(admin_client, plan):
    text = admin_client.get("/admin/training/athleteload/").content.decode()
    headers = [h for h in ("Acute", "Chronic", "ACWR") if f">{h}<" in text or f">{h} " in text]
    assert headers == ["Acute", "Chronic", "ACWR"]
    assert text.index(">Acute") < text.index(">Chronic") < text.index(">ACWR")
    assert "Week compliance" in text
    assert "a load-change ratio" in text and "not an injury predictor" in text


def test_the_athletes_page_shows_the_season_with_its_projection_and_events(admin_client, plan):
    athlete, program = plan
    today = datetime.now(athlete.tzinfo).date()
    SeasonEventFactory(athlete=athlete, date=today + timedelta(days=10), name="City 10k", priority="A")
    SeasonEventFactory(athlete=athlete, date=today - timedelta(days=5), name="Field test", priority="C", kind="test")
    MicroCycleFactory(program=program, week_index=1)
    text = admin_client.get(f"/admin/athletes/athleteprofile/{athlete.pk}/change/").content.decode()
    assert 'class="season-chart"' in text
    assert 'class="line-fitness-projected"' in text and 'stroke-dasharray="5 4"' in text
    assert 'class="projected-zone"' in text
    assert 'class="event event-A"' in text and 'class="event event-C"' in text
    assert "City 10k (race)" in text and "Field test (test)" in text
    assert "projected" in text and "done" in text
