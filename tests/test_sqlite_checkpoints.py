"""In the server, SQLite's write-ahead log is copied into the database by a thread, not by the request that commits.

These tests use database files of their own (not the suite's database), so they run on both suites.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.db.utils import ConnectionHandler

from cuakhau.db.sqlite import base, checkpoints
from cuakhau.settings import _SQLITE_OPTIONS, SQLITE_ENGINE

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def own_database(django_db_blocker):
    """Connections to the tests' own database files, not the suite's database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def background_checkpoints(own_database):
    checkpoints.enable()
    yield checkpoints
    checkpoints.disable()


def sqlite_connection(path: Path) -> Any:
    """A connection of the platform's SQLite backend to a database file of the test's own."""
    handler = ConnectionHandler({"default": {"ENGINE": SQLITE_ENGINE, "NAME": str(path), "OPTIONS": _SQLITE_OPTIONS}})
    return handler["default"]


def commit_rows(connection: Any, count: int, *, size: int = 200) -> None:
    """One transaction, begun as `atomic()` begins it (so with the writers' locks), committed."""
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    with connection.cursor() as cursor:
        for _ in range(count):
            cursor.execute("INSERT INTO event (body) VALUES (%s)", [os.urandom(size).hex()])
    connection.commit()
    connection.set_autocommit(True)


def rows_in_database_file_alone(path: Path, tmp_path: Path, table: str = "event") -> int:
    """Rows of `table` in the database file itself, without what is still only in its write-ahead log."""
    copy = tmp_path / "file-alone.sqlite3"
    shutil.copyfile(path, copy)
    with sqlite3.connect(copy) as reading:
        try:
            return int(reading.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - our own names
        except sqlite3.DatabaseError:  # not even the table is in the file yet, or copied halfway through a checkpoint
            return -1


def log_pages_in_use(path: Path) -> int:
    """Pages in the write-ahead log since it last started over (a passive checkpoint reports them)."""
    with contextlib.closing(sqlite3.connect(path)) as raw:
        _busy, log, _copied = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(log)


def wait_until(condition: Any, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


def test_a_commit_reaches_the_database_file_by_the_thread_not_by_the_writer(background_checkpoints, tmp_path):
    path = tmp_path / "gate.sqlite3"
    connection = sqlite_connection(path)
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, body TEXT)")
            cursor.execute("PRAGMA wal_autocheckpoint")
            # The writer copies nothing itself before the backstop (SQLite's own default: 1,000 pages).
            assert cursor.fetchone()[0] == checkpoints.BACKSTOP_PAGES
        commit_rows(connection, 3)
        # A few pages, far from any writer's checkpoint: only the thread can have put them in the file.
        assert wait_until(lambda: rows_in_database_file_alone(path, tmp_path) == 3)
        checkpointer = checkpoints.checkpointer_for(str(path), contextlib.nullcontext)
        assert checkpointer is not None and checkpointer.runs >= 1 and checkpointer.failures == 0
    finally:
        connection.close()


def test_under_constant_writes_the_log_starts_over_instead_of_growing(background_checkpoints, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setattr(checkpoints, "RESTART_PAGES", 200)
    monkeypatch.setattr(checkpoints, "GATHER_SECONDS", 0.05)
    path = tmp_path / "gate.sqlite3"
    connection = sqlite_connection(path)
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, body TEXT)")
        started, commits = time.monotonic(), 0
        while time.monotonic() - started < 2.0:  # no pause between commits: a passive copy never catches up
            commit_rows(connection, 10, size=1000)  # ≈ 5 pages a commit
            commits += 1
        checkpointer = checkpoints.checkpointer_for(str(path), contextlib.nullcontext)
        assert checkpointer is not None and checkpointer.restarts >= 1
        written_pages = commits * 5
        # Without starting over, the log would hold every page written (until the writers' backstop). What it
        # holds now, not the size its file once reached: how soon the thread first gets the processor depends on
        # the machine's load (a parallel test run), and the file keeps its largest size after starting over.
        assert log_pages_in_use(path) < min(written_pages / 2, checkpoints.BACKSTOP_PAGES)
        assert wait_until(lambda: rows_in_database_file_alone(path, tmp_path) == commits * 10)
    finally:
        connection.close()


def test_a_pause_of_the_writers_goes_before_a_writer_that_begins_again_at_once(own_database, tmp_path):
    # A lock does not queue: without the pause going first, a writer committing back-to-back takes the
    # lock again before the waiting checkpoint thread wakes up, and the log grows to the backstop.
    path = tmp_path / "gate.sqlite3"
    connection = sqlite_connection(path)
    happened: list[str] = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, body TEXT)")
        connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO event (body) VALUES ('first')")

        def pause() -> None:
            with base.writers_paused(str(path)):
                happened.append("pause")

        pausing = threading.Thread(target=pause)
        pausing.start()
        assert wait_until(lambda: base.PAUSE_QUEUE._asked == 1)  # waiting for the writer's transaction
        connection.commit()
        connection.set_autocommit(True)
        commit_rows(connection, 1)  # begins again at once
        happened.append("next write")
        pausing.join(5)
        assert happened == ["pause", "next write"]
    finally:
        connection.close()


def test_a_failing_checkpoint_is_counted_and_the_thread_goes_on(tmp_path):
    path = tmp_path / "gate.sqlite3"
    with sqlite3.connect(path, isolation_level=None) as writer:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, body TEXT)")

        @contextlib.contextmanager
        def lock_file_gone() -> Any:
            raise OSError("no lock file")
            yield

        checkpointer = checkpoints.WalCheckpointer(str(path), pause_writers=lock_file_gone, gather_seconds=0.01,
                                                   restart_pages=1)
        checkpointer.start()
        try:
            for attempt in (1, 2):  # the second commit is still looked after
                writer.execute("INSERT INTO event (body) VALUES (?)", [os.urandom(100).hex()])
                checkpointer.note_commit()
                assert wait_until(lambda attempt=attempt: checkpointer.failures >= attempt)
            assert checkpointer.running  # the server's writers are not left to checkpoint alone for good
        finally:
            checkpointer.stop()


def test_without_the_server_switch_a_writer_checkpoints_as_sqlite_does(own_database, tmp_path):
    connection = sqlite_connection(tmp_path / "gate.sqlite3")
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            assert cursor.fetchone()[0] == 1000  # management commands, tests: no thread, SQLite's default
        assert checkpoints.checkpointer_for(str(tmp_path / "gate.sqlite3"), contextlib.nullcontext) is None
    finally:
        connection.close()


def test_the_server_puts_a_write_into_the_database_file_while_it_runs(tmp_path):
    """`cuakhau serve` on SQLite: a signed-in user's token is in the database file within moments, not only
    in the log until 1,000 pages have gathered or the server stops."""
    environment = {**os.environ, "CUAKHAU_DATA_DIR": str(tmp_path), "DJANGO_SUPERUSER_PASSWORD": "demo12345"}
    environment.pop("DATABASE_URL", None)
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    cuakhau = [sys.executable, "-m", "cuakhau.cli"]
    subprocess.run([*cuakhau, "migrate", "-v", "0"], env=environment, cwd=REPO, check=True, timeout=300)  # noqa: S603
    subprocess.run([*cuakhau, "createsuperuser", "--noinput", "--username", "chief", "--email", "c@example.vn"],  # noqa: S603
                   env=environment, cwd=REPO, check=True, timeout=120, capture_output=True)
    port = free_port()
    server = subprocess.Popen([*cuakhau, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],  # noqa: S603
                              env=environment, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: _answers(f"{base}/healthz"), seconds=60)
        request = urllib.request.Request(f"{base}/api/v1/auth/token", method="POST",  # noqa: S310
                                         data=b'{"username": "chief", "password": "demo12345"}',
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            assert answer.status == 200
        database = tmp_path / "cuakhau.sqlite3"
        assert wait_until(lambda: rows_in_database_file_alone(database, tmp_path, "accounts_apitoken") == 1,
                          seconds=10)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310
            return bool(answer.status == 200)
    except OSError:
        return False


def free_port() -> int:
    """A free loopback port (closed again before the server binds it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
