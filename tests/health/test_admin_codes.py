"""The health admin speaks in error codes, and the verdict panel's headings stay on one line."""

import pytest
from django.urls import reverse

from tests.support.factories.health import ConnectionHealthEventFactory

pytestmark = pytest.mark.django_db


def test_error_code_filter_lists_codes_as_written(admin_client):
    ConnectionHealthEventFactory(status="fail", error_code="DB_UNREACHABLE", message="refused")
    html = admin_client.get(reverse("admin:health_connectionhealthevent_changelist")).content.decode()
    panel = html.split('id="changelist-filter"')[1]
    assert ">DB_UNREACHABLE</a>" in panel and ">PROFILE_MISSING</a>" in panel
    assert "Db Unreachable" not in panel


def test_error_code_filter_keeps_codes_with_counts_shown(admin_client):
    ConnectionHealthEventFactory(status="fail", error_code="DB_TIMEOUT", message="slow")
    html = admin_client.get(
        reverse("admin:health_connectionhealthevent_changelist"), {"_facets": "True"}
    ).content.decode()
    assert ">DB_TIMEOUT (1)</a>" in html.split('id="changelist-filter"')[1]


def test_verdict_panel_headings_do_not_wrap(admin_client):
    ConnectionHealthEventFactory(status="pass")
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert '<th scope="col" style="white-space:nowrap">Latency</th>' in html


def test_admin_is_branded_cadence_and_view_site_leads_to_the_api_docs(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert '<div id="site-name"><a href="/admin/">Cadence</a></div>' in html
    assert "<title>Cadence administration | Cadence admin</title>" in html
    assert "Django administration" not in html
    assert '<a href="/api/docs/" class="api-docs-link">API docs</a>' in html
    assert admin_client.get("/api/docs/").status_code == 200
