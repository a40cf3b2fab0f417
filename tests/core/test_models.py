"""TimeStampedModel: UUIDv7 keys, maintained timestamps and the version counter behind ETags."""

import time
import uuid
from datetime import timedelta

import pytest
import uuid6
from django.utils import timezone

from athletes.models import AthleteProfile
from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import TrainingProgramFactory

pytestmark = pytest.mark.django_db


def test_ids_are_uuid_version_7():
    profile = AthleteProfileFactory()
    program = TrainingProgramFactory(athlete=profile)
    for obj in (profile, program):
        assert isinstance(obj.pk, uuid.UUID)
        assert obj.pk.version == 7


def test_ids_are_time_ordered():
    ids = []
    for _ in range(5):
        ids.append(AthleteProfileFactory().pk)
        time.sleep(0.002)  # UUIDv7 orders by millisecond; within one ms order comes from a counter
    assert ids == sorted(ids)
    # and the database sorts them the same way
    assert list(AthleteProfile.objects.order_by("pk").values_list("pk", flat=True)) == ids


def test_uuid7_embeds_creation_time():
    # uuid6 keeps ids strictly increasing by running its millisecond ahead of the clock after a burst
    # (last + 1 within one ms), so the embedded time is max(clock, previous id's time + 1).
    last = uuid6._last_v7_timestamp or 0
    before = int(time.time() * 1000)
    profile = AthleteProfileFactory()
    after = int(time.time() * 1000)
    assert max(before, last + 1) <= profile.pk.int >> 80 <= max(after, last + 1)


def test_created_at_and_updated_at_are_set_on_create():
    before = timezone.now()
    profile = AthleteProfileFactory()
    assert before <= profile.created_at <= timezone.now()
    assert profile.updated_at >= profile.created_at
    assert profile.updated_at - profile.created_at < timedelta(seconds=1)


def test_updated_at_moves_and_created_at_stays_on_save():
    profile = AthleteProfileFactory()
    created, updated = profile.created_at, profile.updated_at
    time.sleep(0.01)
    profile.display_name = "Renamed"
    profile.save()
    profile.refresh_from_db()
    assert profile.created_at == created
    assert profile.updated_at > updated


def test_version_starts_at_1_and_bumps_on_every_save():
    profile = AthleteProfileFactory()
    assert profile.version == 1
    profile.save()
    profile.save()
    profile.refresh_from_db()
    assert profile.version == 3


def test_save_with_update_fields_still_bumps_version_and_updated_at():
    profile = AthleteProfileFactory()
    updated = profile.updated_at
    time.sleep(0.01)
    profile.coach_notes = "Easy week"
    profile.save(update_fields=["coach_notes"])
    profile.refresh_from_db()
    assert profile.version == 2
    assert profile.updated_at > updated
    assert profile.coach_notes == "Easy week"


def test_version_is_not_editable():
    field = AthleteProfile._meta.get_field("version")
    assert field.editable is False
    assert AthleteProfile._meta.get_field("id").editable is False
