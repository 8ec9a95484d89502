"""The live board and the province overview find confirmed steps by index, not by reading every checkpoint.

Their "cleared in the last hour" and "entered / left today" counts rely on a partial index that holds
confirmed steps only (crossings migration 0003): a confirmation then writes one index entry instead of
moving one, and pending steps stay out of the index. Both databases must still see that the queries
(`confirmed_at >= …`) can use it. The queries are the ones the pages really run, captured and explained.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from gates.models import Gate
from queueing.board import build_board
from web.queries import province_overview

INDEX = "checkpoint_name_confirmed_at"


def confirmed_step_queries(run) -> list[str]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        run()
    found = [query["sql"] for query in captured.captured_queries
             if "crossings_checkpoint" in query["sql"] and '"confirmed_at" >=' in query["sql"]]
    assert found, "the page counts confirmed steps"
    return found


def plan(sql: str) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A test database is small enough to read whole: ask whether the index can serve, not whether the
            # planner would bother with it for a few rows.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_the_live_boards_cleared_count_reads_the_confirmed_steps_index(reference):
    for sql in confirmed_step_queries(lambda: build_board()):
        assert INDEX in plan(sql), sql


def test_the_province_overviews_entries_and_exits_read_the_confirmed_steps_index(reference):
    gates = list(Gate.objects.all())
    for sql in confirmed_step_queries(lambda: province_overview(gates)):
        assert INDEX in plan(sql), sql
