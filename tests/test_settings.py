"""DATABASE_URL picks the database; without it, an SQLite file in the data directory, set up for several writers.

These tests use database files of their own (not the suite's database), so they run on both suites.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

from cuakhau import settings


def test_a_postgresql_url_selects_the_platforms_postgresql_backend(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://gate:secret@db.example:5433/cuakhau")
    config = settings._database_from_env()
    assert config["ENGINE"] == settings.POSTGRESQL_ENGINE
    assert (config["NAME"], config["USER"], config["PASSWORD"], config["HOST"], config["PORT"]) == (
        "cuakhau", "gate", "secret", "db.example", 5433)


def test_an_sqlite_url_gets_the_same_settings_as_the_default_file(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/gate.sqlite3")
    config = settings._database_from_env()
    assert config["ENGINE"] == settings.SQLITE_ENGINE
    assert config["NAME"] == f"{tmp_path}/gate.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_without_a_url_the_database_is_an_sqlite_file_in_the_data_directory(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = settings._database_from_env()
    assert config["ENGINE"] == settings.SQLITE_ENGINE
    assert Path(config["NAME"]) == settings.CUAKHAU_DATA_DIR / "cuakhau.sqlite3"


@pytest.fixture
def sqlite_file_connection(django_db_blocker, tmp_path):
    path = tmp_path / "gate.sqlite3"
    handler = ConnectionHandler({"default": {"ENGINE": settings.SQLITE_ENGINE, "NAME": str(path),
                                             "OPTIONS": settings._SQLITE_OPTIONS}})
    connection = handler["default"]
    with django_db_blocker.unblock():
        yield path, connection
        connection.close()


def test_the_sqlite_file_is_in_wal_mode_with_a_busy_timeout_and_foreign_keys(sqlite_file_connection):
    _, connection = sqlite_file_connection
    with connection.cursor() as cursor:
        pragmas = {}
        for pragma in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous"):
            cursor.execute(f"PRAGMA {pragma}")
            pragmas[pragma] = cursor.fetchone()[0]
    # synchronous 1 = NORMAL: safe in WAL mode, without a sync at every commit.
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 20000, "foreign_keys": 1, "synchronous": 1}


def test_a_transaction_takes_the_write_lock_when_it_begins(sqlite_file_connection):
    # IMMEDIATE: two transactions that read and then write queue at BEGIN, instead of one of them failing with
    # "database is locked" when it tries to upgrade its read lock.
    path, connection = sqlite_file_connection
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE event (id INTEGER PRIMARY KEY)")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        # As `atomic()` begins a transaction (this connection is not in django.db.connections).
        connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM event")  # only a read so far
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        connection.rollback()
        connection.set_autocommit(True)
        other.execute("BEGIN IMMEDIATE")  # free again once the transaction ends
        other.execute("ROLLBACK")
    finally:
        other.close()
