"""The plan library in the admin: the template library, a template's week grid, "Save as template" on programs and
"Apply to athletes or a squad…" (preview of the first week per timezone, then confirm)."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from tests.support.factories.athletes import AthleteProfileFactory, SquadFactory
from tests.support.factories.training import ProgramTemplateFactory, template_session
from training.library.models import ProgramTemplate
from training.models import TrainingProgram, TrainingSession

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/training/programtemplate/"


def _admin(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_library_lists_a_coachs_own_and_the_shared_templates(world):
    shared = ProgramTemplateFactory(title="Club marathon", shared=True)
    text = _admin(world.coach).get(CHANGELIST).content.decode()
    assert "Template of A" in text and "Club marathon" in text and "Template of B" not in text
    mine = _admin(world.coach).get(CHANGELIST, {"owner": "mine"}).content.decode()
    assert "Template of A" in mine and "Club marathon" not in mine
    only_shared = _admin(world.coach).get(CHANGELIST, {"shared__exact": "1"}).content.decode()
    assert "Club marathon" in only_shared and "Template of A" not in only_shared
    found = _admin(world.coach).get(CHANGELIST, {"q": "marathon"}).content.decode()
    assert "Club marathon" in found and "Template of A" not in found
    by_owner = _admin(world.users["head coach"]).get(CHANGELIST, {"owner": str(shared.owner_id)}).content.decode()
    assert "Club marathon" in by_owner and "Template of B" not in by_owner


def test_a_template_page_shows_its_weeks_day_by_day(world):
    template = ProgramTemplateFactory(
        owner=world.coach,
        weeks=2,
        phases=[{"name": "Base", "focus": "Aerobic", "startWeek": 1, "endWeek": 2}],
        sessions=[
            template_session(1, 3, "18:15", title="Hill sprints"),
            template_session(2, 7, "09:00", title="Long run"),
        ],
    )
    text = _admin(world.coach).get(f"{CHANGELIST}{template.pk}/change/").content.decode()
    assert 'class="template-grid"' in text
    assert text.count('<tr><th scope="row">Week ') == 2
    assert "<strong>18:15</strong> Hill sprints" in text and "<strong>09:00</strong> Long run" in text
    # Wednesday of week 1 is its row's third day cell.
    row = text.split('<th scope="row">Week 1')[1].split("</tr>")[0]
    assert row.split("<td>")[3].find("Hill sprints") >= 0


def test_another_coachs_shared_template_is_read_only_for_a_coach(world):
    theirs = world.B["program-templates"]
    ProgramTemplate.objects.filter(pk=theirs.pk).update(shared=True)
    client = _admin(world.coach)
    page = client.get(f"{CHANGELIST}{theirs.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    refused = client.post(f"{CHANGELIST}{theirs.pk}/change/", {"title": "Mine", "weeks": 4, "description": ""})
    assert refused.status_code == 403
    assert ProgramTemplate.objects.get(pk=theirs.pk).title == "Template of B"


def test_the_owner_edits_and_a_rule_shows_on_the_form(world):
    template = world.A["program-templates"]
    client = _admin(world.coach)
    shorter = client.post(f"{CHANGELIST}{template.pk}/change/", {"title": "Renamed", "weeks": 3, "description": ""})
    assert shorter.status_code == 200  # the form again: week 4's sessions and phase would fall outside
    assert "after the template&#x27;s last week" in shorter.content.decode()
    saved = client.post(f"{CHANGELIST}{template.pk}/change/", {"title": "Renamed", "weeks": 4, "description": "x"})
    assert saved.status_code == 302
    assert ProgramTemplate.objects.get(pk=template.pk).title == "Renamed"


def test_save_as_template_on_programs(world):
    program = world.A["programs"]
    response = _admin(world.coach).post(
        "/admin/training/trainingprogram/",
        {"action": "save_as_template", ACTION_CHECKBOX_NAME: [str(program.pk)]},
        follow=True,
    )
    template = ProgramTemplate.objects.get(title=program.title)
    assert template.owner == world.coach
    assert len(template.sessions) == 1
    assert "Saved 1 as template" in response.content.decode()


def _apply(client, template, **fields):
    return client.post(CHANGELIST, {"action": "apply_to_athletes", ACTION_CHECKBOX_NAME: [str(template.pk)], **fields})


def test_apply_previews_the_first_week_in_each_timezone_then_writes_on_confirm(world):
    template = ProgramTemplateFactory(owner=world.coach, weeks=2, sessions=[template_session(1, 1, "07:30")])
    oslo = world.A["athletes"]  # Europe/Oslo
    tokyo = AthleteProfileFactory(timezone="Asia/Tokyo", display_name="Kenji")
    tokyo.coaches.add(world.coach)
    client = _admin(world.coach)
    form = _apply(client, template)
    assert form.status_code == 200 and "Preview" in form.content.decode()
    fields = {"athletes": [str(oslo.pk), str(tokyo.pk)], "start_date": "2030-03-25", "title": ""}
    preview = _apply(client, template, preview="1", **fields).content.decode()
    assert "Asia/Tokyo" in preview and "Europe/Oslo" in preview
    assert "Mon 2030-03-25 07:30" in preview
    assert "2030-03-24 22:30 UTC" in preview and "2030-03-25 06:30 UTC" in preview  # Tokyo +9, Oslo +1
    assert not TrainingProgram.objects.filter(start_date="2030-03-25").exists()
    done = _apply(client, template, confirm="1", **fields)
    assert done.status_code == 302
    assert TrainingProgram.objects.filter(start_date="2030-03-25").count() == 2
    assert TrainingSession.objects.filter(program__start_date="2030-03-25").count() == 2


def test_apply_to_a_squad_and_the_form_errors(world):
    template = world.A["program-templates"]
    squad = SquadFactory(coaches=[world.coach], athletes=[world.A["athletes"]])
    client = _admin(world.coach)
    neither = _apply(client, template, preview="1", start_date="2030-01-07").content.decode()
    assert "Pick athletes or a squad" in neither
    done = _apply(client, template, confirm="1", squad=str(squad.pk), start_date="2030-01-07", title="Squad block")
    assert done.status_code == 302
    assert TrainingProgram.objects.filter(title="Squad block", athlete=world.A["athletes"]).count() == 1
    # Another coach's squad is not offered, so it is not a valid choice.
    theirs = _apply(client, template, preview="1", squad=str(world.B["squads"].pk), start_date="2030-01-07")
    assert "Select a valid choice" in theirs.content.decode()


def test_odd_input_is_a_message_or_a_form_error_never_a_500(world):
    client = _admin(world.coach)
    assert client.get(CHANGELIST, {"owner": "²"}).status_code == 200
    late = _apply(client, world.A["program-templates"], preview="1", athletes=[str(world.A["athletes"].pk)],
                  start_date="9999-12-30")  # fmt: skip
    assert late.status_code == 200 and "Ensure this value is less than or equal to" in late.content.decode()
    long = TrainingProgram.objects.create(
        athlete=world.A["athletes"], title="Two seasons", start_date="2030-01-07", end_date="2032-01-11"
    )  # 105 weeks: more than a template holds
    response = client.post(
        "/admin/training/trainingprogram/",
        {"action": "save_as_template", ACTION_CHECKBOX_NAME: [str(long.pk), str(world.A["programs"].pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    assert ProgramTemplate.objects.count() == 2  # the world's two: neither selected program was saved
