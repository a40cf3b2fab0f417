"""Idempotency keys of POST requests: one row per (user, key), kept 24 hours (core.idempotency)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_role_groups_head_coaches'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='IdempotencyRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=255)),
                ('fingerprint', models.CharField(help_text='sha256 of the method, path, query and body', max_length=64)),
                ('claim', models.UUIDField()),
                ('created_at', models.DateTimeField(help_text='When the request holding the key started')),
                ('response_status', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('response_headers', models.JSONField(blank=True, default=dict)),
                ('response_body', models.BinaryField(blank=True, default=b'')),
                ('user', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['created_at'], name='core_idempotency_created_idx')],
                'constraints': [models.UniqueConstraint(fields=('user', 'key'), name='core_idempotency_user_key_unique')],
            },
        ),
    ]
