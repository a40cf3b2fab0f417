"""The compliance rules: pure functions, no database.

- `colour(ratio)`: `green` for 0.80 ≤ ratio ≤ 1.20, `yellow` for 0.50 ≤ ratio < 0.80 or 1.20 < ratio ≤ 1.50,
  `orange` otherwise; judged on the unrounded ratio (in exact decimals: loads and minutes have at most 2 decimals).
- a session: `completed` → basis `load` when its load and planned load are both > 0, else `duration` (the actual
  minutes, or the planned ones when not given, over the planned ones); `skipped`, or `planned` on a local date
  before the athlete's today → `red` (basis and ratio null); `planned` today or later → all null.
- a week (a micro-cycle's sessions, or the ISO week of a load-summary row): the load done over the load planned,
  null when nothing is planned.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

GREEN, YELLOW, ORANGE, RED = "green", "yellow", "orange", "red"
COLOURS = (GREEN, YELLOW, ORANGE, RED)
# What each colour means, for the legends (the admin shows the symbol beside the colour for colour-blind readers).
LEGEND = {
    GREEN: ("✓", "within 20 % of the plan"),
    YELLOW: ("~", "50–80 % or 120–150 % of the plan"),
    ORANGE: ("!", "under 50 % or over 150 % of the plan"),
    RED: ("✗", "missed or skipped"),
}
_LOW, _HIGH = Decimal("0.80"), Decimal("1.20")
_FAR_LOW, _FAR_HIGH = Decimal("0.50"), Decimal("1.50")
_CENTS = Decimal("0.01")


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def colour(done, planned) -> str:
    """The band of done / planned (planned > 0), judged on the exact ratio."""
    done, planned = _decimal(done), _decimal(planned)
    if _LOW * planned <= done <= _HIGH * planned:
        return GREEN
    if _FAR_LOW * planned <= done <= _FAR_HIGH * planned:
        return YELLOW
    return ORANGE


def ratio(done, planned) -> float:
    """done / planned to 2 decimals, halves away from zero."""
    return float((_decimal(done) / _decimal(planned)).quantize(_CENTS, rounding=ROUND_HALF_UP))


def session_compliance(
    *, status: str, load, planned_load, duration_minutes, actual_duration_minutes, before_today: bool
) -> dict:
    """`{"basis", "ratio", "colour"}` of one session (the module docstring)."""
    if status == "completed":
        if load is not None and planned_load is not None and load > 0 and planned_load > 0:
            return {"basis": "load", "ratio": ratio(load, planned_load), "colour": colour(load, planned_load)}
        done = actual_duration_minutes if actual_duration_minutes is not None else duration_minutes
        return {
            "basis": "duration",
            "ratio": ratio(done, duration_minutes),
            "colour": colour(done, duration_minutes),
        }
    if status == "skipped" or before_today:
        return {"basis": None, "ratio": None, "colour": RED}
    return {"basis": None, "ratio": None, "colour": None}


def week_compliance(*, planned_load, load) -> dict | None:
    """`{"plannedLoad", "load", "ratio", "colour"}` of a week's load over its planned load; None when nothing is
    planned (no planned load, or 0)."""
    # Sums of loads with 2 decimals, to the cent (a float sum may carry a binary tail: 0.1 + 0.2).
    planned = _decimal(planned_load or 0).quantize(_CENTS, rounding=ROUND_HALF_UP)
    if planned <= 0:
        return None
    done = _decimal(load or 0).quantize(_CENTS, rounding=ROUND_HALF_UP)
    return {
        "plannedLoad": float(planned),
        "load": float(done),
        "ratio": ratio(done, planned),
        "colour": colour(done, planned),
    }
