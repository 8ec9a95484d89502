"""Rules about gates: when they are open and which goods they may take."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from gates.models import Closure, Gate, GoodsProtocol, WorkingHours


def gate_is_open(gate: Gate, moment: dt.datetime) -> bool:
    """Whether the gate clears goods at `moment` (aware), judged in Vietnam's local time."""
    local = timezone.localtime(moment)
    if Closure.objects.filter(gate=gate, starts_at__lte=moment, ends_at__gt=moment).exists():
        return False
    clock = local.time()
    for hours in WorkingHours.objects.filter(gate=gate, weekday=local.weekday()):
        closes_at_midnight = hours.closes == dt.time(0, 0)
        if hours.opens <= clock and (closes_at_midnight or clock < hours.closes):
            return True
    return False


def opening_hours_text(gate: Gate, moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    rows = WorkingHours.objects.filter(gate=gate, weekday=local.weekday())
    return ", ".join(f"{h.opens:%H:%M}–{h.closes:%H:%M}" for h in rows) or "—"


@dataclass(frozen=True)
class ProtocolViolation:
    hs_code: str
    protocol: GoodsProtocol


def goods_not_permitted(gate: Gate, direction: str, hs_codes: Iterable[str]) -> list[ProtocolViolation]:
    """Items whose goods fall under a protocol that does not list this gate for this direction."""
    protocols = [p for p in GoodsProtocol.objects.prefetch_related("permits") if direction in p.directions]
    protocols.sort(key=lambda p: -len(p.hs_prefix))  # the most specific protocol decides
    violations = []
    for hs_code in hs_codes:
        for protocol in protocols:
            if hs_code.startswith(protocol.hs_prefix):
                if not any(permit.gate_id == gate.pk for permit in protocol.permits.all()):
                    violations.append(ProtocolViolation(hs_code, protocol))
                break
    return violations
