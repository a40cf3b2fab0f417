"""Activities in the admin: a coach sees only their athletes' activities with their figures, links one to a
session by hand, matches and unlinks with the list's actions; the session's page shows its activity's figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from tests.support.factories.training import ActivityFactory
from training.activities.models import Activity
from training.models import TrainingSession

pytestmark = pytest.mark.django_db

LIST = "/admin/training/activity/"


def _admin(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_coach_lists_only_their_athletes_activities_with_their_figures(world):
    world.A["activities"].file_name = "mine.fit"
    world.A["activities"].save()
    world.B["activities"].file_name = "theirs.fit"
    world.B["activities"].save()
    client = _admin(world.coach)
    text = client.get(LIST).content.decode()
    assert "mine.fit" in text and "theirs.fit" not in text
    assert "30.00 km" in text and "avg 140 / max 170 bpm" in text
    assert client.get(f"{LIST}{world.B['activities'].pk}/change/").status_code == 302  # not found: back to the list
    page = client.get(f"{LIST}{world.A['activities'].pk}/change/").content.decode()
    assert "120.5" in page and "1:00:00" in page


def test_the_list_costs_the_same_queries_for_many_rows(world, django_assert_max_num_queries):
    client = _admin(world.coach)
    client.get(LIST)
    ActivityFactory.create_batch(20, athlete=world.A["athletes"])
    with django_assert_max_num_queries(12):
        assert client.get(LIST).status_code == 200


def test_there_is_no_add_page_uploads_go_through_the_api(world):
    assert _admin(world.coach).get(f"{LIST}add/").status_code == 403


def test_the_change_page_links_a_session_which_becomes_completed(world):
    activity, session = world.A["activities"], world.A["sessions"]
    client = _admin(world.coach)
    response = client.post(f"{LIST}{activity.pk}/change/", {"link_session": str(session.pk)})
    assert response.status_code == 302, response.content.decode()[:3000]
    session.refresh_from_db()
    assert (session.activity_id, session.status) == (activity.pk, "completed")
    assert session.completed_at == activity.started_at + timedelta(seconds=activity.duration_seconds)


def test_another_athletes_session_is_not_offered(world):
    response = _admin(world.coach).post(
        f"{LIST}{world.A['activities'].pk}/change/", {"link_session": str(world.B["sessions"].pk)}
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Select a valid choice" in response.content.decode()
    assert TrainingSession.objects.get(pk=world.B["sessions"].pk).activity_id is None


def test_the_actions_match_and_unlink(world):
    activity, session = world.A["activities"], world.A["sessions"]  # started when the session is scheduled
    client = _admin(world.coach)
    response = client.post(LIST, {"action": "match_selected", "_selected_action": [str(activity.pk)]})
    assert response.status_code == 302
    assert TrainingSession.objects.get(pk=session.pk).activity_id == activity.pk
    response = client.post(LIST, {"action": "unlink_selected", "_selected_action": [str(activity.pk)]})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.activity_id is None
    assert session.status == "completed"  # unlinking keeps what the session records
    assert Activity.objects.filter(pk=activity.pk).exists()


def test_the_session_page_shows_its_activitys_figures(world):
    activity, session = world.A["activities"], world.A["sessions"]
    client = _admin(world.coach)
    assert "30.00 km" not in client.get(f"/admin/training/trainingsession/{session.pk}/change/").content.decode()
    TrainingSession.objects.filter(pk=session.pk).update(activity=activity)
    page = client.get(f"/admin/training/trainingsession/{session.pk}/change/").content.decode()
    assert "30.00 km" in page and "120.5" in page and activity.file_name in page


def test_the_athlete_admin_edits_max_heart_rate(world):
    athlete = world.A["athletes"]
    page = _admin(world.coach).get(f"/admin/athletes/athleteprofile/{athlete.pk}/change/").content.decode()
    assert 'name="max_heart_rate"' in page
