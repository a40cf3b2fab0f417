"""The spool: health events that could not be written to the database wait here, one JSON object a line.

Every reader and writer holds an exclusive `flock` on a lock file beside the spool, so overlapping `checkdb`
runs (cron overlap) take turns. The spool is only ever replaced whole (write a temporary file, fsync,
rename), so a run that dies mid-write leaves the previous spool intact, never half a line; and it is emptied
only after the events it held were committed to the database.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger("cadence.health.spool")

# How long a run waits for another run that holds the spool. Appending waits long (an event must not be
# lost); draining gives up sooner (the other run is draining already, or the next run will).
APPEND_LOCK_WAIT_SECONDS = 60.0
DRAIN_LOCK_WAIT_SECONDS = 5.0


class SpoolBusy(Exception):
    """Another process held the spool's lock for longer than this one was willing to wait."""


class Spool:
    """A JSON-lines file of event records, guarded by `<path>.lock`."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.rejected_path = self.path.with_name(self.path.name + ".rejected")

    @contextlib.contextmanager
    def locked(self, *, wait: float) -> Iterator[None]:
        """Hold the spool's exclusive lock; raise SpoolBusy after `wait` seconds without it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise SpoolBusy(f"the spool {self.path} is locked by another process") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def read(self) -> list[dict[str, Any]]:
        """The records in the spool (caller holds the lock)."""
        return self._load()[0]

    def _load(self) -> tuple[list[dict[str, Any]], list[str]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return [], []
        records, rejected = [], []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                rejected.append(line)
                continue
            if isinstance(record, dict):
                records.append(record)
            else:
                rejected.append(line)
        return records, rejected

    def _set_aside(self, rejected: list[str]) -> None:
        # Lines that are not JSON objects (a disk that filled up, a hand edit) go to `<path>.rejected`, so
        # they neither block the spool nor vanish; called only right before the spool is rewritten.
        if not rejected:
            return
        logger.error("%d unreadable line(s) in the health spool moved to %s", len(rejected), self.rejected_path)
        with open(self.rejected_path, "a", encoding="utf-8") as fh:
            fh.write("".join(f"{line}\n" for line in rejected))
            fh.flush()
            os.fsync(fh.fileno())

    def _replace(self, records: list[dict[str, Any]]) -> None:
        # Whole-file replacement through a temporary file in the same directory: rename is atomic.
        directory = self.path.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records))
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def append(self, record: dict[str, Any], *, wait: float = APPEND_LOCK_WAIT_SECONDS) -> None:
        """Add one record, atomically."""
        with self.locked(wait=wait):
            records, rejected = self._load()
            self._set_aside(rejected)
            self._replace([*records, record])

    def drain(self, insert: Callable[[list[dict[str, Any]]], int], *, wait: float = DRAIN_LOCK_WAIT_SECONDS) -> int:
        """Hand every spooled record to `insert` (which commits them, idempotently) and empty the spool only
        once it returned. Returns what `insert` returned. If `insert` raises, the spool is left as it was."""
        with self.locked(wait=wait):
            records, rejected = self._load()
            if not records and not rejected:
                return 0
            inserted = insert(records) if records else 0
            self._set_aside(rejected)
            self.truncate()
            return inserted

    def truncate(self) -> None:
        """Empty the spool (caller holds the lock, and the records are committed elsewhere)."""
        self._replace([])

    def count(self) -> int:
        """How many records the spool holds, without its lock (the file is only ever replaced whole)."""
        return len(self._load()[0])

    def __len__(self) -> int:
        with self.locked(wait=APPEND_LOCK_WAIT_SECONDS):
            return len(self.read())
