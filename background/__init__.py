"""Background work: the `worker` command (django-tasks-db's worker with Cadence's defaults), the workers'
heartbeats, and the recovery that hands a job whose worker died back to the queue (docs/operations.md)."""
