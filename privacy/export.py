"""The export of one athlete's data: a ZIP with one JSON file per kind, in the API's shapes (the API's own
serializers, camelCase keys), and a README.txt saying what each file holds.

The kinds are a list (`KINDS`): exporting a new kind of data is one entry, a file name, what it holds and a
function that reads it with a fixed number of queries (never one per row)."""

from __future__ import annotations

import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.core.files.storage import default_storage
from django.utils import timezone
from djangorestframework_camel_case.util import camelize
from rest_framework.utils.encoders import JSONEncoder

from athletes.models import AthleteProfile
from athletes.serializers import AthleteProfileSerializer
from training.activities.api import ActivitySerializer
from training.activities.models import Activity
from training.activities.selectors import with_session_id
from training.compliance.queries import with_before_today
from training.models import MicroCycle, ProgramPhase, TrainingProgram, TrainingSession
from training.season.api import SeasonEventSerializer
from training.season.models import SeasonEvent
from training.serializers import (
    MicroCycleSerializer,
    ProgramPhaseSerializer,
    TrainingProgramSerializer,
    TrainingSessionSerializer,
)
from training.workouts.fields import attach_one_rep_max
from training.workouts.models import PerformedSet
from training.workouts.performed_sets import SET_FIELDS, as_body, canonical
from wellness.api import WellnessEntrySerializer
from wellness.models import WellnessEntry


@dataclass(frozen=True)
class Kind:
    """One kind of data: `rows(athlete)` gives its JSON-ready rows; `files(athlete)` (optional) gives further files
    to put in the archive as (path, bytes), e.g. uploads as they were sent."""

    name: str  # the file: <name>.json
    holds: str  # the README's line
    rows: Callable[[AthleteProfile], list]
    files: Callable[[AthleteProfile], Iterable[tuple[str, bytes]]] | None = None


def _data(serializer_class, rows, **kwargs) -> list:
    return camelize(serializer_class(rows, many=True, **kwargs).data)


def _profile(athlete):
    fresh = AthleteProfile.objects.prefetch_related("coaches").get(pk=athlete.pk)
    return [camelize(AthleteProfileSerializer(fresh).data)]


def _programs(athlete):
    rows = TrainingProgram.objects.with_metrics().filter(athlete=athlete).order_by("start_date", "id")
    return _data(TrainingProgramSerializer, rows)


def _phases(athlete):
    rows = ProgramPhase.objects.filter(program__athlete=athlete).order_by("program_id", "phase_order", "id")
    return _data(ProgramPhaseSerializer, rows)


def _micro_cycles(athlete):
    rows = (
        MicroCycle.objects.with_session_counts().filter(program__athlete=athlete).order_by("program_id", "week_index")
    )
    return _data(MicroCycleSerializer, rows)


def _sessions(athlete):
    sessions = list(
        with_before_today(TrainingSession.objects.filter(athlete=athlete), timezone.now()).order_by(
            "scheduled_at", "id"
        )
    )
    attach_one_rep_max(sessions)
    sets = defaultdict(list)
    for row in PerformedSet.objects.filter(athlete=athlete).order_by("id").values("session_id", *SET_FIELDS):
        sets[row["session_id"]].append(canonical(row))
    rows = _data(TrainingSessionSerializer, sessions)
    for session, row in zip(sessions, rows, strict=True):
        row["performedSets"] = as_body(sets.get(session.pk, []))
    return rows


def _wellness(athlete):
    return _data(WellnessEntrySerializer, WellnessEntry.objects.filter(athlete=athlete).order_by("date", "id"))


def _events(athlete):
    return _data(SeasonEventSerializer, SeasonEvent.objects.filter(athlete=athlete).order_by("date", "id"))


def _activities_rows(athlete):
    rows = with_session_id(Activity.objects.filter(athlete=athlete)).order_by("created_at", "id")
    return _data(ActivitySerializer, rows)


def _activity_files(athlete):
    """Each uploaded file as it was sent, under activities/<activity id>/<the name it was uploaded with>; a file
    missing from storage is left out (its row still says it existed)."""
    for pk, name, stored in (
        Activity.objects.filter(athlete=athlete).order_by("created_at", "id").values_list("pk", "file_name", "file")
    ):
        try:
            with default_storage.open(stored, "rb") as handle:
                content = handle.read()
        except (FileNotFoundError, OSError):
            continue
        yield f"activities/{pk}/{Path(name).name or 'file'}", content


KINDS: list[Kind] = [
    Kind("profile", "the athlete's profile (GET /api/v1/athletes/{id}/), one object in a list", _profile),
    Kind("programs", "training programs with their derived metrics (as /api/v1/programs/)", _programs),
    Kind("phases", "the programs' phases (as /api/v1/phases/)", _phases),
    Kind(
        "micro-cycles",
        "the programs' weekly micro-cycles with their compliance (as /api/v1/micro-cycles/)",
        _micro_cycles,
    ),
    Kind(
        "sessions",
        "training sessions with their workout structure and compliance (as /api/v1/sessions/), each with "
        "`performedSets`: the sets done (as /api/v1/sessions/{id}/sets/)",
        _sessions,
    ),
    Kind("wellness", "daily wellness entries (as /api/v1/wellness/)", _wellness),
    Kind("events", "season events: races, tests, camps (as /api/v1/events/)", _events),
    Kind(
        "activities",
        "uploaded activity files with their figures and matched session (as /api/v1/activities/); each file as "
        "it was uploaded is in activities/<id>/",
        _activities_rows,
        _activity_files,
    ),
]


def readme(athlete: AthleteProfile, kinds: list[Kind]) -> str:
    lines = [
        "Cadence: export of one athlete's data",
        "",
        f"Athlete id: {athlete.pk}",
        f"Exported at: {timezone.now().isoformat()}",
        "",
        "Each file is a JSON array of objects in the shapes of the Cadence API (camelCase keys, UTC timestamps",
        "with Z, dates as YYYY-MM-DD; docs/api.md describes every field):",
        "",
    ]
    lines += [f"- {kind.name}.json: {kind.holds}" for kind in kinds]
    lines.append("")
    return "\n".join(lines)


def export_zip(athlete: AthleteProfile, kinds: list[Kind] | None = None) -> bytes:
    """The archive of `athlete`'s data (every kind of `kinds`, default KINDS)."""
    kinds = KINDS if kinds is None else kinds
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme(athlete, kinds))
        for kind in kinds:
            body = json.dumps(kind.rows(athlete), cls=JSONEncoder, ensure_ascii=False, indent=2)
            archive.writestr(f"{kind.name}.json", body)
            for path, content in kind.files(athlete) if kind.files else ():
                archive.writestr(path, content)
    return buffer.getvalue()
