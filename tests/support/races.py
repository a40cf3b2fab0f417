"""Two writers racing, for the race tests (PostgreSQL, real threads): released together with a chosen delay
between them, over several rounds, and the check that no plan row disagrees with its program afterwards."""

import threading
import time

from django.db import connection, connections

ROUNDS = 8

INCOHERENT_SQL = """
SELECT 'session' AS kind, s.id FROM training_trainingsession s
  LEFT JOIN training_programphase p ON p.id = s.phase_id
  LEFT JOIN training_microcycle c ON c.id = s.micro_cycle_id
 WHERE (s.phase_id IS NOT NULL AND p.program_id <> s.program_id)
    OR (s.micro_cycle_id IS NOT NULL AND c.program_id <> s.program_id)
    OR (s.phase_id IS NOT NULL AND s.micro_cycle_id IS NOT NULL AND c.phase_id IS DISTINCT FROM s.phase_id)
    OR s.athlete_id <> (SELECT athlete_id FROM training_trainingprogram WHERE id = s.program_id)
UNION ALL
SELECT 'cycle', c.id FROM training_microcycle c JOIN training_programphase p ON p.id = c.phase_id
 WHERE p.program_id <> c.program_id
"""


def incoherent_rows() -> list:
    with connection.cursor() as cursor:
        cursor.execute(INCOHERENT_SQL)
        return cursor.fetchall()


def race(first, second, *, delay: float):
    """Run two calls released together by a barrier, `second` started `delay` seconds later (so both
    orders happen across rounds); return their responses."""
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(i, call, wait):
        try:
            barrier.wait()
            time.sleep(wait)
            results[i] = call()
        except Exception as exc:  # a crash is a finding, not a hang
            results[i] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(0, first, 0 if delay >= 0 else -delay)),
        threading.Thread(target=run, args=(1, second, max(delay, 0))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def delays():
    # Dead heats and near heats (30 ms apart), which race for real, and a quarter of a second apart either way,
    # which decides the order even on a loaded machine: the tests that require both orders to have happened
    # (not only "whichever won was consistent") get each order for certain at least once.
    return [(-0.25, -0.03, 0.0, 0.03, 0.25)[i % 5] for i in range(ROUNDS)]


def outcome(responses):
    return [getattr(r, "status_code", repr(r)) for r in responses]
