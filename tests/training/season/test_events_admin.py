"""Season events in the admin: a coach lists and edits the events of their athletes only."""

from __future__ import annotations

import pytest
from django.test import Client

from training.season.models import SeasonEvent

pytestmark = pytest.mark.django_db


def _admin(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_coach_lists_and_edits_only_their_athletes_events(world):
    client = _admin(world.coach)
    text = client.get("/admin/training/seasonevent/").content.decode()
    assert "Race of A" in text and "Race of B" not in text
    assert client.get(f"/admin/training/seasonevent/{world.B['events'].pk}/change/").status_code == 302
    event = world.A["events"]
    response = client.post(
        f"/admin/training/seasonevent/{event.pk}/change/",
        {
            "athlete": str(event.athlete_id),
            "date": "2030-06-01",
            "name": "Moved race",
            "priority": "B",
            "kind": "race",
            "notes": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert SeasonEvent.objects.get(pk=event.pk).name == "Moved race"


def test_another_coachs_athlete_is_not_a_valid_choice(world):
    response = _admin(world.coach).post(
        "/admin/training/seasonevent/add/",
        {
            "athlete": str(world.B["athletes"].pk),
            "date": "2030-06-01",
            "name": "Theirs",
            "priority": "A",
            "kind": "race",
            "notes": "",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not SeasonEvent.objects.filter(name="Theirs").exists()
