"""Benchmark-only SQLite backend: write transactions queue on a process-wide lock.

Experiment for results.md, proposal 6: with the stock backend, a writer that finds the database
locked sleeps in SQLite's busy handler (back-off up to 100 ms, no queue) while the lock may already
be free. Here `BEGIN IMMEDIATE` is taken only after acquiring a threading.Lock, released at
COMMIT/ROLLBACK/close, so threads of one process hand the write lock over without sleeping.
Only meaningful with one server process (`--server 1:N`). Enabled by BENCH_SQLITE_FAIRLOCK=1.
"""

from __future__ import annotations

import threading

from django.db.backends.sqlite3 import base

_WRITE_LOCK = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_write_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        _WRITE_LOCK.acquire()
        self._holds_write_lock = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _release_write_lock(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            _WRITE_LOCK.release()

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
