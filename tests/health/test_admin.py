"""Health events in the admin are read-only for everyone; the index shows the newest verdict per environment."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from health.models import ConnectionHealthEvent
from health.selectors import newest_events
from tests.support.factories.athletes import StaffFactory
from tests.support.factories.health import ConnectionHealthEventFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:health_connectionhealthevent_changelist")
INDEX = reverse("admin:index")


def fail_event(**kwargs):
    return ConnectionHealthEventFactory(status="fail", error_code="DB_TIMEOUT", message="timed out", **kwargs)


def test_superuser_cannot_add_a_health_event(admin_client):
    assert admin_client.get(reverse("admin:health_connectionhealthevent_add")).status_code == 403
    assert admin_client.post(reverse("admin:health_connectionhealthevent_add"), {}).status_code == 403
    assert not ConnectionHealthEvent.objects.exists()


def test_superuser_cannot_change_a_health_event(admin_client):
    event = fail_event()
    url = reverse("admin:health_connectionhealthevent_change", args=[event.pk])
    page = admin_client.get(url)
    assert page.status_code == 200  # viewing is allowed, as a read-only page
    assert 'name="_save"' not in page.content.decode()
    data = {"environment": "forged", "status": "pass", "checked_at_0": "2026-01-01", "checked_at_1": "00:00"}
    assert admin_client.post(url, data).status_code == 403
    event.refresh_from_db()
    assert (event.environment, event.status) == ("development", "fail")


def test_superuser_cannot_delete_a_health_event(admin_client):
    event = fail_event()
    url = reverse("admin:health_connectionhealthevent_delete", args=[event.pk])
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    response = admin_client.get(CHANGELIST)
    assert response.context["action_form"] is None  # no actions at all, so no "delete selected"
    assert "delete_selected" not in response.content.decode()
    # Forcing the bulk delete action by hand does nothing either.
    admin_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [str(event.pk)], "post": "yes"})
    assert ConnectionHealthEvent.objects.filter(pk=event.pk).exists()


def test_health_events_are_newest_first_with_a_status_badge(admin_client):
    now = timezone.now()
    old = ConnectionHealthEventFactory(checked_at=now - timedelta(hours=2))
    new = fail_event(checked_at=now)
    response = admin_client.get(CHANGELIST)
    assert list(response.context["cl"].result_list) == [new, old]
    html = response.content.decode()
    assert 'class="health-badge health-fail"' in html and 'class="health-badge health-pass"' in html


@pytest.mark.parametrize(
    "query", ["environment=production", "status__exact=fail", "checked_at__year=2020&checked_at__month=3"]
)
def test_health_events_filter_by_environment_status_and_date(admin_client, query):
    fail_event(environment="production", checked_at=timezone.now().replace(year=2020, month=3, day=1))
    ConnectionHealthEventFactory(environment="staging")
    response = admin_client.get(f"{CHANGELIST}?{query}")
    assert response.context["cl"].result_count == 1


def test_health_event_changelist_costs_the_same_with_5_and_50_rows(admin_client):
    counts = []
    for target in (5, 50):
        while ConnectionHealthEvent.objects.count() < target:
            ConnectionHealthEventFactory(environment=f"env-{ConnectionHealthEvent.objects.count() % 7}")
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(CHANGELIST).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_newest_events_is_one_query_with_the_newest_per_environment():
    now = timezone.now()
    ConnectionHealthEventFactory(environment="production", checked_at=now - timedelta(minutes=5))
    newest_prod = fail_event(environment="production", checked_at=now)
    ConnectionHealthEventFactory(environment="staging", checked_at=now - timedelta(minutes=9))
    newest_staging = ConnectionHealthEventFactory(environment="staging", checked_at=now - timedelta(minutes=1))
    with CaptureQueriesContext(connection) as ctx:
        assert list(newest_events().order_by("environment")) == [newest_prod, newest_staging]
    assert len(ctx.captured_queries) == 1


def test_index_shows_the_latest_verdict_per_environment(admin_client, settings):
    settings.HEALTH_MAX_AGE_SECONDS = 300
    now = timezone.now()
    ConnectionHealthEventFactory(environment="production", checked_at=now - timedelta(minutes=3))
    fail_event(environment="production", checked_at=now)
    ConnectionHealthEventFactory(environment="development", checked_at=now)
    ConnectionHealthEventFactory(environment="staging", checked_at=now - timedelta(minutes=10))
    html = admin_client.get(INDEX).content.decode()
    assert 'data-environment="production"\n          data-status="fail"' in html
    assert 'data-environment="development"\n          data-status="pass"' in html
    assert 'data-environment="staging"\n          data-status="stale"' in html
    assert "DB_TIMEOUT" in html and "(this deployment)" in html


def test_index_verdicts_cost_one_query_however_many_environments(admin_client):
    counts = []
    for environments in (2, 12):
        for i in range(environments):
            ConnectionHealthEventFactory(environment=f"env-{i}")
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(INDEX).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_index_hides_verdicts_from_staff_who_may_not_view_events(client):
    ConnectionHealthEventFactory(environment="production")
    user = StaffFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_athleteprofile"))
    client.force_login(user)
    html = client.get(INDEX).content.decode()
    assert "health-verdicts" not in html
    user.user_permissions.add(Permission.objects.get(codename="view_connectionhealthevent"))
    client.force_login(user)
    assert 'id="health-verdicts"' in client.get(INDEX).content.decode()
