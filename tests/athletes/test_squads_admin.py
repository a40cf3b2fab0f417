"""Squads in the admin: a coach's changelist holds the squads they coach; adding one makes them its coach;
members they may not see are neither shown nor removed."""

from __future__ import annotations

import pytest
from django.test import Client

from athletes.models import Squad, SquadCoach
from tests.support.factories.athletes import SquadFactory

pytestmark = pytest.mark.django_db


def _admin(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_coach_lists_only_the_squads_they_coach(world):
    page = _admin(world.coach).get("/admin/athletes/squad/")
    assert page.status_code == 200
    assert "Squad of A" in page.content.decode() and "Squad of B" not in page.content.decode()
    assert _admin(world.coach).get(f"/admin/athletes/squad/{world.B['squads'].pk}/change/").status_code == 302


def test_a_head_coach_lists_every_squad(world):
    text = _admin(world.users["head coach"]).get("/admin/athletes/squad/").content.decode()
    assert "Squad of A" in text and "Squad of B" in text


def _management(prefix: str, total: int, initial: int) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_a_coach_who_adds_a_squad_coaches_it(world):
    a = world.A["athletes"]
    response = _admin(world.coach).post(
        "/admin/athletes/squad/add/",
        {
            "name": "Sprinters",
            **_management("squadcoach_set", 0, 0),
            **_management("squadathlete_set", 1, 0),
            "squadathlete_set-0-athlete": str(a.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    squad = Squad.objects.get(name="Sprinters")
    assert list(squad.athletes.all()) == [a]
    assert SquadCoach.objects.filter(squad=squad, coach=world.coach).exists()


def test_the_coach_cannot_add_an_athlete_they_may_not_see(world):
    response = _admin(world.coach).post(
        "/admin/athletes/squad/add/",
        {
            "name": "Sprinters",
            **_management("squadcoach_set", 0, 0),
            **_management("squadathlete_set", 1, 0),
            "squadathlete_set-0-athlete": str(world.B["athletes"].pk),
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not Squad.objects.filter(name="Sprinters").exists()


def test_a_name_taken_ignoring_case_is_a_form_error(world):
    response = _admin(world.coach).post(
        "/admin/athletes/squad/add/",
        {"name": "SQUAD OF B", **_management("squadcoach_set", 0, 0), **_management("squadathlete_set", 0, 0)},
    )
    assert response.status_code == 200
    assert "exists" in response.content.decode()
    assert Squad.objects.count() == 2


def test_hidden_members_survive_a_coachs_save(world):
    squad = world.A["squads"]
    squad.athletes.add(world.B["athletes"])
    client = _admin(world.coach)
    page = client.get(f"/admin/athletes/squad/{squad.pk}/change/").content.decode()
    assert str(world.A["athletes"].pk) in page and str(world.B["athletes"].pk) not in page
    membership = squad.squadathlete_set.get(athlete=world.A["athletes"])
    coaching = squad.squadcoach_set.get()
    response = client.post(
        f"/admin/athletes/squad/{squad.pk}/change/",
        {
            "name": "Renamed",
            **_management("squadcoach_set", 1, 1),
            "squadcoach_set-0-id": str(coaching.pk),
            "squadcoach_set-0-squad": str(squad.pk),
            "squadcoach_set-0-coach": str(world.coach.pk),
            **_management("squadathlete_set", 1, 1),
            "squadathlete_set-0-id": str(membership.pk),
            "squadathlete_set-0-squad": str(squad.pk),
            "squadathlete_set-0-athlete": str(world.A["athletes"].pk),
            "squadathlete_set-0-DELETE": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(Squad.objects.get(pk=squad.pk).athletes.all()) == [world.B["athletes"]]


def test_the_changelist_counts_only_visible_athletes_in_constant_queries(world, django_assert_max_num_queries):
    for _ in range(3):
        SquadFactory(coaches=[world.coach], athletes=[world.A["athletes"], world.B["athletes"]])
    client = _admin(world.coach)
    client.get("/admin/athletes/squad/")
    with django_assert_max_num_queries(12) as few:
        client.get("/admin/athletes/squad/")
    for _ in range(10):
        SquadFactory(coaches=[world.coach], athletes=[world.A["athletes"]])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/admin/athletes/squad/").status_code == 200


def test_the_delete_page_names_no_member_the_coach_may_not_see(world):
    squad = world.A["squads"]
    hidden = world.B["athletes"]
    hidden.display_name = "Hidden Person Zeta"
    hidden.save()
    squad.athletes.add(hidden)
    page = _admin(world.coach).get(f"/admin/athletes/squad/{squad.pk}/delete/").content.decode()
    assert "an athlete of Squad of A" in page
    assert "Hidden Person Zeta" not in page and hidden.user.username not in page
