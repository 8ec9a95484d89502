"""The gates' rules held in memory per process: checked on every registration, changed rarely.

A registration is checked against its gate, yard, working hours, closures and the goods protocols.
Read from the database each time, those lookups were about a quarter of the cost of a submission.
Here they are read once into an immutable snapshot, which every call reuses while the database's
`ReferenceRevision` token is unchanged; any save or delete of reference data changes the token
(signals below, and `gates.reference.load_reference_data`), so every process sees an edit in the
admin on its next check. The token itself is one compiled, indexed read.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models.signals import post_delete, post_save

from cuakhau.db.prepared import PreparedRead
from gates.models import (
    Closure,
    Gate,
    GoodsProtocol,
    ReferenceManager,
    ReferenceRevision,
    WorkingHours,
    Yard,
    bump_reference_revision,
)


@dataclass(frozen=True)
class Protocol:
    protocol: GoodsProtocol
    hs_prefix: str
    directions: frozenset[str]
    gate_ids: frozenset[int]


@dataclass(frozen=True)
class Rules:
    token: str | None
    gates: dict[str, Gate]  # by code
    yards: dict[str, Yard]  # by code
    hours: dict[tuple[int, int], list[tuple[dt.time, dt.time]]]  # (gate id, weekday) → opening periods
    closures: dict[int, list[tuple[dt.datetime, dt.datetime]]]  # gate id → closed periods
    protocols: list[Protocol] = field(default_factory=list)  # most specific prefix first

    def gate(self, code: str) -> Gate | None:
        return self.gates.get(code)

    def yard(self, code: str) -> Yard | None:
        return self.yards.get(code)


_read_token = PreparedRead(lambda revision_id: ReferenceRevision.objects.filter(pk=revision_id).values("token"))
_lock = threading.Lock()
_cached: Rules | None = None


def current() -> Rules:
    """The rules as stored now (re-read only after a change of reference data)."""
    global _cached
    rows = _read_token(revision_id=1)
    token = rows[0]["token"] if rows else None
    rules = _cached
    if rules is not None and rules.token == token:
        return rules
    with _lock:
        rules = _load(token)
        _cached = rules
    return rules


def _load(token: str | None) -> Rules:
    gates = {gate.code: gate for gate in Gate.objects.select_related("province")}
    by_id = {gate.pk: gate for gate in gates.values()}
    yards = {}
    for yard in Yard.objects.all():
        yard.gate = by_id[yard.gate_id]
        yards[yard.code] = yard
    hours: dict[tuple[int, int], list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for row in WorkingHours.objects.order_by("gate", "weekday", "opens").values_list("gate_id", "weekday", "opens",
                                                                                     "closes"):
        hours[(row[0], row[1])].append((row[2], row[3]))
    closures: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for gate_id, starts_at, ends_at in Closure.objects.order_by("starts_at").values_list("gate_id", "starts_at",
                                                                                          "ends_at"):
        closures[gate_id].append((starts_at, ends_at))
    protocols = [Protocol(p, p.hs_prefix, frozenset(p.directions), frozenset(g.gate_id for g in p.permits.all()))
                 for p in GoodsProtocol.objects.prefetch_related("permits")]
    protocols.sort(key=lambda p: -len(p.hs_prefix))  # the most specific protocol decides
    return Rules(token, gates, yards, dict(hours), dict(closures), protocols)


def _changed(sender, **kwargs) -> None:  # type: ignore[no-untyped-def]
    if kwargs.get("raw"):  # loading a fixture: the loader's own bump follows
        return
    bump_reference_revision()


# The reference models are the ones whose manager marks bulk writes (gates.models.ReferenceManager).
for _model in apps.get_app_config("gates").get_models():
    if not isinstance(_model._default_manager, ReferenceManager):
        continue
    post_save.connect(_changed, sender=_model, dispatch_uid=f"reference-revision-save-{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"reference-revision-delete-{_model.__name__}")
