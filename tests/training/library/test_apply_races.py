"""Applying a template while other writers change the same athletes (PostgreSQL, real threads). An apply locks
its athletes first, in the order every plan writer takes them, so: two applies to the same athletes both succeed
(two planned programs each), an apply and a timezone change serialize (every session ends at the template's local
time in the timezone that stands), and an apply beside a coach making a program current keeps one current program
per athlete. Afterwards no session, micro-cycle or phase disagrees with its program."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, StaffFactory
from tests.support.factories.training import ProgramTemplateFactory, TrainingProgramFactory, template_session
from tests.support.races import delays, incoherent_rows, outcome, race
from tests.support.utils import postgres_only
from training.models import TrainingProgram, TrainingSession

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
START = date(2030, 3, 25)  # a Monday; Oslo springs forward on the 31st


def _template(owner):
    return ProgramTemplateFactory(
        owner=owner, weeks=2, sessions=[template_session(week, day, "07:30") for week in (1, 2) for day in (1, 7)]
    )


def _apply(client, template, athletes):
    return client.post(
        f"/api/v1/program-templates/{template.pk}/apply/",
        {"athleteIds": [str(a.pk) for a in athletes], "startDate": str(START)},
        format="json",
    )


def _every_session_at_its_local_time(athlete) -> None:
    athlete.refresh_from_db()
    for session in TrainingSession.objects.filter(athlete=athlete):
        local = session.scheduled_at.astimezone(athlete.tzinfo)
        assert local.strftime("%H:%M") == "07:30", (athlete.timezone, local)
        program = session.program
        assert program.start_date <= local.date() <= program.end_date


def test_two_applies_to_the_same_athletes_both_succeed_and_keep_every_rule():
    superuser = StaffFactory(is_superuser=True)
    client_a, client_b = bearer_client(superuser), bearer_client(superuser)
    template = _template(superuser)
    for delay in delays():
        athletes = [AthleteProfileFactory(timezone=zone) for zone in ("Europe/Oslo", "Asia/Tokyo", "UTC")]
        # Opposite orders in the bodies: the locks are taken by id either way, so neither can deadlock the other.
        first, second = race(
            lambda athletes=athletes: _apply(client_a, template, athletes),
            lambda athletes=athletes: _apply(client_b, template, list(reversed(athletes))),
            delay=delay,
        )
        assert outcome([first, second]) == [201, 201], (first, second)
        for athlete in athletes:
            assert TrainingProgram.objects.filter(athlete=athlete, status="planned").count() == 2
            assert TrainingSession.objects.filter(athlete=athlete).count() == 8
            _every_session_at_its_local_time(athlete)
    assert incoherent_rows() == []


def test_an_apply_and_a_timezone_change_serialize():
    superuser = StaffFactory(is_superuser=True)
    client = bearer_client(superuser)
    template = _template(superuser)
    for delay in delays():
        athlete = AthleteProfileFactory(timezone="UTC")
        own = bearer_client(athlete.user)
        applied, moved = race(
            lambda athlete=athlete: _apply(client, template, [athlete]),
            lambda athlete=athlete, own=own: own.patch(
                f"/api/v1/athletes/{athlete.pk}/", {"timezone": "Europe/Oslo"}, format="json"
            ),
            delay=delay,
        )
        assert outcome([applied, moved]) == [201, 200], (applied, moved)
        # Whichever came first, the sessions are at 07:30 in Oslo: applied there, or moved there keeping 07:30.
        _every_session_at_its_local_time(athlete)
    assert incoherent_rows() == []


def test_an_apply_beside_a_coach_making_a_program_current_keeps_one_current_program():
    superuser = StaffFactory(is_superuser=True)
    client_a, client_b = bearer_client(superuser), bearer_client(superuser)
    template = _template(superuser)
    for delay in delays():
        athlete = AthleteProfileFactory(timezone="Europe/Oslo")
        TrainingProgramFactory(athlete=athlete, status="current", start_date=START, end_date=START + timedelta(27))
        other = TrainingProgramFactory(
            athlete=athlete, status="planned", start_date=START, end_date=START + timedelta(27)
        )
        applied, activated = race(
            lambda athlete=athlete: _apply(client_a, template, [athlete]),
            lambda other=other: client_b.patch(f"/api/v1/programs/{other.pk}/", {"status": "current"}, format="json"),
            delay=delay,
        )
        assert outcome([applied, activated]) == [201, 400], (applied, activated)
        assert TrainingProgram.objects.filter(athlete=athlete, status="current").count() == 1
        _every_session_at_its_local_time(athlete)
    assert incoherent_rows() == []
