"""The activities' background job (django-tasks): a worker reads an uploaded file. Enqueued by
services.activity_upload in the upload's transaction, so a rolled-back upload has no job and a committed one
always has one; the database backend hands each job to one worker."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def activity_process_task(activity_id: str) -> str:
    """Read the activity's file and record its figures or what is wrong with it; returns the final status."""
    return services.activity_process(activity_id=activity_id)
