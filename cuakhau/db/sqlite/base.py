"""SQLite backend: write transactions queue on a lock instead of sleeping.

SQLite admits one writer. With the stock backend, a transaction that finds the write lock taken
sleeps in SQLite's busy handler (1, 2, 5 … 100 ms steps, no queue) even when the lock frees a
millisecond later, so under contention the tail latency is mostly sleep. Here every transaction
(`BEGIN IMMEDIATE`, which takes SQLite's write lock at once) first takes a process-wide lock, so
this process's threads hand SQLite's lock over without sleeping, and then an advisory lock on a
file beside the database (`flock`, where the system has it), so the server's worker processes and
a management command queue in the kernel as well instead of polling. SQLite's busy timeout stays
as the fallback for any writer that does not take these locks.

The locks are taken only where a transaction starts from autocommit (the outermost `atomic()`),
never inside one that already holds SQLite's lock; they are released on commit, rollback and close,
and they are reentrant for a thread (a second connection of the same thread does not deadlock).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Iterator

from django.db.backends.sqlite3 import base

from cuakhau.db.sqlite import checkpoints

try:
    import fcntl
except ImportError:  # not on this system: processes fall back to SQLite's busy timeout
    fcntl = None  # type: ignore[assignment]

WRITE_LOCK = threading.RLock()


class _PauseQueue:
    """Lets a pause of the writers (the checkpoint thread's) go ahead of the writers that come after it.

    A lock does not queue its waiters: a thread that commits and begins again at once takes WRITE_LOCK
    back before a thread woken by the release can, so under back-to-back writes `writers_paused()` could
    wait indefinitely, and the write-ahead log would grow to the writers' backstop. A writer therefore
    first waits while a pause is asked for, unless its thread already holds WRITE_LOCK (a second
    connection of the same thread), which the pause waits for."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._asked = 0

    @contextlib.contextmanager
    def asked(self) -> Iterator[None]:
        with self._condition:
            self._asked += 1
        try:
            yield
        finally:
            with self._condition:
                self._asked -= 1
                if not self._asked:
                    self._condition.notify_all()

    def let_pauses_go_first(self) -> None:
        if not self._asked:  # read without the lock: a pause asked a moment later waits on WRITE_LOCK as before
            return
        if WRITE_LOCK._is_owned():  # type: ignore[attr-defined]  # the pause waits for this thread: no waiting
            return
        with self._condition:
            self._condition.wait_for(lambda: not self._asked)


PAUSE_QUEUE = _PauseQueue()


def _no_pause_of_the_parent() -> None:
    # A forked child has none of its parent's threads: a pause the parent's checkpoint thread had asked for
    # would never end in the child.
    global PAUSE_QUEUE
    PAUSE_QUEUE = _PauseQueue()


os.register_at_fork(after_in_child=_no_pause_of_the_parent)


# Statements longer than this (bulk inserts, long IN lists: each row count its own text) are converted
# every time rather than kept: the cache holds at most 1,024 × 8 KB.
_REMEMBERED_STATEMENT_LENGTH = 8192


def _qmark_style(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


_remembered_qmark_style = functools.lru_cache(maxsize=1024)(_qmark_style)


class _CursorWrapper(base.SQLiteCursorWrapper):
    """Django's cursor, remembering each statement's conversion from %s to SQLite's ? placeholders (a regular
    expression over the whole text on every execute otherwise; the hot paths run the same few statements)."""

    def convert_query(self, query, *, param_names=None):  # type: ignore[no-untyped-def]
        if param_names is not None:
            return super().convert_query(query, param_names=param_names)
        if len(query) > _REMEMBERED_STATEMENT_LENGTH:
            return _qmark_style(query)
        return _remembered_qmark_style(query)


class _ProcessQueue:
    """The cross-process half: an exclusive `flock` on `<database>.write-lock`, held while this process
    writes to that database. Only the thread holding WRITE_LOCK touches it, so depth counters make it
    reentrant."""

    def __init__(self) -> None:
        self._files: dict[str, int] = {}
        self._depth: dict[str, int] = {}

    def acquire(self, database: str) -> None:
        depth = self._depth.get(database, 0)
        if depth == 0 and fcntl is not None and self._is_file(database):
            descriptor = self._files.get(database)
            if descriptor is None:
                descriptor = self._files[database] = os.open(f"{database}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        self._depth[database] = depth + 1

    def release(self, database: str) -> None:
        depth = self._depth[database] - 1
        self._depth[database] = depth
        if depth == 0 and database in self._files:
            assert fcntl is not None
            fcntl.flock(self._files[database], fcntl.LOCK_UN)

    @staticmethod
    def _is_file(database: str) -> bool:
        return bool(database) and database != ":memory:" and not database.startswith("file:")


PROCESS_QUEUE = _ProcessQueue()


@contextlib.contextmanager
def writers_paused(database: str) -> Iterator[None]:
    """Hold off every writer of `database` that takes these locks (this process's and the other workers')."""
    with PAUSE_QUEUE.asked(), WRITE_LOCK:
        PROCESS_QUEUE.acquire(database)
        try:
            yield
        finally:
            PROCESS_QUEUE.release(database)


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_write_lock = ""  # the database whose locks this connection holds
    _checkpointer: checkpoints.WalCheckpointer | None = None

    def get_new_connection(self, conn_params):  # type: ignore[no-untyped-def]
        connection = super().get_new_connection(conn_params)
        database = str(self.settings_dict["NAME"])
        self._checkpointer = checkpoints.checkpointer_for(database, functools.partial(writers_paused, database))
        if self._checkpointer is not None:  # a thread copies the log (see checkpoints): writers only past this
            connection.execute(f"PRAGMA wal_autocheckpoint={checkpoints.BACKSTOP_PAGES}")
        return connection

    def create_cursor(self, name=None):  # type: ignore[no-untyped-def]
        return self.connection.cursor(factory=_CursorWrapper)

    def _start_transaction_under_autocommit(self) -> None:
        PAUSE_QUEUE.let_pauses_go_first()
        WRITE_LOCK.acquire()
        database = str(self.settings_dict["NAME"])
        try:
            PROCESS_QUEUE.acquire(database)
        except BaseException:
            WRITE_LOCK.release()
            raise
        self._holds_write_lock = database
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_write_lock()
            raise

    def _release_write_lock(self) -> None:
        if self._holds_write_lock:
            database, self._holds_write_lock = self._holds_write_lock, ""
            try:
                PROCESS_QUEUE.release(database)
            finally:
                WRITE_LOCK.release()

    def _commit(self):  # type: ignore[no-untyped-def]
        try:
            return super()._commit()
        finally:
            self._release_write_lock()
            if self._checkpointer is not None:
                self._checkpointer.note_commit()

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
