"""The hash-chained, append-only audit trail.

Every state change calls `record()` inside its own transaction, so the change and its audit row
commit together or not at all. Appends lock the single AuditHead row, which orders them into
one chain on SQLite and PostgreSQL alike.

The head's lock is held until COMMIT, so every append of the whole platform waits for the one
before it: the less happens between taking the lock and committing, the more appends per second.
SQLite runs one writer at a time anyway, so there the event is hashed in Python from the head
as this process last wrote it, and the head moved by compare-and-set against that value, then the
row inserted: two statements (three, reading the head first, when another process wrote since or
the process has not written yet). On PostgreSQL all three are one statement that computes the
event's hash in the database from the head it has just locked: one round trip under the lock
instead of three (each of which could also wait for the GIL in a busy server process). A change
whose writes are plain UPDATEs (a checkpoint's compare-and-set and the trip's new stage) can ride
in that same statement too (`record_change`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction
from django.db.models import Field
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from accounts.services import Actor
from crossings.models import AuditEvent, AuditHead
from cuakhau.db.prepared import Increment, PreparedRead, PreparedUpdate, Write, insert_rows, prepared_cursor

GENESIS = "0" * 64
HASHED_FIELDS = ("at", "actor_name", "role", "agency_code", "gate_code", "ip_address", "action",
                 "registration_number", "trip_id_ref", "checkpoint", "note", "automatic", "data")


def _payload(event_id: Any, prev_hash: Any, fields: dict[str, Any]) -> str:
    return json.dumps({"id": event_id, "prev": prev_hash, **fields}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), default=str)


def _digest(event_id: int, prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(_payload(event_id, prev_hash, fields).encode()).hexdigest()


def _payload_around_id_and_prev(fields: dict[str, Any]) -> tuple[str, str, str] | None:
    """The hashed payload cut where the event's id and the previous hash go, for the database to fill in:
    `head + str(id) + middle + prev_hash + tail` is exactly `_payload(id, prev_hash, fields)`.
    None in the (practically impossible) case that the data contains the random cut marks."""
    id_mark, prev_mark = f"id-{uuid.uuid4().hex}", f"prev-{uuid.uuid4().hex}"
    text = _payload(id_mark, prev_mark, fields)
    quoted_id = f'"{id_mark}"'
    if text.count(quoted_id) != 1 or text.count(prev_mark) != 1:
        return None
    head, rest = text.split(quoted_id)  # the id is a JSON number: no quotes around it
    middle, tail = rest.split(prev_mark)  # the hash is a JSON string: its quotes stay
    return head, middle, tail


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in HASHED_FIELDS}
    values["at"] = event.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return values


# Every append reads the head under its lock; compiled once (see cuakhau.db.prepared).
_lock_head = PreparedRead(lambda head_id: AuditHead.objects.select_for_update().filter(pk=head_id)
                          .values("last_id", "last_hash", "count"))

_move_head = PreparedUpdate(AuditHead, where=("id",))
_advance_head = PreparedUpdate(AuditHead, where=("id", "last_id", "last_hash"))

# SQLite: the head (last id, last hash) as this process last moved it, by database alias. Only a hint: the
# head moves by compare-and-set against it, so a stale value (another worker process appended since, or
# the transaction that moved it rolled back) costs one statement and a read of the head, never a wrong link.
_known_heads: dict[str, tuple[int, str]] = {}


def record(actor: Actor, action: str, *, registration_number: str = "", trip_id: int | None = None,
           checkpoint: str = "", note: str = "", automatic: bool = False,
           data: dict[str, Any] | None = None, gate_code: str = "") -> AuditEvent:
    """Append one event. Must run inside the transaction that makes the change it records.

    `gate_code` is the gate the action concerns, for actors without a gate of their own (enterprises)."""
    event = _new_event(actor, action, registration_number=registration_number, trip_id=trip_id,
                       checkpoint=checkpoint, note=note, automatic=automatic, data=data, gate_code=gate_code)
    _append(event)
    return event


class ChainNotStarted(Exception):
    """`record_change(…, ends_transaction=True)` found no head row (a new database): its transaction committed
    with nothing written. Run the whole change again without `ends_transaction`; that way creates the head."""


def record_change(writes: Sequence[Write], actor: Actor, action: str, *, ends_transaction: bool = False,
                  **details: Any) -> bool:
    """Make a change and append its event (`record`'s arguments): `writes[0]` is a compare-and-set, the
    other writes are made only if it changed a row. False, with nothing written, if it changed none.

    On PostgreSQL the writes and the append are one statement: one round trip instead of three for a
    confirmation (compare-and-set, the trip's new stage, the event), under the same locks taken in the
    same order. Elsewhere the writes run one by one, then `record`.

    `ends_transaction`: the caller writes nothing more and leaves its `atomic()` block right after. On
    PostgreSQL, when that block is the outermost one, the COMMIT then goes with the statement
    (cuakhau.db.postgresql), so the chain's head is unlocked as soon as the statement is done. May raise
    `ChainNotStarted`."""
    event = _new_event(actor, action, **details)
    if connections[AuditEvent.objects.db].vendor == "postgresql":
        outcome = _append_in_one_statement(event, writes, ends_transaction=ends_transaction)
        if outcome is not None:
            changed, appended = outcome
            if changed and not appended:  # no head row yet: the writes are made, the event goes the long way
                _append_in_three_statements(event)
            return changed
    first, *rest = writes
    if not first.run():
        return False
    for write in rest:
        write.run()
    _append(event)
    return True


def _new_event(actor: Actor, action: str, *, registration_number: str = "", trip_id: int | None = None,
               checkpoint: str = "", note: str = "", automatic: bool = False,
               data: dict[str, Any] | None = None, gate_code: str = "") -> AuditEvent:
    if not transaction.get_connection(AuditEvent.objects.db).in_atomic_block:
        raise RuntimeError("audit records must be made inside the transaction of the change they record")
    return AuditEvent(
        at=timezone.now(),
        actor=actor.user,
        actor_name=actor.name,
        role=actor.kind,
        agency_code=actor.agency.code if actor.agency else "",
        gate_code=actor.gate_code or gate_code,
        ip_address=actor.ip_address,
        action=action,
        registration_number=registration_number,
        trip_id_ref=trip_id,
        checkpoint=checkpoint,
        note=note[:500],
        automatic=automatic,
        data=data or {},
    )


def _append(event: AuditEvent) -> None:
    """One statement on PostgreSQL when it can be; two on SQLite when it can be; three otherwise."""
    connection = connections[AuditEvent.objects.db]
    if connection.vendor == "postgresql":
        if _append_in_one_statement(event, ()) != (True, True):
            _append_in_three_statements(event)
    elif not _append_after_known_head(event, connection.alias):
        _append_in_three_statements(event)
        _known_heads[connection.alias] = (event.id, event.hash)


def _append_after_known_head(event: AuditEvent, alias: str) -> bool:
    """SQLite: link the event to the head this process last wrote and move the head by compare-and-set;
    False, with nothing written, if the head is not (or no longer) that one. Safe because SQLite's
    transactions here take the write lock at BEGIN (cuakhau.db.sqlite): nobody moves the head between
    the compare-and-set and the insert."""
    known = _known_heads.pop(alias, None)
    if known is None:
        return False
    last_id, last_hash = known
    event.id, event.prev_hash = last_id + 1, last_hash
    event.hash = _digest(event.id, event.prev_hash, _hashed_fields(event))
    if not _advance_head((1, last_id, last_hash), {"last_id": event.id, "last_hash": event.hash,
                                                    "count": Increment()}):
        return False
    insert_rows([event])  # append-only: no save() machinery on the hottest path (see cuakhau.db.prepared)
    _known_heads[alias] = (event.id, event.hash)
    return True


def _append_in_three_statements(event: AuditEvent) -> None:
    """Read the head under its lock, insert the event, move the head (SQLite's first event of a process, or
    after another process wrote; PostgreSQL's first event)."""
    heads = _lock_head(head_id=1)
    if heads:
        head = heads[0]
    else:  # the very first event
        created, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        head = {"last_id": created.last_id, "last_hash": created.last_hash, "count": created.count}
    event.id, event.prev_hash = head["last_id"] + 1, head["last_hash"]
    event.hash = _digest(event.id, event.prev_hash, _hashed_fields(event))
    insert_rows([event])  # append-only: no save() machinery on the hottest path (see cuakhau.db.prepared)
    _move_head((1,), {"last_id": event.id, "last_hash": event.hash, "count": head["count"] + 1})


# Filled in by the database in _append_in_one_statement; every other column comes from the event.
_CHAINED_COLUMNS = ("id", "prev_hash", "hash")


def _append_in_one_statement(event: AuditEvent, writes: Sequence[Write], *,
                             ends_transaction: bool = False) -> tuple[bool, bool] | None:
    """PostgreSQL: make `writes` (see `record_change`), then lock the head, hash, insert the event and move
    the head, all in one statement. Returns whether the first write changed a row and whether the event
    was appended.

    The head is locked by `FOR UPDATE`, which (read committed) waits for a concurrent append to commit
    and then reads the head it wrote; the UPDATE of the head re-reads that same newest row. So the id,
    the previous hash and the new hash come from the head as it is once locked, as in the three-statement
    path, and `verify()` recomputes the same digest in Python. Not appended when the head row does not
    exist yet; None, with nothing run, when the payload cannot be cut: the caller then takes the
    three-statement path.

    With `ends_transaction` the COMMIT may go with the statement. The writes then also wait for the head
    row to exist, since a change committed before its event could be appended would be a change without
    its audit row: if it does not, nothing is written and `ChainNotStarted` is raised."""
    parts = _payload_around_id_and_prev(_hashed_fields(event))
    if parts is None:
        return None
    connection: Any = connections[AuditEvent.objects.db]  # cuakhau.db.postgresql's, on PostgreSQL
    may_commit = ends_transaction and getattr(connection, "may_commit_with_statement", lambda: False)()
    statements: dict[Any, str] = connection.__dict__.setdefault("_prepared_writes", {})
    key = ("audit_append", may_commit, *(write.sql for write in writes))
    sql = statements.get(key)
    if sql is None:
        sql = statements[key] = _append_sql(connection, [write.sql for write in writes], head_required=may_commit)
    fields = _unchained_fields()
    values = [field.get_db_prep_save(field.pre_save(event, True), connection) for field in fields]
    params = [*(param for write in writes for param in write.params), *parts, *values]
    with prepared_cursor(connection) as cursor:
        if may_commit:
            connection.execute_then_commit(cursor, sql, params)
        else:
            cursor.execute(sql, params)
        changed, head_found, *chained = cursor.fetchone()
    if chained[0] is None:
        if may_commit and not head_found:
            raise ChainNotStarted
        return bool(changed), False
    event.id, event.prev_hash, event.hash = chained
    event._state.adding, event._state.db = False, connection.alias
    return bool(changed), True


@functools.cache
def _unchained_fields() -> tuple[Field[Any, Any], ...]:
    return tuple(field for field in AuditEvent._meta.concrete_fields
                 if isinstance(field, Field) and field.attname not in _CHAINED_COLUMNS)


def _append_sql(connection: Any, writes: list[str], *, head_required: bool = False) -> str:
    quote = connection.ops.quote_name
    head_table, event_table = quote(AuditHead._meta.db_table), quote(AuditEvent._meta.db_table)
    head = {name: quote(name) for name in ("id", "last_id", "last_hash", "count")}  # columns named as fields
    fields = _unchained_fields()
    columns = ", ".join(quote(name) for name in (*_CHAINED_COLUMNS, *(field.column for field in fields)))
    # Typed: a parameter in a SELECT list has no column to take its type from (a NULL would be text).
    placeholders = ", ".join(f"%s::{field.db_type(connection)}" for field in fields)
    # Each write is an UPDATE ending with its WHERE clause: the first is the compare-and-set, every other
    # write and the append happen only if it changed a row.
    guard = " AND EXISTS (SELECT 1 FROM write_0)" if writes else ""
    head_exists = f"EXISTS (SELECT 1 FROM {head_table} WHERE {head['id']} = 1)"  # noqa: S608 - names from the models
    first_guard = f" AND {head_exists}" if head_required else ""
    made = [f"write_{n} AS ({sql}{first_guard + ' RETURNING 1' if n == 0 else guard})"
            for n, sql in enumerate(writes)]
    changed = "(SELECT count(*) FROM write_0)" if writes else "1"
    # names below come from the models, values are all parameters
    return f"""
        WITH {"".join(f"{write}, " for write in made)}locked AS (
            SELECT {head["last_id"]} + 1 AS next_id, {head["last_hash"]} AS prev_hash, {head["count"]} AS count
            FROM {head_table} WHERE {head["id"]} = 1{guard} FOR UPDATE
        ), chained AS (
            SELECT next_id, prev_hash, count,
                   encode(sha256(convert_to(%s::text || next_id::text || %s::text || prev_hash || %s::text,
                                             'UTF8')), 'hex') AS hash
            FROM locked
        ), moved AS (
            UPDATE {head_table} SET {head["last_id"]} = chained.next_id, {head["last_hash"]} = chained.hash,
                   {head["count"]} = chained.count + 1
            FROM chained WHERE {head_table}.{head["id"]} = 1
            RETURNING 1
        ), appended AS (
            INSERT INTO {event_table} ({columns})
            SELECT chained.next_id, chained.prev_hash, chained.hash, {placeholders} FROM chained
            RETURNING {quote("id")}, {quote("prev_hash")}, {quote("hash")}
        )
        SELECT {changed}, {head_exists}, appended.* FROM (SELECT 1) AS one LEFT JOIN appended ON TRUE
    """  # noqa: S608


PROBLEM_MESSAGES = {
    "edited": gettext_lazy("the row was edited after it was written"),
    "inserted": gettext_lazy("a row was inserted into the chain"),
    "deleted": gettext_lazy("a row was deleted"),
    "tail_deleted": gettext_lazy("the last rows of the chain were deleted"),
}


@dataclass(frozen=True)
class ChainProblem:
    event_id: int | None
    problem: str  # a key of PROBLEM_MESSAGES

    def __str__(self) -> str:
        """One line for the operator, in the active language: where, and what was done to the trail."""
        if self.event_id is None:
            where = gettext("End of the chain")
        else:
            where = gettext("Event %(id)s") % {"id": self.event_id}
        return f"{where}: {PROBLEM_MESSAGES[self.problem]} ({self.problem})"


def verify(batch_size: int = 5000) -> list[ChainProblem]:
    """Walk the chain and report every row that was edited, inserted or deleted."""
    return check_chain(batch_size)[1]


def check_chain(batch_size: int = 5000) -> tuple[int, list[ChainProblem]]:
    """(how many events were walked, the problems found): `verify`, with the count an operator is shown."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    expected_id = 1
    count = 0
    last_hash = GENESIS
    for event in _iterate(batch_size):
        count += 1
        if event.pk > expected_id:
            problems.append(ChainProblem(expected_id, "deleted"))
        recomputed = _digest(event.pk, event.prev_hash, _hashed_fields(event))
        if recomputed != event.hash:
            problems.append(ChainProblem(event.pk, "edited"))
        elif event.prev_hash != expected_prev:
            # The row is self-consistent but does not follow its predecessor: it was put
            # there, or the row before it was removed and this one re-linked.
            problems.append(ChainProblem(event.pk, "inserted"))
        expected_prev = event.hash
        expected_id = event.pk + 1
        last_hash = event.hash
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None:
        if head.last_id >= expected_id or (head.last_id == expected_id - 1 and head.last_hash != last_hash):
            problems.append(ChainProblem(None, "tail_deleted"))
        elif head.count != count:
            problems.append(ChainProblem(None, "inserted" if count > head.count else "deleted"))
    elif count:
        problems.append(ChainProblem(None, "inserted"))
    return count, problems


def _iterate(batch_size: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        batch = list(AuditEvent.objects.filter(pk__gt=last).order_by("pk")[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].pk


def events_for_trip(trip_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(trip_id_ref=trip_id).order_by("pk"))
