"""The SQLite backend converts Django's %s placeholders to SQLite's ? once per statement text.

Run on a connection of its own (an in-memory SQLite database), so it runs whichever database the suite uses.
"""

from __future__ import annotations

import sqlite3

from cuakhau.db.sqlite import base as sqlite_base


def test_placeholders_and_literal_percent_signs_are_converted_short_or_long():
    sqlite_base._remembered_qmark_style.cache_clear()
    cursor = sqlite3.connect(":memory:").cursor(factory=sqlite_base._CursorWrapper)
    for _ in range(2):  # the second time from what was remembered
        cursor.execute("SELECT %s || '%%', %s", ["50", 7])
        assert cursor.fetchone() == ("50%", 7)
    many = list(range(3000))
    placeholders = ", ".join(["%s"] * len(many))
    long_statement = f"SELECT count(*), '%%' FROM (SELECT 2999 AS n) WHERE n IN ({placeholders})"  # noqa: S608
    assert len(long_statement) > sqlite_base._REMEMBERED_STATEMENT_LENGTH
    cursor.execute(long_statement, many)
    assert cursor.fetchone() == (1, "%")
    remembered = sqlite_base._remembered_qmark_style.cache_info()
    assert (remembered.hits, remembered.currsize) == (1, 1), "the short statement kept, the bulk one not"
