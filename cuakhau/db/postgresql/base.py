"""PostgreSQL backend: a transaction's last statement can carry its COMMIT.

Every audited change appends to one hash chain, whose head row stays locked until COMMIT (see
crossings.audit). With Django's stock backend the COMMIT is a round trip of its own, sent only once
the thread that ran the last statement gets the interpreter back; in a busy threaded server that wait
is the larger part of the time the head stays locked, and every other change of the platform queues
behind it. `execute_then_commit` sends the statement and COMMIT together (psycopg's pipeline mode),
so the server releases the lock as soon as the statement is done, whatever this process is doing.

Django still believes the transaction is open until its `atomic()` block ends: that block's own
commit is then a no-op, and any statement run in between is refused (it would otherwise run in a new
transaction of its own, silently outside the one just committed).
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base
from django.db.backends.utils import debug_transaction  # type: ignore[attr-defined]
from django.db.transaction import TransactionManagementError


class DatabaseWrapper(base.DatabaseWrapper):
    committed_early = False  # the last statement carried the COMMIT; the atomic block has not ended yet

    def may_commit_with_statement(self) -> bool:
        """Whether the transaction running now is the outermost `atomic()` block, so committing it
        commits everything the caller wrote (never inside a savepoint, a test's transaction, or a
        transaction already marked for rollback)."""
        return (len(self.atomic_blocks) == 1 and not self.savepoint_ids and not self.needs_rollback
                and not self.get_autocommit())

    def execute_then_commit(self, cursor: Any, sql: str, params: Any) -> bool:
        """Run `sql` on `cursor` (a cursor of this connection) and, when `may_commit_with_statement()`,
        COMMIT in the same round trip; True if committed. The caller then ends its atomic block
        without running anything else. On an error nothing is committed and the error is raised as
        `cursor.execute` raises it."""
        if not self.may_commit_with_statement():
            cursor.execute(sql, params)
            return False
        raw = self.connection
        with self.wrap_database_errors, raw.pipeline():
            cursor.execute(sql, params)
            with debug_transaction(self, "COMMIT"):
                raw.commit()  # queued behind the statement; psycopg syncs once for both
        self.committed_early = True
        return True

    def _prepare_cursor(self, cursor: Any) -> Any:
        if self.committed_early:
            raise TransactionManagementError(
                "This transaction was committed with its last statement; end its atomic block before "
                "running another.")
        return super()._prepare_cursor(cursor)  # type: ignore[misc]

    def _commit(self) -> None:
        if self.committed_early:
            self.committed_early = False
            return
        super()._commit()  # type: ignore[misc]

    def _rollback(self) -> None:
        # After an early commit there is nothing left to roll back (psycopg sends nothing when idle).
        self.committed_early = False
        super()._rollback()  # type: ignore[misc]

    def _close(self) -> None:
        self.committed_early = False
        super()._close()  # type: ignore[misc]
