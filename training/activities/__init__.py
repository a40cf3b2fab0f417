"""Activities in: files recorded by a watch or a bike computer (FIT, TCX, GPX, optionally gzipped), uploaded for an
athlete (`POST /api/v1/athletes/{id}/activities/`), kept in Django's storage and parsed by a worker
(`tasks.activity_process_task`, enqueued in the upload's transaction). The figures (duration, distance, heart rate,
power, Edwards TRIMP) are read by `parsing`; `services` matches a parsed activity to the session it completes
(or links one by hand); `api` serves `/api/v1/activities/`."""
