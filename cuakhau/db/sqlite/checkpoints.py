"""SQLite's WAL checkpoints, done by a thread of the server instead of by the request that happens to commit.

Out of the box, the connection whose commit takes the write-ahead log past 1,000 pages then copies
those pages into the database file and syncs it, inside its own COMMIT. For a confirmation
(≈ 18 pages) that is one request in ~55 taking 15–20 ms longer on this machine, and as the process
write lock (`cuakhau.db.sqlite.base`) is held until COMMIT returns, every other writer waits as well:
it was the confirm's p99 at light load.

In `cuakhau serve` (`enable()`), each worker process runs one thread per database that copies the log
into the database file (`PRAGMA wal_checkpoint(PASSIVE)`: it never waits for, nor blocks, readers or
writers) a moment after commits. Only a log entirely copied can start over from its beginning, and under
constant writes a passive checkpoint never copies it all (pages keep arriving while it runs), so the file
would only grow: past `RESTART_PAGES` the thread copies what arrived meanwhile once more while holding
the writers' locks, a short wait for them. Writers checkpoint by themselves only past `BACKSTOP_PAGES`,
should the thread be failing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

# Pages (4 KiB) in the log past which the thread lets it start over, pausing writers for what is left to copy.
RESTART_PAGES = 2000
# Writers' own checkpoint (SQLite's `wal_autocheckpoint`), should the thread be failing: SQLite's default is 1,000.
BACKSTOP_PAGES = 10_000
# After a commit, how long the thread lets further commits gather before it copies them all at once.
GATHER_SECONDS = 0.2
# With no commit noticed (a write outside `atomic()` commits on its own), the thread still looks this often.
IDLE_SECONDS = 2.0

_enabled = False
_checkpointers: dict[str, WalCheckpointer] = {}
_registry_lock = threading.Lock()


class WalCheckpointer:
    """One database file's checkpoint thread, with its own connection."""

    def __init__(self, database: str, *, pause_writers: Callable[[], contextlib.AbstractContextManager[object]],
                 gather_seconds: float | None = None, idle_seconds: float | None = None,
                 restart_pages: int | None = None) -> None:
        self.database = database
        self.pause_writers = pause_writers
        self.gather_seconds = GATHER_SECONDS if gather_seconds is None else gather_seconds
        self.idle_seconds = IDLE_SECONDS if idle_seconds is None else idle_seconds
        self.restart_pages = RESTART_PAGES if restart_pages is None else restart_pages
        self.runs = 0  # checkpoints made
        self.restarts = 0  # of which with the writers paused
        self.failures = 0
        self._committed = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-wal-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def note_commit(self) -> None:
        self._committed.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._committed.set()
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        connection = sqlite3.connect(self.database, timeout=20, isolation_level=None, check_same_thread=False)
        try:
            while not self._stopping.is_set():
                self._committed.wait(self.idle_seconds)
                if self._stopping.wait(self.gather_seconds):
                    break
                # Cleared before copying: a commit made while the checkpoint runs calls for another one.
                self._committed.clear()
                self.checkpoint(connection)
        finally:
            connection.close()

    def checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            busy, log_pages, _copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if not busy and log_pages >= self.restart_pages:
                # What arrived while copying (the figures above do not show it), copied with no writer at work:
                # the log is then entirely in the database, and the next writer starts it over.
                with self.pause_writers():
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                self.restarts += 1
        except (sqlite3.Error, OSError) as error:  # OSError: the other workers' lock file (`pause_writers`)
            # Writers still checkpoint past the backstop: the log stays bounded while this is failing.
            self.failures += 1
            if self.failures == 1 or self.failures % 1000 == 0:
                logger.warning("WAL checkpoint of %s failed (%s times so far): %s", self.database, self.failures,
                               error)
            return
        self.runs += 1


def enable() -> None:
    """Checkpoint every file database this process connects to from now on in a thread of its own.

    Call it in a long-running server process; threads start at each database's first connection, so a
    server that forks its workers after this call gets one thread per worker."""
    global _enabled
    _enabled = True


def disable() -> None:
    """Stop every checkpoint thread of this process; new connections checkpoint as SQLite does by default."""
    global _enabled
    _enabled = False
    with _registry_lock:
        checkpointers = list(_checkpointers.values())
        _checkpointers.clear()
    for checkpointer in checkpointers:
        checkpointer.stop()


def checkpointer_for(database: str, pause_writers: Callable[[], contextlib.AbstractContextManager[object]]
                     ) -> WalCheckpointer | None:
    """The running checkpointer of `database` (started now if needed), or None if checkpoints are not enabled
    in this process or the database is not a file. `pause_writers()` holds every writer of the database
    off while it lasts (`cuakhau.db.sqlite.base.writers_paused`)."""
    if not _enabled or not database or database == ":memory:" or database.startswith("file:"):
        return None
    with _registry_lock:
        checkpointer = _checkpointers.get(database)
        if checkpointer is None or not checkpointer.running:
            checkpointer = _checkpointers[database] = WalCheckpointer(database, pause_writers=pause_writers)
            checkpointer.start()
    return checkpointer


def _forget_threads_of_the_parent() -> None:
    # A forked child has none of its parent's threads (its first connection starts its own), and a lock its
    # parent held at the fork would stay held.
    global _registry_lock
    _registry_lock = threading.Lock()
    _checkpointers.clear()


os.register_at_fork(after_in_child=_forget_threads_of_the_parent)
