"""The hash-chained, append-only audit trail.

Every state change calls `record()` inside its own transaction, so the change and its audit row
commit together or not at all. Appends lock the single AuditHead row, which orders them into
one chain on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.services import Actor
from crossings.models import AuditEvent, AuditHead
from cuakhau.db.prepared import PreparedRead, PreparedUpdate, insert_rows

GENESIS = "0" * 64
HASHED_FIELDS = ("at", "actor_name", "role", "agency_code", "gate_code", "ip_address", "action",
                 "registration_number", "trip_id_ref", "checkpoint", "note", "automatic", "data")


def _digest(event_id: int, prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps({"id": event_id, "prev": prev_hash, **fields}, sort_keys=True, ensure_ascii=False,
                         separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in HASHED_FIELDS}
    values["at"] = event.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return values


# Every append reads the head under its lock; compiled once (see cuakhau.db.prepared).
_lock_head = PreparedRead(lambda head_id: AuditHead.objects.select_for_update().filter(pk=head_id)
                          .values("last_id", "last_hash", "count"))

_move_head = PreparedUpdate(AuditHead, where=("id",))


def record(actor: Actor, action: str, *, registration_number: str = "", trip_id: int | None = None,
           checkpoint: str = "", note: str = "", automatic: bool = False,
           data: dict[str, Any] | None = None, gate_code: str = "") -> AuditEvent:
    """Append one event. Must run inside the transaction that makes the change it records.

    `gate_code` is the gate the action concerns, for actors without a gate of their own (enterprises)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction of the change it records")
    heads = _lock_head(head_id=1)
    if heads:
        head = heads[0]
    else:  # the very first event
        created, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        head = {"last_id": created.last_id, "last_hash": created.last_hash, "count": created.count}
    event = AuditEvent(
        id=head["last_id"] + 1,
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
        prev_hash=head["last_hash"],
    )
    event.hash = _digest(event.id, event.prev_hash, _hashed_fields(event))
    insert_rows([event])  # append-only: no save() machinery on the hottest path (see cuakhau.db.prepared)
    _move_head((1,), {"last_id": event.id, "last_hash": event.hash, "count": head["count"] + 1})
    return event


@dataclass(frozen=True)
class ChainProblem:
    event_id: int | None
    problem: str  # "edited", "inserted", "deleted", "tail_deleted"

    def __str__(self) -> str:
        where = f"event {self.event_id}" if self.event_id is not None else "end of chain"
        return f"{where}: {self.problem}"


def verify(batch_size: int = 5000) -> list[ChainProblem]:
    """Walk the chain and report every row that was edited, inserted or deleted."""
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
    return problems


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
