"""Rules about gates: when they are open and which goods they may take (read from `gates.rules`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from gates import rules
from gates.models import Gate, GoodsProtocol


def gate_is_open(gate: Gate, moment: dt.datetime, reference: rules.Rules | None = None) -> bool:
    """Whether the gate clears goods at `moment` (aware), judged in Vietnam's local time.

    `reference`: rules already read for this request (`rules.current()`), to check several gates or times."""
    current = reference or rules.current()
    if any(starts_at <= moment < ends_at for starts_at, ends_at in current.closures.get(gate.pk, ())):
        return False
    local = timezone.localtime(moment)
    clock = local.time()
    for opens, closes in current.hours.get((gate.pk, local.weekday()), ()):
        closes_at_midnight = closes == dt.time(0, 0)
        if opens <= clock and (closes_at_midnight or clock < closes):
            return True
    return False


def opening_hours_text(gate: Gate, moment: dt.datetime, reference: rules.Rules | None = None) -> str:
    local = timezone.localtime(moment)
    periods = (reference or rules.current()).hours.get((gate.pk, local.weekday()), ())
    return ", ".join(f"{opens:%H:%M}–{closes:%H:%M}" for opens, closes in periods) or "—"


@dataclass(frozen=True)
class ProtocolViolation:
    hs_code: str
    protocol: GoodsProtocol


def goods_not_permitted(gate: Gate, direction: str, hs_codes: Iterable[str],
                        reference: rules.Rules | None = None) -> list[ProtocolViolation]:
    """Items whose goods fall under a protocol that does not list this gate for this direction."""
    protocols = [p for p in (reference or rules.current()).protocols if direction in p.directions]
    violations = []
    for hs_code in hs_codes:
        for protocol in protocols:  # the most specific protocol decides
            if hs_code.startswith(protocol.hs_prefix):
                if gate.pk not in protocol.gate_ids:
                    violations.append(ProtocolViolation(hs_code, protocol.protocol))
                break
    return violations
