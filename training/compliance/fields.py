"""`compliance` as the API shows it on sessions and micro-cycles (training.compliance.rules), read-only."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import rules
from .queries import before_today_of

_COLOUR = {"type": "string", "enum": list(rules.COLOURS), "nullable": True}


@extend_schema_field(
    {
        "type": "object",
        "readOnly": True,
        "properties": {
            "basis": {"type": "string", "enum": ["load", "duration"], "nullable": True},
            "ratio": {"type": "number", "nullable": True},
            "colour": _COLOUR,
        },
    }
)
class SessionComplianceField(serializers.Field):
    """`{"basis", "ratio", "colour"}` from the session's own columns and `before_today` (the list's derived column;
    a row read without it, e.g. a write's answer, works it out from its athlete)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, session):
        before_today = getattr(session, "before_today", None)
        if before_today is None and session.status == "planned":
            before_today = before_today_of(session, timezone.now())
        return rules.session_compliance(
            status=session.status,
            load=session.load,
            planned_load=session.planned_load,
            duration_minutes=session.duration_minutes,
            actual_duration_minutes=session.actual_duration_minutes,
            before_today=bool(before_today),
        )


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "readOnly": True,
        "properties": {
            "plannedLoad": {"type": "number"},
            "load": {"type": "number"},
            "ratio": {"type": "number"},
            "colour": _COLOUR,
        },
    }
)
class WeekComplianceField(serializers.Field):
    """`{"plannedLoad", "load", "ratio", "colour"}` of a micro-cycle's sessions (the derived `planned_load_sum` and
    `load_done_sum`), null when nothing is planned."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, cycle):
        return rules.week_compliance(
            planned_load=getattr(cycle, "planned_load_sum", None), load=getattr(cycle, "load_done_sum", None)
        )
