# Drops the single-column indexes of foreign keys that a composite index already leads with.
#
# Not a plain AlterField(db_index=False): on PostgreSQL Django's schema editor then drops every non-Meta.indexes
# index on exactly that column, which includes the partial unique indexes behind program_one_current_per_athlete
# and phase_one_current_per_program. The indexes are dropped by name instead; the state gets the AlterFields.

import django.db.models.deletion
from django.db import migrations, models

# (table, column, the index name Django gave the foreign key's index)
COVERED = [
    ("training_microcycle", "program_id", "training_microcycle_program_id_971887eb"),
    ("training_programphase", "program_id", "training_programphase_program_id_706b1bf1"),
    ("training_trainingprogram", "athlete_id", "training_trainingprogram_athlete_id_ff07cf37"),
    ("training_trainingsession", "athlete_id", "training_trainingsession_athlete_id_bd46463c"),
    ("training_trainingsession", "program_id", "training_trainingsession_program_id_a1b465f8"),
]


class Migration(migrations.Migration):

    dependencies = [
        ('athletes', '0002_coaches'),
        ('training', '0006_updated_id_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
                )
                for table, column, name in COVERED
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='microcycle',
                    name='program',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='micro_cycles', to='training.trainingprogram'),
                ),
                migrations.AlterField(
                    model_name='programphase',
                    name='program',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='phases', to='training.trainingprogram'),
                ),
                migrations.AlterField(
                    model_name='trainingprogram',
                    name='athlete',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='programs', to='athletes.athleteprofile'),
                ),
                migrations.AlterField(
                    model_name='trainingsession',
                    name='athlete',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='sessions', to='athletes.athleteprofile'),
                ),
                migrations.AlterField(
                    model_name='trainingsession',
                    name='program',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='sessions', to='training.trainingprogram'),
                ),
            ],
        ),
    ]
