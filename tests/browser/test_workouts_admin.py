"""A coach builds a session's workout in the admin by clicking, at laptop sizes: a warm-up, a repeat of two steps
and an exercise picked from the catalogue, with the summary following every change; an invalid value comes
back with its error at the input; the sets the athlete logged are beside the prescription. The editor and its
scripts come from the app: the browser asks no other host for anything."""

from urllib.parse import urlsplit

import pytest

from tests.support.browser import login
from tests.support.factories.athletes import StaffFactory
from tests.support.factories.training import ExerciseFactory, PerformedSetFactory, TrainingSessionFactory
from training.models import TrainingSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"1366": (1366, 768), "1440": (1440, 900)}
EDITOR = "#id_structure_jsonform"


@pytest.fixture
def open_page(browser, live_server):
    """`open_page(width, height)`: a page at that viewport that records every host it sends a request to."""
    contexts = []

    def make(width: int, height: int):
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.hosts = set()
        page.on("request", lambda request: page.hosts.add(urlsplit(request.url).netloc))
        return page

    yield make
    for context in contexts:
        context.close()


def field(page, path: str):
    return page.locator(f'{EDITOR} [name="rjf§{path}"]')


def summary(page) -> str:
    return page.locator("output.workout-summary").inner_text()


def wait_for_summary(page, text: str) -> None:
    page.wait_for_function("t => document.querySelector('output.workout-summary').textContent === t", arg=text)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_coach_builds_a_workout_by_clicking_and_the_summary_follows(open_page, live_server, screenshot, size):
    StaffFactory(username="head-coach", is_superuser=True)
    squat = ExerciseFactory(name="Zercher squat (test)")
    session = TrainingSessionFactory(title="Intervals and squats")
    page = open_page(*VIEWPORTS[size])
    login(page, "head-coach")
    page.goto(f"/admin/training/trainingsession/{session.pk}/change/")
    page.wait_for_selector(f"{EDITOR} .rjf-add-button")
    assert summary(page) == "No structure: the session is unstructured."
    editor, logged = page.locator(EDITOR).bounding_box(), page.locator(".logged-sets-empty").bounding_box()
    assert logged["x"] >= editor["x"] + editor["width"]  # the logged sets beside the editor at this size
    # The editor keeps its width beside them: a set's six inputs on one line.
    assert page.locator(EDITOR).bounding_box()["width"] >= 700

    # A 10-minute warm-up.
    page.locator(f"{EDITOR} .rjf-add-button").last.click()
    field(page, "steps§0§kind").select_option("warmup")
    field(page, "steps§0§duration§seconds").fill("600")
    wait_for_summary(page, "Time 0:10:00 · Distance 0.00 km · Sets 0 · Volume 0 kg")

    # 5 × (1 km work, 2:00 recovery).
    page.locator(f"{EDITOR} .rjf-add-button").last.click()
    page.locator(f"{EDITOR} .rjf-oneof-selector-input").nth(1).select_option(label="Repeat")
    field(page, "steps§1§times").fill("5")
    field(page, "steps§1§steps§0§kind").select_option("work")
    field(page, "steps§1§steps§0§duration§meters").fill("1000")
    page.locator(f"{EDITOR} .rjf-add-button").first.click()  # the repeat's own "Add item"
    field(page, "steps§1§steps§1§kind").select_option("recovery")
    field(page, "steps§1§steps§1§duration§seconds").fill("120")
    wait_for_summary(page, "Time 0:20:00 · Distance 5.00 km · Sets 0 · Volume 0 kg")

    # Squats from the picker: 5 × 100 kg, and a second set at 80 %1RM.
    page.locator(f"{EDITOR} .rjf-add-button").last.click()
    page.locator(f"{EDITOR} .rjf-oneof-selector-input").nth(2).select_option(label="Exercise")
    field(page, "steps§2§exerciseId").select_option(label=squat.name)
    field(page, "steps§2§sets§0§reps").fill("5")
    field(page, "steps§2§sets§0§loadKg").fill("100")
    page.locator(f"{EDITOR} .rjf-add-button").nth(1).click()  # the sets' "Add item"
    field(page, "steps§2§sets§1§reps").fill("3")
    field(page, "steps§2§sets§1§percent1rm").fill("80")
    wait_for_summary(page, "Time 0:20:00 · Distance 5.00 km · Sets 2 · Volume 500 kg + 1 set at %1RM")
    page.locator("fieldset.workout").scroll_into_view_if_needed()
    screenshot(page, f"admin-session-structure-{size}", locator="fieldset.workout")

    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    session.refresh_from_db()
    assert session.structure == {
        "steps": [
            {"kind": "warmup", "duration": {"seconds": 600}},
            {
                "kind": "repeat",
                "times": 5,
                "steps": [
                    {"kind": "work", "duration": {"meters": 1000}},
                    {"kind": "recovery", "duration": {"seconds": 120}},
                ],
            },
            {
                "kind": "exercise",
                "exerciseId": str(squat.pk),
                "sets": [{"reps": 5, "loadKg": 100, "restSeconds": 0}, {"reps": 3, "percent1rm": 80, "restSeconds": 0}],
            },
        ]
    }
    assert summary(page) == "Time 0:20:00 · Distance 5.00 km · Sets 2 · Volume 500 kg + 1 set at %1RM"
    assert page.hosts == {urlsplit(live_server.url).netloc}


def test_an_invalid_value_comes_back_with_its_error_at_the_input(open_page, live_server, screenshot):
    StaffFactory(username="head-coach", is_superuser=True)
    squat = ExerciseFactory(name="Zercher squat (test)")
    structure = {
        "steps": [
            {"kind": "warmup", "duration": {"seconds": 600}},
            {"kind": "exercise", "exerciseId": str(squat.pk), "sets": [{"reps": 5, "loadKg": 100, "rir": 2}]},
        ]
    }
    session = TrainingSessionFactory(status="completed", structure=structure)
    for index, (reps, load) in enumerate([(5, "100"), (5, "100"), (4, "102.5")], start=1):
        PerformedSetFactory(session=session, exercise=squat, set_index=index, reps=reps, load_kg=load, rir=2)
    page = open_page(*VIEWPORTS["1440"])
    login(page, "head-coach")
    page.goto(f"/admin/training/trainingsession/{session.pk}/change/")
    page.wait_for_selector("table.logged-sets")
    assert "Zercher squat (test) (3 sets)" in page.locator("table.logged-sets").inner_text()
    editor, logged = page.locator(EDITOR).bounding_box(), page.locator("table.logged-sets").bounding_box()
    assert logged["x"] >= editor["x"] + editor["width"]  # beside the prescription, not under it
    assert logged["y"] < editor["y"] + editor["height"] / 2
    screenshot(page, "admin-session-logged-sets", locator="fieldset.workout")

    field(page, "steps§1§sets§0§reps").fill("150")
    page.click("input[name=_continue]")
    page.wait_for_selector(".errornote")
    reps = page.locator(f"{EDITOR} .rjf-input-group:has([name='rjf§steps§1§sets§0§reps'])")
    assert reps.locator(".rjf-error-text").inner_text() == "Input should be less than or equal to 100"
    assert (
        "steps[1].sets[0].reps: Input should be less than or equal to 100"
        in page.locator(".field-structure .errorlist").inner_text()
    )
    reps.scroll_into_view_if_needed()
    screenshot(page, "admin-session-structure-error", locator="fieldset.workout")
    assert TrainingSession.objects.get(pk=session.pk).structure["steps"][1]["sets"][0]["reps"] == 5
    assert page.hosts == {urlsplit(live_server.url).netloc}
