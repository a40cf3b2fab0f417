"""The coach's day in a real browser at laptop sizes: lists and the program page fit without horizontal
scrolling, session times round-trip in a Tokyo athlete's zone, pickers tell programs and weeks apart, bulk
"Mark completed" leaves a log entry per session, and the demo is green right after seed_demo."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.management import call_command
from django.utils import timezone

from health.models import ConnectionHealthEvent
from tests.support.browser import PASSWORD, login, pick_autocomplete
from tests.support.factories.athletes import AthleteProfileFactory, StaffFactory
from tests.support.factories.training import ProgramPhaseFactory, TrainingProgramFactory, TrainingSessionFactory
from training.management.commands.seed_demo import PASSWORD_ENV, seed_demo
from training.models import MicroCycle, SessionStatus, TrainingProgram, TrainingSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"1440x900": (1440, 900), "1366x768": (1366, 768)}
LONG_TITLE = "Marathon build with threshold blocks, hill repeats and a long taper before the spring race " * 2
LONG_NAME = "Maximiliane Alexandra von Hohenzollern-Sigmaringen-Wittelsbach"


@pytest.fixture
def open_page(browser, live_server):
    """`open_page(width, height)`: a logged-out page of a fresh browser context at that viewport size."""
    contexts = []

    def make(width: int, height: int):
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def superuser(transactional_db):
    return StaffFactory(username="head-coach", is_superuser=True)


def overflow(page) -> dict:
    """The page's horizontal overflow, and any changelist table that scrolls inside its box."""
    return page.evaluate(
        """() => ({
            page: document.scrollingElement.scrollWidth - innerWidth,
            inner: Array.from(document.querySelectorAll('.results, .inline-group, fieldset'))
                .filter(e => e.scrollWidth > e.clientWidth + 1)
                .map(e => (e.id || e.className) + ' ' + e.scrollWidth + '>' + e.clientWidth),
        })"""
    )


def assert_fits(page, what: str) -> None:
    found = overflow(page)
    assert found["page"] <= 0, f"{what}: the page scrolls sideways by {found['page']} px"
    assert not found["inner"], f"{what}: scrolls inside {found['inner']}"


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_lists_and_the_program_page_fit_without_horizontal_scroll(open_page, superuser, screenshot, size):
    seed_demo(athletes=5, weeks=12, password=PASSWORD)
    # The longest title and name the models allow: they must truncate, not widen the page.
    athlete = AthleteProfileFactory(display_name=LONG_NAME[:80], timezone="America/Argentina/ComodRivadavia")
    today = timezone.localdate()
    program = TrainingProgramFactory(
        athlete=athlete,
        title=LONG_TITLE[:120],
        start_date=today - timedelta(days=21),
        end_date=today + timedelta(days=62),
    )
    ProgramPhaseFactory(program=program, name="N" * 120, focus="F" * 120, end_date=today + timedelta(days=20))
    MicroCycle.objects.create(program=program, week_index=3, status="current")
    TrainingSessionFactory(program=program, title=LONG_TITLE[:120], scheduled_at=timezone.now() + timedelta(days=1))
    TrainingSessionFactory(
        program=program,
        title="T" * 120,
        scheduled_at=timezone.now() - timedelta(days=1),
        status=SessionStatus.COMPLETED,
        load=14400,
    )

    page = open_page(*VIEWPORTS[size])
    login(page, superuser.username)
    small = size == "1366x768"
    for url, name in (
        ("/admin/training/trainingprogram/", "08-program-list"),
        ("/admin/training/trainingsession/", "12-session-list"),
        ("/admin/training/microcycle/", "13-micro-cycle-list"),
        ("/admin/athletes/athleteprofile/", "14-athlete-list"),
    ):
        page.goto(url)
        assert page.locator("#result_list tbody tr").count() > 0
        assert_fits(page, f"{url} at {size}")
        if small:
            screenshot(page, name)
    # The long title is cut in the list, with the whole title on hover.
    page.goto("/admin/training/trainingprogram/")
    cell = page.locator("#result_list .field-title_display .truncate", has_text="Marathon build").first
    assert cell.get_attribute("title") == LONG_TITLE[:120]
    assert cell.evaluate("e => e.scrollWidth > e.clientWidth")  # visibly truncated

    page.goto(f"/admin/training/trainingprogram/{program.pk}/change/")
    assert page.locator("#phases-group").is_visible()
    assert page.locator("#phases-group .delete, #phases-group td.delete").first.is_visible()
    assert_fits(page, f"the program page at {size}")
    status = page.locator("#phases-group td.field-status").first
    assert status.bounding_box()["x"] + status.bounding_box()["width"] <= VIEWPORTS[size][0]
    if small:
        screenshot(page, "15-program-page", full_page=True)


def test_session_times_typed_and_shown_in_a_tokyo_athletes_zone_round_trip(page, superuser, screenshot):
    page.set_viewport_size({"width": 1366, "height": 768})
    athlete = AthleteProfileFactory(display_name="Kenji Ito", timezone="Asia/Tokyo")
    program = TrainingProgramFactory(
        athlete=athlete, title="Tokyo build", start_date=date(2026, 11, 2), end_date=date(2026, 12, 27)
    )
    login(page, superuser.username)
    page.goto("/admin/training/trainingsession/add/")
    pick_autocomplete(page, "program", "Tokyo build")
    page.fill("#id_title", "Tempo run")
    page.fill("#id_scheduled_at", "2026-11-26T07:00")
    page.fill("#id_duration_minutes", "45")
    page.select_option("#id_modality", "run")
    assert "server time" not in page.locator("#content").inner_text()  # no browser-zone hint
    page.click("input[name=_continue]")
    assert "was added successfully" in page.locator(".messagelist").inner_text()

    session = TrainingSession.objects.get(program=program)
    assert session.scheduled_at == datetime(2026, 11, 25, 22, 0, tzinfo=UTC)  # 07:00 JST is 22:00 UTC
    # The change form shows the athlete's wall-clock time and says whose zone it is.
    assert page.locator("#id_scheduled_at").input_value() == "2026-11-26T07:00"
    assert "Asia/Tokyo" in page.locator(".field-scheduled_at label").inner_text()
    screenshot(page, "16-session-form-tokyo", full_page=True)

    # Typed again, a different time: saved as the matching UTC instant.
    page.fill("#id_scheduled_at", "2026-11-27T06:30")
    page.click("input[name=_continue]")
    session.refresh_from_db()
    assert session.scheduled_at == datetime(2026, 11, 26, 21, 30, tzinfo=UTC)

    page.goto("/admin/training/trainingsession/")
    row = page.locator("#result_list tbody tr", has_text="Tempo run")
    assert "2026-11-27 06:30 JST" in row.inner_text()

    # A time the clocks skip is refused on the field, saying so.
    oslo = TrainingProgramFactory(
        athlete=AthleteProfileFactory(display_name="Ola Nordmann", timezone="Europe/Oslo"),
        title="Oslo spring",
        start_date=date(2026, 3, 2),
        end_date=date(2026, 4, 26),
    )
    page.goto("/admin/training/trainingsession/add/")
    pick_autocomplete(page, "program", "Oslo spring")
    page.fill("#id_title", "Intervals")
    page.fill("#id_scheduled_at", "2026-03-29T02:30")
    page.fill("#id_duration_minutes", "45")
    page.select_option("#id_modality", "run")
    page.click("input[name=_save]")
    assert "does not exist in Europe/Oslo" in page.locator(".field-scheduled_at .errorlist").inner_text()
    assert not TrainingSession.objects.filter(program=oslo).exists()


def select2_options(page, field: str, text: str = "") -> list[str]:
    """The options the autocomplete of `field` offers for `text`, once its answer has settled."""
    page.click(f".field-{field} .select2-selection")
    search = page.locator(".select2-container--open .select2-search__field")
    if text:
        search.press_sequentially(text, delay=20)
    options = page.locator(".select2-container--open .select2-results__option[role=option]")
    previous, stable = None, 0
    for _ in range(100):  # select2 waits 250 ms before asking; the answer must hold for 500 ms
        page.wait_for_timeout(100)
        if page.locator(".select2-container--open .loading-results").count():
            previous, stable = None, 0
            continue
        current = options.all_inner_texts()
        stable = stable + 1 if current == previous and current else 0
        previous = current
        if stable >= 5:
            break
    page.keyboard.press("Escape")
    return previous or []


def test_program_and_week_pickers_are_distinct_and_narrowed_on_demo_data(page, superuser, screenshot):
    page.set_viewport_size({"width": 1366, "height": 768})
    seed_demo(athletes=5, weeks=12, password=PASSWORD)
    login(page, superuser.username)
    page.goto("/admin/training/trainingsession/add/")
    programs = select2_options(page, "program")
    assert len(programs) == TrainingProgram.objects.count() == 10
    assert len(set(programs)) == len(programs), programs

    weeks_everyone = select2_options(page, "micro_cycle", "week 5")
    assert weeks_everyone and all("Week 5" in w for w in weeks_everyone)
    assert len(set(weeks_everyone)) == len(weeks_everyone)

    chosen = TrainingProgram.objects.filter(status="current").select_related("athlete").first()
    pick_autocomplete(page, "program", chosen.title + " — " + chosen.athlete.display_name)
    weeks = select2_options(page, "micro_cycle")
    prefix = f"{chosen.athlete.display_name} · {chosen.title} · Week "
    assert len(weeks) == min(20, chosen.micro_cycles.count())
    assert all(w.startswith(prefix) for w in weeks), weeks
    assert len(set(weeks)) == len(weeks)
    phases = select2_options(page, "phase")
    assert len(phases) == chosen.phases.count() and all(p.startswith(prefix[: -len("Week ")]) for p in phases)
    page.click(".field-micro_cycle .select2-selection")
    page.locator(".select2-container--open .select2-search__field").press_sequentially("week 5", delay=20)
    options = page.locator(".select2-container--open .select2-results__option[role=option]")
    for _ in range(50):
        texts = options.all_inner_texts()
        if len(texts) == 1 and "Week 5" in texts[0]:
            break
        page.wait_for_timeout(100)
    assert texts == [f"{prefix}5 {texts[0].split(' · Week 5 ')[-1]}"] if texts else False, texts
    screenshot(page, "17-week-picker")


def test_athlete_filter_autocomplete_filters_the_sessions(page, superuser):
    page.set_viewport_size({"width": 1366, "height": 768})
    seed_demo(athletes=3, weeks=4, password=PASSWORD)
    athlete = TrainingSession.objects.select_related("athlete").first().athlete
    login(page, superuser.username)
    page.goto("/admin/training/trainingsession/")
    page.click("#changelist-filter .select2-selection")
    page.fill(".select2-container--open .select2-search__field", athlete.display_name)
    page.click(f".select2-results__option:has-text('{athlete.display_name}')")
    page.wait_for_url(f"**athlete__id__exact={athlete.pk}**")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == athlete.sessions.count()
    assert set(page.locator("#result_list .field-athlete_display").all_inner_texts()) == {athlete.display_name}


def test_bulk_mark_completed_leaves_a_log_entry_per_session(page, superuser, screenshot):
    page.set_viewport_size({"width": 1366, "height": 768})
    now = timezone.now()
    program = TrainingProgramFactory(
        athlete=AthleteProfileFactory(display_name="Ada Runner", timezone="Asia/Tokyo"),
        title="Spring build",
        start_date=now.date() - timedelta(days=14),
    )
    due = [
        TrainingSessionFactory(program=program, title=f"Run {d}", scheduled_at=now - timedelta(days=d))
        for d in (1, 2, 3)
    ]
    login(page, superuser.username)
    page.goto(f"/admin/training/trainingsession/?program__id__exact={program.pk}")
    for session in due:
        page.check(f"input.action-select[value='{session.pk}']")
    page.select_option("select[name=action]", "mark_completed")
    page.click("button[name=index]")
    page.click("input[name=confirm]")  # no RPE given: none recorded
    assert "Marked 3 sessions completed." in page.locator(".messagelist").inner_text()
    entries = LogEntry.objects.filter(action_flag=CHANGE, user=superuser)
    assert sorted(e.object_id for e in entries) == sorted(str(s.pk) for s in due)

    page.goto(f"/admin/training/trainingsession/{due[0].pk}/change/")
    history = page.locator(".field-status_history ul.status-history li")
    assert history.count() == 1
    assert superuser.username in history.inner_text() and "Planned → Completed" in history.inner_text()
    assert "JST" in history.inner_text()
    screenshot(page, "18-session-status-history", locator="fieldset.module >> nth=0")


def test_admin_index_shows_pass_after_seed_demo_on_a_fresh_database(page, role_groups, monkeypatch, screenshot):
    page.set_viewport_size({"width": 1366, "height": 768})
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    call_command("seed_demo", "--athletes", "2", "--weeks", "4")
    # A second environment with the longest key there can be squeezes the other columns.
    ConnectionHealthEvent.objects.create(
        checked_at=timezone.now(), environment="e" * 40, status="pass", latency_ms=12345.6
    )
    login(page, "coach")  # the demo's own login
    verdict = page.locator("#health-verdicts tr[data-environment='development']")
    assert verdict.get_attribute("data-status") == "pass"
    assert "PASS" in verdict.inner_text()
    latency = page.locator("#health-verdicts thead th", has_text="Latency")
    # One line box for the heading's text: it does not wrap (a wrapped word gives one rectangle per line).
    lines = "e => { const r = document.createRange(); r.selectNodeContents(e); return r.getClientRects().length; }"
    assert latency.evaluate(lines) == 1
    assert page.locator("#site-name").inner_text() == "Cadence"
    screenshot(page, "19-index-after-seed-demo")
