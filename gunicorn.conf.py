"""gunicorn settings for Cadence (`gunicorn config.wsgi` reads this file from the working directory).

Threaded workers (gthread): a request waiting on the database holds one thread, not the whole worker; once the
database stops answering, its circuit opens and requests that need it answer 503 at once (core.db), and
/health/live is answered without a thread at all (docs/operations.md, section 2b). Every database wait
of a request is bounded by the app itself (DB_STATEMENT_TIMEOUT, DB_LOCK_TIMEOUT, and a stalled connection is cut
after DB_STATEMENT_TIMEOUT + DB_STALL_GRACE), so gunicorn's own timeout is only the last resort for a worker
whose main loop is stuck. A request's time queued for a thread counts against its deadline too: the worker stamps
when the request arrived (core/gunicorn_worker.py).

Each knob can be set by environment variable; the defaults suit a container with 1–2 CPUs.
"""

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# gthread, plus `GET /health/live` answered on each worker's main loop: a liveness probe must not queue behind
# threads that all wait for a silent database (core/gunicorn_worker.py).
worker_class = "core.gunicorn_worker.ProbeFastPathWorker"
workers = _int("WEB_CONCURRENCY", 2)
# Each thread keeps its own persistent database connection: workers × threads × replicas must fit
# PostgreSQL's max_connections (or use PgBouncer).
threads = _int("GUNICORN_THREADS", 8)
# A worker whose main loop (not a request thread) does not check in for this long is killed and replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM, requests in flight get this long to finish: longer than the slowest bounded request
# (DB_STATEMENT_TIMEOUT + grace, or DB_CONNECT_TIMEOUT), shorter than Kubernetes' 30 s grace period.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then (jittered so they do not restart together): bounds slow leaks.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)
# "-" is stderr; an empty value turns the access log off.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def post_worker_init(worker):
    # Everything loaded so far (Django and the app: about 100,000 objects that live as long as the worker) leaves
    # the garbage collector's view. A full collection otherwise walks them all and stops every thread of the
    # worker for tens of milliseconds, late in a request's deadline as easily as anywhere.
    import gc

    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    # /metrics in prometheus_client's multi-process mode (PROMETHEUS_MULTIPROC_DIR set): a dead worker's live
    # gauges must leave the aggregate, or each scrape keeps counting a process that is gone.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
