"""Plan coherence: one current micro-cycle per program, RPE only on completed sessions, and (PostgreSQL)
composite foreign keys so a session's or micro-cycle's phase, micro-cycle and program always agree.

First it checks the existing rows (training.plan_report) and prints what breaks the new rules. Rows the new
constraints would refuse stop the migration with that list (fix them, then migrate again); rows that break only
the rules clean() checks are listed and left as they are.
"""

import logging

from django.db import migrations, models

from core import dialect

logger = logging.getLogger("training.migrations")

# PostgreSQL only: SQLite cannot add a foreign key to an existing table. Each composite key needs a unique
# key on the referenced columns. MATCH SIMPLE (the default): a null phase or micro-cycle is not checked.
PLAN_KEYS_SQL = [
    "ALTER TABLE training_programphase ADD CONSTRAINT phase_program_key UNIQUE (program_id, id)",
    "ALTER TABLE training_microcycle ADD CONSTRAINT cycle_program_key UNIQUE (program_id, id)",
    "ALTER TABLE training_microcycle ADD CONSTRAINT cycle_phase_key UNIQUE (id, phase_id)",
    # Checked at once: a write that breaks them fails at its own statement (a 400), not at commit.
    "ALTER TABLE training_microcycle ADD CONSTRAINT cycle_phase_same_program "
    "FOREIGN KEY (program_id, phase_id) REFERENCES training_programphase (program_id, id)",
    "ALTER TABLE training_trainingsession ADD CONSTRAINT session_phase_same_program "
    "FOREIGN KEY (program_id, phase_id) REFERENCES training_programphase (program_id, id)",
    "ALTER TABLE training_trainingsession ADD CONSTRAINT session_cycle_same_program "
    "FOREIGN KEY (program_id, micro_cycle_id) REFERENCES training_microcycle (program_id, id)",
    # Deferred to commit like Django's own foreign keys: deleting a phase empties the phase of its micro-cycles
    # and of their sessions in two statements, and only the end state must agree.
    "ALTER TABLE training_trainingsession ADD CONSTRAINT session_cycle_same_phase "
    "FOREIGN KEY (micro_cycle_id, phase_id) REFERENCES training_microcycle (id, phase_id) "
    "DEFERRABLE INITIALLY DEFERRED",
]
DROP_PLAN_KEYS_SQL = [
    "ALTER TABLE training_trainingsession DROP CONSTRAINT session_cycle_same_phase",
    "ALTER TABLE training_trainingsession DROP CONSTRAINT session_cycle_same_program",
    "ALTER TABLE training_trainingsession DROP CONSTRAINT session_phase_same_program",
    "ALTER TABLE training_microcycle DROP CONSTRAINT cycle_phase_same_program",
    "ALTER TABLE training_microcycle DROP CONSTRAINT cycle_phase_key",
    "ALTER TABLE training_microcycle DROP CONSTRAINT cycle_program_key",
    "ALTER TABLE training_programphase DROP CONSTRAINT phase_program_key",
]


def report_plan_rows(apps, schema_editor):
    from training.plan_report import plan_report

    report = plan_report(apps, using=schema_editor.connection.alias)
    if report.empty:
        return
    lines = ["Training plan rows that break the plan-coherence rules:", *report.lines()]
    text = "\n".join(lines)
    print("\n" + text)  # noqa: T201 (shown by `migrate`, where an operator reads it)
    logger.warning("%s", text)
    if report.blocking:
        raise RuntimeError(
            "The rows listed as 'must be fixed first' would break the constraints this migration adds; "
            "fix them (see docs/data-model.md) and run migrate again. Nothing was changed."
        )


def add_plan_keys(apps, schema_editor):
    if dialect.is_postgresql(schema_editor.connection):
        for sql in PLAN_KEYS_SQL:
            schema_editor.execute(sql)


def drop_plan_keys(apps, schema_editor):
    if dialect.is_postgresql(schema_editor.connection):
        for sql in DROP_PLAN_KEYS_SQL:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0003_session_rpe_planned_load"),
    ]

    operations = [
        migrations.RunPython(report_plan_rows, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="microcycle",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "current")),
                fields=("program",),
                name="cycle_one_current_per_program",
                violation_error_code="second_current_cycle",
                violation_error_message="This program already has a current micro-cycle.",
            ),
        ),
        migrations.AddConstraint(
            model_name="trainingsession",
            constraint=models.CheckConstraint(
                condition=models.Q(("rpe__isnull", True), ("status", "completed"), _connector="OR"),
                name="session_rpe_only_when_completed",
                violation_error_code="rpe_without_completed",
                violation_error_message="RPE can only be given for a completed session.",
            ),
        ),
        migrations.RunPython(add_plan_keys, drop_plan_keys),
    ]
