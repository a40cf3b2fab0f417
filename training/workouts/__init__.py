"""Workouts: what a session contains, prescribed, logged and sent to a device.

This package owns:
- the exercise catalogue (`models.Exercise`, `/api/v1/exercises/`), shipped with common exercises by a data
  migration;
- a session's `structure` (`structure`: its schema, validation with the path of every error, the summary and
  the %1RM loads resolved from the athlete's estimated one-rep max), stored as a JSON column of the session so
  it is read and written with the session in the same query;
- the sets an athlete performed (`models.PerformedSet`, `/api/v1/sessions/{id}/sets/`, replaced whole) and the
  personal records derived from them (`records`, `/api/v1/athletes/{id}/records/`);
- the exports of a session to watches and trainers (`exports`: a FIT workout file, a Zwift workout, and the
  structure as text for the calendar feed).
"""
