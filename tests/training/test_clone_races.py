"""Copying a program while the target athlete's timezone changes (PostgreSQL, real concurrent requests)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.athletes.factories import AthleteProfileFactory, HeadCoachFactory
from tests.conftest import bearer_client
from tests.training.factories import TrainingProgramFactory, TrainingSessionFactory
from tests.utils import postgres_only, status_codes_at_once
from training.models import TrainingProgram

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
START = date(2030, 1, 7)


@pytest.mark.parametrize("round_", range(4))
def test_clone_and_timezone_change_never_strand_a_session(round_):
    """Sessions at 23:30 on the program's last day: in New York they fit; read in Tokyo they would fall on the
    next day. Whichever request wins, every copied session lies in its program in the athlete's final zone."""
    source = TrainingProgramFactory(
        athlete=AthleteProfileFactory(timezone="UTC"), start_date=START, end_date=START + timedelta(days=6)
    )
    for _ in range(20):
        TrainingSessionFactory(program=source, scheduled_at=datetime.combine(source.end_date, time(23, 30), tzinfo=UTC))
    target = AthleteProfileFactory(timezone="America/New_York")
    coach = bearer_client(HeadCoachFactory())
    other_coach = bearer_client(HeadCoachFactory())
    clone, patch = status_codes_at_once(
        [
            lambda: coach.post(
                f"/api/v1/programs/{source.pk}/clone/",
                {"athleteId": str(target.pk), "startDate": START.isoformat()},
                format="json",
            ),
            lambda: other_coach.patch(f"/api/v1/athletes/{target.pk}/", {"timezone": "Asia/Tokyo"}, format="json"),
        ]
    )
    assert clone == 201
    assert patch in (200, 400)  # 400: the copy came first and the new zone would strand its sessions
    target.refresh_from_db()
    copy = TrainingProgram.objects.get(athlete=target)
    for session in copy.sessions.all():
        assert copy.start_date <= session.scheduled_at.astimezone(target.tzinfo).date() <= copy.end_date
