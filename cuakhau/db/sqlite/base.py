"""SQLite backend: this process's write transactions queue on one lock instead of sleeping.

SQLite admits one writer. With the stock backend, a transaction that finds the write lock taken
sleeps in SQLite's busy handler (1, 2, 5 … 100 ms steps, no queue) even when the lock frees a
millisecond later, so under contention the tail latency is mostly sleep. Here every transaction
(`BEGIN IMMEDIATE`, which takes SQLite's write lock at once) first takes a process-wide lock, so
this process's threads hand SQLite's lock over without sleeping. Other processes (a second server
worker, a management command) still wait on SQLite's busy timeout as before: correct, just slower —
hence one server process with several threads on SQLite.

The lock is taken only where a transaction starts from autocommit (the outermost `atomic()`),
never inside one that already holds SQLite's lock; it is released on commit, rollback and close,
and it is reentrant for a thread (a second connection of the same thread does not deadlock on it).
"""

from __future__ import annotations

import threading

from django.db.backends.sqlite3 import base

WRITE_LOCK = threading.RLock()


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_write_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        WRITE_LOCK.acquire()
        self._holds_write_lock = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_write_lock()
            raise

    def _release_write_lock(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            WRITE_LOCK.release()

    def _commit(self):  # type: ignore[no-untyped-def]
        try:
            return super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self):  # type: ignore[no-untyped-def]
        try:
            return super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self):  # type: ignore[no-untyped-def]
        try:
            return super()._close()
        finally:
            self._release_write_lock()
