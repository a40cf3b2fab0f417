"""Find existing rows that break the plan's coherence rules, for the migration that introduces them.

Works on the models of a migration state (`apps`), so it keeps working when the models change later. Two
kinds of finding:
- **blocking**: rows that the same migration's new database constraints would refuse (two current
  micro-cycles in a program, an RPE on a session that is not completed, a session or micro-cycle whose phase,
  micro-cycle and program disagree). The constraint cannot be added while they exist, so the migration stops
  with this report instead of the database's one-line error.
- **report**: rows that break a rule `clean()` now checks (a micro-cycle's week outside its phase, a session
  outside its program, phase or week, a `completedAt` in the future). They are listed and left alone: nothing
  is changed silently, the migration goes on, and the rows are refused only when a write moves them.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from core.placement import cycle_week, local_day, overlaps

COMPLETED = "completed"
CURRENT = "current"
COMPLETED_AT_CLOCK_SKEW_SECONDS = 300  # as training.models.COMPLETED_AT_CLOCK_SKEW
SHOWN_PER_RULE = 20


@dataclass
class PlanReport:
    blocking: dict[str, list[str]] = field(default_factory=dict)
    report: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, rule: str, row: str) -> None:
        getattr(self, kind).setdefault(rule, []).append(row)

    @property
    def empty(self) -> bool:
        return not self.blocking and not self.report

    def lines(self) -> list[str]:
        out = []
        for kind, title in (("blocking", "must be fixed first"), ("report", "reported, left as they are")):
            for rule, rows in getattr(self, kind).items():
                out.append(f"{rule} ({len(rows)} rows, {title}):")
                out.extend(f"  {row}" for row in rows[:SHOWN_PER_RULE])
                if len(rows) > SHOWN_PER_RULE:
                    out.append(f"  ... and {len(rows) - SHOWN_PER_RULE} more")
        return out


def plan_report(apps, using: str = "default") -> PlanReport:
    """Every row of the training plan that breaks a coherence rule, by rule."""
    report = PlanReport()
    cycle_model = apps.get_model("training", "MicroCycle")
    session_model = apps.get_model("training", "TrainingSession")

    doubled = (
        cycle_model.objects.using(using)
        .filter(status=CURRENT)
        .values("program_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("program_id")
    )
    for row in doubled:
        report.add("blocking", "two or more current micro-cycles in a program", f"program {row['program_id']}")

    cycles = cycle_model.objects.using(using).values_list(
        "id",
        "program_id",
        "week_index",
        "phase_id",
        "phase__program_id",
        "phase__start_date",
        "phase__end_date",
        "program__start_date",
        "program__end_date",
    )
    for cycle_id, program_id, week, phase_id, phase_program, phase_start, phase_end, start, end in cycles.order_by(
        "id"
    ).iterator(chunk_size=2000):
        if phase_id is None:
            continue
        if phase_program != program_id:
            report.add("blocking", "micro-cycle whose phase is in another program", f"micro-cycle {cycle_id}")
            continue
        first, last = cycle_week(start, end, week)
        if not overlaps(first, last, phase_start, phase_end):
            report.add(
                "report",
                "micro-cycle week outside its phase",
                f"micro-cycle {cycle_id}: week {week} ({first} – {last}), phase {phase_start} – {phase_end}",
            )

    now = timezone.now()
    sessions = session_model.objects.using(using).values_list(
        "id",
        "status",
        "rpe",
        "completed_at",
        "scheduled_at",
        "program_id",
        "program__start_date",
        "program__end_date",
        "program__athlete__timezone",
        "phase_id",
        "phase__program_id",
        "phase__start_date",
        "phase__end_date",
        "micro_cycle_id",
        "micro_cycle__program_id",
        "micro_cycle__phase_id",
        "micro_cycle__week_index",
    )
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    for row in sessions.order_by("id").iterator(chunk_size=2000):
        (sid, status, rpe, completed_at, scheduled_at, program_id, start, end, tz_name) = row[:9]
        (phase_id, phase_program, phase_start, phase_end, cycle_id, cycle_program, cycle_phase, week) = row[9:]
        if rpe is not None and status != COMPLETED:
            report.add("blocking", "RPE on a session that is not completed", f"session {sid} ({status})")
        if completed_at is not None and (completed_at - now).total_seconds() > COMPLETED_AT_CLOCK_SKEW_SECONDS:
            report.add("report", "completedAt in the future", f"session {sid}: {completed_at.isoformat()}")
        agree = True
        if phase_id is not None and phase_program != program_id:
            report.add("blocking", "session whose phase is in another program", f"session {sid}")
            agree = False
        if cycle_id is not None and cycle_program != program_id:
            report.add("blocking", "session whose micro-cycle is in another program", f"session {sid}")
            agree = False
        if cycle_id is not None and phase_id is not None and cycle_phase != phase_id:
            report.add("blocking", "session whose micro-cycle is in another phase", f"session {sid}")
            agree = False
        if not agree:
            continue
        tz = zones.setdefault(tz_name, zoneinfo.ZoneInfo(tz_name))
        day = local_day(scheduled_at, tz)
        where = None
        if day is None or not start <= day <= end:
            where = f"program {start} – {end}"
        elif phase_id is not None and not phase_start <= day <= phase_end:
            where = f"phase {phase_start} – {phase_end}"
        elif week is not None:
            first, last = cycle_week(start, end, week)
            if not first <= day <= last:
                where = f"week {week} ({first} – {last})"
        if where is not None:
            report.add("report", "session outside its program, phase or week", f"session {sid}: {day}, {where}")
    return report
