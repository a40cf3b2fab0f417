"""Copying a program while the target athlete's timezone changes (PostgreSQL, real concurrent requests)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, HeadCoachFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from tests.support.utils import postgres_only, status_codes_at_once
from training.models import TrainingProgram

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
START = date(2030, 1, 7)


@pytest.mark.parametrize("round_", range(4))
def test_clone_and_timezone_change_never_strand_a_session(round_):
    """Sessions at 23:30 on the program's last day: read in Tokyo, the New York instants would fall on the next
    day. Whichever request comes first, the copy keeps 23:30 local in the zone that stands: a copy made first
    is moved by the timezone change, one made after is copied in Tokyo."""
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
    assert (clone, patch) == (201, 200)
    target.refresh_from_db()
    assert target.timezone == "Asia/Tokyo"
    copy = TrainingProgram.objects.get(athlete=target)
    assert copy.sessions.count() == 20
    for session in copy.sessions.all():
        local = session.scheduled_at.astimezone(target.tzinfo)
        assert (local.date(), local.hour, local.minute) == (copy.end_date, 23, 30)
