"""The load CSV (the API's `Accept: text/csv` or `?format=csv`, and the admin's "days as CSV" link to it) is a
download with a file name: whose load and which days, in safe characters, RFC 6266 `filename*` for other letters."""

from urllib.parse import unquote

import pytest
from django.urls import reverse

from tests.support.factories.athletes import AthleteProfileFactory

pytestmark = pytest.mark.django_db

WINDOW = "?from=2026-03-01&to=2026-03-31"


def url(athlete, query=WINDOW):
    return f"/api/v1/athletes/{athlete.pk}/load/{query}"


@pytest.mark.parametrize("how", ["accept", "format"])
def test_the_api_csv_is_an_attachment_named_after_the_athlete_and_the_days(coach_client, how):
    athlete = AthleteProfileFactory(display_name="Ada Dahl")
    if how == "accept":
        response = coach_client.get(url(athlete), HTTP_ACCEPT="text/csv")
    else:
        response = coach_client.get(url(athlete, WINDOW + "&format=csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="cadence-load-ada-dahl-2026-03-01-2026-03-31.csv"'


def test_the_default_window_names_the_days_it_covers(coach_client):
    athlete = AthleteProfileFactory(display_name="Ada Dahl")
    response = coach_client.get(url(athlete, "?to=2026-03-31&format=csv"))
    assert response["Content-Disposition"].endswith('filename="cadence-load-ada-dahl-2026-01-07-2026-03-31.csv"')


def test_json_and_errors_have_no_file_name(coach_client):
    athlete = AthleteProfileFactory(display_name="Ada Dahl")
    assert "Content-Disposition" not in coach_client.get(url(athlete))
    refused = coach_client.get(url(athlete, "?from=2026-03-02&to=2026-03-01"), HTTP_ACCEPT="text/csv")
    assert refused.status_code == 400 and "Content-Disposition" not in refused


@pytest.mark.parametrize(
    ("name", "ascii_part", "unicode_part"),
    [
        ("Åsa Öberg", "asa-oberg", "åsa-öberg"),
        ("伊藤 健太", None, "伊藤-健太"),  # nothing ASCII: the id stands in for the plain file name
        ('Ann "Rocket"; x=1 / ../etc', "ann-rocket-x1-etc", None),  # quotes, separators, paths: dropped
    ],
)
def test_names_become_safe_file_names_with_rfc_6266_for_other_letters(coach_client, name, ascii_part, unicode_part):
    athlete = AthleteProfileFactory(display_name=name)
    header = coach_client.get(url(athlete, WINDOW + "&format=csv"))["Content-Disposition"]
    plain = header.split('filename="')[1].split('"')[0]
    assert plain == f"cadence-load-{ascii_part or athlete.pk}-2026-03-01-2026-03-31.csv"
    assert plain.isascii() and all(c.isalnum() or c in "-_." for c in plain)
    if unicode_part is None:
        assert "filename*" not in header
    else:
        encoded = header.split("filename*=UTF-8''")[1]
        assert encoded.isascii() and " " not in encoded and '"' not in encoded
        assert unquote(encoded) == f"cadence-load-{unicode_part}-2026-03-01-2026-03-31.csv"


def test_the_admins_csv_link_downloads_a_named_file(admin_client):
    athlete = AthleteProfileFactory(display_name="Kenji Ito", timezone="Asia/Tokyo")
    html = admin_client.get(reverse("admin:athletes_athleteprofile_change", args=[athlete.pk])).content.decode()
    link = html.split(f'href="/api/v1/athletes/{athlete.pk}/load/?')[1].split('"')[0].replace("&amp;", "&")
    response = admin_client.get(f"/api/v1/athletes/{athlete.pk}/load/?{link}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="cadence-load-kenji-ito-') and disposition.endswith('.csv"')
