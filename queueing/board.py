"""The public live board: per gate and direction, counts only — never a plate, a name or a number.

Cheap by construction: a fixed handful of aggregate queries whatever the number of trucks
(GROUP BY over active trips, indexed on stage/outcome; left-gate confirmations of the last hour,
indexed on name/confirmed_at; the next 24 hours' slot rows), plus the capacity plan.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crossings.models import Checkpoint, CheckpointState, Outcome, Stage, Trip
from cuakhau.errors import NotFound
from declarations.models import Registration
from gates.models import Gate
from queueing import conf
from queueing.capacity import HOUR, CapacityPlan, hours_between, local_hour_start
from queueing.models import FLOWS, GateQueuePolicy, HourSlot, flow_of

LEVELS = ("green", "yellow", "orange", "red")


@dataclass(frozen=True)
class Thresholds:
    yellow_from: int
    orange_from: int
    red_above: int

    @classmethod
    def for_gate(cls, policy: GateQueuePolicy | None) -> Thresholds:
        if policy is not None:
            return cls(policy.congestion_yellow_from, policy.congestion_orange_from, policy.congestion_red_above)
        return cls(int(conf.get("QUEUEING_CONGESTION_YELLOW_FROM")), int(conf.get("QUEUEING_CONGESTION_ORANGE_FROM")),
                   int(conf.get("QUEUEING_CONGESTION_RED_ABOVE")))

    def level(self, waiting: int) -> str:
        """green < 500 waiting, yellow 500–999, orange 1,000–5,000, red > 5,000 (by default)."""
        if waiting > self.red_above:
            return "red"
        if waiting >= self.orange_from:
            return "orange"
        if waiting >= self.yellow_from:
            return "yellow"
        return "green"


@dataclass
class DirectionBoard:
    direction: str
    waiting: int = 0
    in_yard: int = 0
    cleared_last_hour: int = 0
    predicted_wait_minutes: int | None = 0
    level: str = "green"
    capacity_this_hour: int = 0
    free_places_next_24h: int = 0


@dataclass
class GateBoard:
    gate: str
    name: str
    name_vi: str
    name_zh: str
    province: str
    level: str = "green"
    waiting: int = 0
    directions: list[DirectionBoard] = field(default_factory=list)


def predicted_wait(waiting: int, cleared_last_hour: int) -> int | None:
    """Minutes, as the queue divided by the recent clearance rate; unknown while nothing clears."""
    if waiting == 0:
        return 0
    if cleared_last_hour == 0:
        return None
    return math.ceil(waiting * 60 / cleared_last_hour)


IN_PROGRESS = (Stage.AT_GATE, Stage.IN_YARD, Stage.PAID)


def _trips_in_progress(gate_ids: list[int] | None) -> list[tuple[int, str, str, int]]:
    """(gate, direction, stage, trucks) of active trips waiting at the gate or in the yard.

    Counted per registration first, from the covering index (outcome, stage, registration_id) of
    migration 0003 (an index-only scan), then joined to the far fewer registration rows. Plain SQL:
    the ORM cannot group a grouped subquery.
    """
    trip, registration = Trip._meta.db_table, Registration._meta.db_table
    gate_filter = ""
    params: list[str | int] = [str(Outcome.ACTIVE), *map(str, IN_PROGRESS)]
    if gate_ids is not None:
        gate_filter = f" WHERE r.gate_id IN ({', '.join(['%s'] * len(gate_ids))})"
        params += gate_ids
    sql = (f"SELECT r.gate_id, r.direction, x.stage, SUM(x.n) FROM ("  # noqa: S608 - table names, no input
           f"SELECT registration_id, stage, COUNT(*) AS n FROM {trip} "
           f"WHERE outcome = %s AND stage IN (%s, %s, %s) GROUP BY registration_id, stage) x "
           f"JOIN {registration} r ON r.id = x.registration_id{gate_filter} "
           f"GROUP BY r.gate_id, r.direction, x.stage")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(gate_id, direction, stage, int(n)) for gate_id, direction, stage, n in cursor.fetchall()]


def build_board(gate_code: str | None = None, now: dt.datetime | None = None) -> list[GateBoard]:
    now = now or timezone.now()
    gates_query = Gate.objects.filter(handles_goods=True).select_related("province", "queue_policy").order_by(
        "province__code", "code")
    if gate_code is not None:
        gates_query = gates_query.filter(code=gate_code)
    gates = list(gates_query)
    if gate_code is not None and not gates:
        raise NotFound(_("Unknown gate."))
    gate_ids = [g.pk for g in gates]
    rows: dict[tuple[int, str], DirectionBoard] = {(g.pk, f): DirectionBoard(str(f)) for g in gates for f in FLOWS}

    for gate_id, direction, stage, count in _trips_in_progress(gate_ids if gate_code is not None else None):
        row = rows.get((gate_id, flow_of(direction)))
        if row is None:
            continue
        if stage == Stage.AT_GATE:
            row.waiting += count
        else:
            row.in_yard += count
    cleared = Checkpoint.objects.filter(name="left_gate", state=CheckpointState.CONFIRMED,
                                        confirmed_at__gte=now - HOUR, confirmed_at__lte=now)
    slots = HourSlot.objects.filter(hour_start__gte=local_hour_start(now), hour_start__lt=now + dt.timedelta(hours=24))
    if gate_code is not None:
        cleared = cleared.filter(trip__registration__gate_id__in=gate_ids)
        slots = slots.filter(gate_id__in=gate_ids)
    for gate_id, direction, count in (cleared.values("trip__registration__gate_id", "trip__registration__direction")
                                      .annotate(n=Count("pk")).values_list(
                                          "trip__registration__gate_id", "trip__registration__direction", "n")):
        row = rows.get((gate_id, flow_of(direction)))
        if row is not None:
            row.cleared_last_hour += count

    booked: dict[tuple[int, str], dict[dt.datetime, tuple[int, int]]] = defaultdict(dict)
    for gate_id, direction, hour_start, capacity, taken in slots.values_list("gate_id", "direction", "hour_start",
                                                                              "capacity", "booked"):
        booked[(gate_id, direction)][hour_start] = (capacity, taken)
    hours = [(hour, timezone.localtime(hour)) for hour in hours_between(now, now + dt.timedelta(hours=24))]
    plan = CapacityPlan.load(gate_ids, hours[0][0], hours[-1][0] + HOUR)

    boards = []
    for gate in gates:
        policy = getattr(gate, "queue_policy", None)
        thresholds = Thresholds.for_gate(policy)
        board = GateBoard(gate=gate.code, name=gate.name, name_vi=gate.name_vi, name_zh=gate.name_zh,
                          province=gate.province.name)
        for flow in FLOWS:
            row = rows[(gate.pk, flow)]
            known = booked.get((gate.pk, flow), {})
            free = 0
            capacities = []
            for hour, local in hours:
                capacity, taken = known.get(hour) or (plan.capacity(gate.pk, flow, hour, local), 0)
                capacities.append(capacity)
                free += max(capacity - taken, 0)
            row.free_places_next_24h = free
            row.capacity_this_hour = capacities[0]
            row.predicted_wait_minutes = predicted_wait(row.waiting, row.cleared_last_hour)
            row.level = thresholds.level(row.waiting)
            board.directions.append(row)
            board.waiting += row.waiting
        board.level = thresholds.level(board.waiting)
        boards.append(board)
    return boards
