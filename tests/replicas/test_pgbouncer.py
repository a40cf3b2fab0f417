"""Through a real PgBouncer in transaction mode (CI runs the API tests this way once): the app keeps no
session state, and server-side cursors are off so `.iterator()` outside a transaction still works."""

import os

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from athletes.models import AthleteProfile
from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.utils import ON_POSTGRES

pytestmark = pytest.mark.skipif(
    not (ON_POSTGRES and os.environ.get("CADENCE_TEST_PGBOUNCER") == "1" and settings.DB_POOLER == "pgbouncer"),
    reason="needs a PgBouncer in transaction mode: DATABASE_URL through it, DB_POOLER=pgbouncer and "
    "CADENCE_TEST_PGBOUNCER=1 (CI does this)",
)


def test_the_app_talks_to_pgbouncer_in_transaction_mode():
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="pgbouncer", autocommit=True
    ) as admin:
        cursor = admin.cursor()
        cursor.execute("SHOW CONFIG")
        config = {row[0]: row[1] for row in cursor.fetchall()}
    assert config["pool_mode"] == "transaction"
    assert db["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "options" not in db["OPTIONS"]


@pytest.mark.django_db(transaction=True)
def test_iterator_outside_a_transaction_works_without_server_side_cursors():
    AthleteProfileFactory.create_batch(5)
    names = [profile.display_name for profile in AthleteProfile.objects.order_by("display_name").iterator(chunk_size=2)]
    assert len(names) == 5
