"""Wellness: the athlete's own daily check-in (`models.WellnessEntry`, `/api/v1/athletes/{id}/wellness/{date}/`,
`/api/v1/wellness/`), readiness against their own 28-day baseline (`readiness`, `/athletes/{id}/readiness/`) and
the coaches' readiness board (`/api/v1/readiness-board/`, the admin's "Today" page).

Wellness is health data. It is written by the athlete only, read by the athlete and the staff who may see them,
and it is never written to logs, metrics labels, error reports or webhooks: nothing here logs an entry, and the
entries' SQL parameters are kept out of the database logger (core.redaction.HealthDataLogFilter)."""
