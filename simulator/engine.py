"""Discrete-event engine: one gate, trucks flowing through stages, yard places held.

Why a plain event heap and not SimPy: a simulated year at five times today's traffic is
about 2.4 million trucks and 13 million events, and the run has to take under a minute
on one core. A SimPy process per truck costs tens of microseconds per event; this loop
costs about one. The tricks that make it cheap, and why they are exact:

* Every stage is served first come, first served (FCFS) by identical servers, so when a truck
  *arrives* at a stage its start is ``max(arrival, earliest free server)`` — the classical
  recurrence for a FCFS multi-server queue. Events are popped in time order, so arrivals
  at each stage are processed in time order and the recurrence is exact. One event per
  stage visited; no queue objects, no "service start" events.
* The yard is the one resource held across stages, so it keeps explicit waiting lines
  (perishables first: the green lane) and is released by an event.
* An event is one Python int: ``time_ms << 32 | truck << 5 | step``. Comparing ints is
  much cheaper than comparing tuples, and the key carries all the state an event needs.
* Random variates are drawn in numpy blocks, one independent stream per stage (so two
  configurations share random numbers where they share stages).
"""

from __future__ import annotations

import heapq
import itertools
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .model import Dist, Hours, Scenario, Stage

MS_PER_S = 1000
HOUR = 3_600_000
DAY = 24 * HOUR
YARD_IN = -1
YARD_OUT = -2
END = -3
_TRUCK_BITS = 27
_TRUCK_MASK = (1 << _TRUCK_BITS) - 1
_STEP_MASK = 31
_BLOCK = 16384

ProgressFn = Callable[[float], None]


@dataclass
class RunResult:
    """Raw outcome of one run; ``analysis.summarise`` turns it into figures."""

    scenario: Scenario
    seed: int
    days: int
    stages: tuple[Stage, ...]
    arrival_s: np.ndarray  # float64 seconds since the start, sorted
    admit_s: np.ndarray  # got a yard place
    clear_s: np.ndarray  # left the system (cleared)
    service_s: np.ndarray  # time spent being served (all stages)
    closed_s: np.ndarray  # time spent waiting because the next stage was closed
    export: np.ndarray  # bool
    perishable: np.ndarray  # bool
    stage_busy_s: list[float]  # service started within the horizon
    stage_wait_s: list[float]  # from arriving at the stage to service start
    stage_closed_s: list[float]  # the part of it the stage was closed
    stage_visits: list[int]
    stage_open_s: list[float]  # server-seconds available within the horizon
    yard_wait_s: tuple[float, float]  # (import, export) waiting outside for a place
    events: int
    mean_heap: float  # events pending, sampled: what a bare heap loop must match
    elapsed_s: float


def _stream(dist: Dist, rng: np.random.Generator) -> Iterator[int]:
    """Endless service times (ms) drawn in blocks; ``next()`` on a chain is C-fast."""
    return itertools.chain.from_iterable(dist.sample_ms(rng, _BLOCK).tolist() for _ in itertools.count())


@dataclass(frozen=True)
class _Route:
    stations: tuple[int, ...]  # stage index or YARD_IN / YARD_OUT / END, in order
    keys: tuple[tuple[int, tuple[int, ...]], ...]  # (stage, agency parts) per step
    pool: int  # yard pool: 0 import, 1 export
    green: bool  # perishable: green lane


def _combo_stream(dists: list[Dist], rng: np.random.Generator) -> Iterator[int]:
    """A joint inspection lasts as long as the longest of the checks it combines."""

    def block() -> list[int]:
        draws = [d.sample_ms(rng, _BLOCK) for d in dists]
        return np.maximum.reduce(draws).tolist()  # type: ignore[no-any-return]

    return itertools.chain.from_iterable(block() for _ in itertools.count())


def _seconds(ms: array) -> np.ndarray:
    return np.frombuffer(ms, dtype=np.int64) / MS_PER_S


def _window(h: Hours) -> tuple[int, int]:
    return (-1, DAY) if h.always else (round(h.open * HOUR), round(h.close * HOUR))


def generate_arrivals(sc: Scenario, days: int, rng: np.random.Generator) -> np.ndarray:
    """Arrival times (ms, sorted): Poisson within each hour of the day's profile."""
    a = sc.arrivals
    gate = sc.gate_hours()
    if a.booked:
        # Booked arrival hours spread the day's trucks evenly over the opening window.
        prof = np.array([1.0 if gate.always or gate.open <= h < gate.close else 0.0 for h in range(24)])
    else:
        prof = np.asarray(a.hourly_profile, dtype=float)
    if len(prof) != 24 or prof.sum() <= 0:
        raise ValueError("hourly_profile needs 24 non-negative weights")
    prof = prof / prof.sum()
    if a.day_cv > 0:
        s2 = np.log1p(a.day_cv**2)
        factor = rng.lognormal(-s2 / 2, np.sqrt(s2), days)
    else:
        factor = np.ones(days)
    rates = a.trucks_per_day * factor[:, None] * prof[None, :]
    counts = rng.poisson(rates).ravel()
    starts = np.repeat(np.arange(days * 24, dtype=np.int64) * HOUR, counts)
    times = starts + (rng.random(len(starts)) * HOUR).astype(np.int64)
    times.sort()
    return times


def _build_routes(
    stages: tuple[Stage, ...], visit: list[np.ndarray], export: np.ndarray, perishable: np.ndarray
) -> tuple[list[_Route], np.ndarray]:
    """Group trucks by identical paths: route table + route index per truck.

    ``visit`` has one boolean column per stage part (a merged one-stop inspection has one
    part per agency it replaces), so a route also knows which agencies' checks its joint
    inspection covers; the step's stream key carries that.
    """
    columns = [(k, j) for k, st in enumerate(stages) for j in range(len(st.merged) or 1)]
    n_col = len(columns)
    code = np.zeros(len(export), dtype=np.int64)
    for c, (k, j) in enumerate(columns):
        code |= visit[k][:, j].astype(np.int64) << c
    code |= (export.astype(np.int64) << n_col) | (perishable.astype(np.int64) << (n_col + 1))
    uniq, inverse = np.unique(code, return_inverse=True)
    routes = []
    for c in uniq.tolist():
        parts: dict[int, tuple[int, ...]] = {}
        for col, (k, j) in enumerate(columns):
            if c >> col & 1:
                parts[k] = parts.get(k, ()) + (j,)
        steps: list[tuple[int, tuple[int, ...]]] = []
        for zone in ("before_yard", "yard", "after_yard"):
            steps += [(k, p) for k, p in parts.items() if stages[k].zone == zone]
            if zone == "before_yard":
                steps.append((YARD_IN, ()))
            elif zone == "yard":
                steps.append((YARD_OUT, ()))
        steps.append((END, ()))
        if len(steps) > _STEP_MASK:
            raise ValueError("too many stages on one route")
        routes.append(
            _Route(
                tuple(k for k, _ in steps),
                tuple((k, p) for k, p in steps),
                int(c >> n_col & 1),
                bool(c >> (n_col + 1) & 1),
            )
        )
    return routes, inverse.astype(np.int64)


def simulate(
    sc: Scenario,
    days: int | None = None,
    seed: int = 1,
    progress: ProgressFn | None = None,
) -> RunResult:
    """Run ``sc`` for ``days`` of arrivals, then let every truck already there clear."""
    days = sc.days if days is None else days
    t0 = time.perf_counter()
    stages = sc.stages()
    seeds = np.random.SeedSequence(seed).spawn(2 + 2 * len(stages))
    rng_arr, rng_attr = np.random.default_rng(seeds[0]), np.random.default_rng(seeds[1])

    arr = generate_arrivals(sc, days, rng_arr)
    n = len(arr)
    if n >= 1 << _TRUCK_BITS:
        raise ValueError("too many trucks for one run")
    a = sc.arrivals
    export = rng_attr.random(n) < a.export_share
    r = rng_attr.random(n)
    perishable = np.where(export, r < a.perishable_share_export, r < a.perishable_share_import)
    foreign = ~export & (rng_attr.random(n) < a.foreign_share_import)
    shuttle = rng_attr.random(n) < sc.smart.shuttle_share
    attrs = {
        "import": ~export,
        "export": export,
        "perishable": perishable,
        "foreign": foreign,
        "shuttle": shuttle,
    }
    visit = []
    for k, st in enumerate(stages):
        draw = np.random.default_rng(seeds[2 + 2 * k])
        parts = st.merged or (st,)
        visit.append(np.column_stack([p.applies(attrs) & (draw.random(n) < p.share) for p in parts]))
    routes, route_of = _build_routes(stages, visit, export, perishable)

    # Per-stage tables, indexed by stage number (lists: faster than attribute lookups).
    horizon = days * DAY
    gate_w, side_w = _window(sc.gate_hours()), _window(sc.side_hours())
    kind: list[int] = []  # 0 unlimited delay, 1 server pool, 2 rate-limited single server
    free: list[list[int]] = []
    gfree: list[list[int] | None] = []
    streams: list[Iterator[int]] = []
    opens: list[int] = []
    closes: list[int] = []
    day_service: list[list[int]] = []
    open_s: list[float] = []
    for k, st in enumerate(stages):
        w = {"gate": gate_w, "other_side": side_w, "24h": (-1, DAY)}[st.hours]
        opens.append(w[0])
        closes.append(w[1])
        open_day_s = (w[1] - max(w[0], 0)) / MS_PER_S
        draw = np.random.default_rng(seeds[3 + 2 * k])
        if st.per_hour:
            kind.append(2)
            rates = [st.per_hour] * (days + 1)
            for win in st.rate_windows:
                for d in range(max(win.from_day, 0), min(win.to_day, days + 1)):
                    rates[d] = win.per_hour
            day_service.append([round(HOUR / rt) for rt in rates])
            free.append([0])
            open_s.append(open_day_s * days)
        else:
            if st.service is None and not st.merged:
                raise ValueError(f"stage {st.name} needs a service distribution")
            kind.append(0 if st.servers == 0 else 1)
            day_service.append([])
            free.append([0] * st.servers)
            open_s.append(open_day_s * days * (st.servers + st.green_servers))
        gfree.append([0] * st.green_servers if st.green_servers else None)
        streams.append(_stream(st.service, draw) if st.service else iter(()))

    # Joint inspections get one stream per combination of agency checks (see _combo_stream).
    stream_of: dict[tuple[int, tuple[int, ...]], int] = {}
    table: list[tuple[tuple[int, ...], tuple[int, ...], int, bool]] = []
    for route in routes:
        ids = []
        for k, checks in route.keys:
            if k < 0 or not stages[k].merged:
                ids.append(k)
                continue
            if (k, checks) not in stream_of:
                stream_of[(k, checks)] = len(streams)
                dists = [stages[k].merged[j].service for j in checks]
                combo_rng = np.random.default_rng([seed, 1000 + k, *checks])
                streams.append(_combo_stream([d for d in dists if d is not None], combo_rng))
            ids.append(stream_of[(k, checks)])
        table.append((route.stations, tuple(ids), route.pool, route.green))

    busy = [0] * len(stages)
    wait = [0] * len(stages)
    closed = [0] * len(stages)  # part of ``wait`` spent because the stage was closed
    yard_free = [sc.yard.import_places, sc.yard.export_places]
    queues: list[deque[tuple[int, int, int]]] = [deque(), deque()]
    green_queues: list[deque[tuple[int, int, int]]] = [deque(), deque()]
    yard_wait = [0, 0]
    admit = array("q", bytes(8 * n))
    clear = array("q", bytes(8 * n))
    served = array("q", bytes(8 * n))
    closed_wait = array("q", bytes(8 * n))
    arr_list = arr.tolist()
    route_list = route_of.tolist()
    heap: list[int] = [(arr_list[0] << 32) | (0 << 5)] if n else []
    push, pop, replace_top = heapq.heappush, heapq.heappop, heapq.heapreplace
    events = 0
    heap_sizes: list[int] = []
    report_every = max(n // 200, 1)

    while heap:
        key = pop(heap)
        events += 1
        t = key >> 32
        truck = (key >> 5) & _TRUCK_MASK
        step = key & _STEP_MASK
        if step == 0:
            # Arrivals are chained, so the heap only holds trucks already at the gate.
            nxt = truck + 1
            if nxt < n:
                push(heap, (arr_list[nxt] << 32) | (nxt << 5))
            if truck % report_every == 0:
                heap_sizes.append(len(heap))
                if progress is not None:
                    progress(truck / n)
        steps, stream_ids, pool, green = table[route_list[truck]]
        while True:
            st = steps[step]
            if st >= 0:
                k = kind[st]
                if k == 1:
                    pool_free = free[st]
                    start = pool_free[0]
                    if start < t:
                        start = t
                    gf = gfree[st]
                    if gf is not None and green and gf[0] < start:
                        # Green lane: a perishable takes a reserved server if it is sooner.
                        pool_free = gf
                        start = gf[0] if gf[0] > t else t
                elif k == 0:
                    start = t
                else:
                    start = free[st][0]
                    if start < t:
                        start = t
                o = opens[st]
                if o >= 0:
                    c = closes[st]
                    tod = start % DAY
                    if tod < o:
                        start += o - tod
                    elif tod >= c:
                        start += DAY - tod + o
                    if start > t:
                        # Only the open time in [t, start) counts as queueing: the rest is
                        # the night, whoever was in front (clip(x) = open time before x).
                        days_between = start // DAY - t // DAY
                        ta = t % DAY - o
                        tb = start % DAY - o
                        span = c - o
                        open_ms = (
                            days_between * span
                            + (tb if 0 < tb < span else (span if tb >= span else 0))
                            - (ta if 0 < ta < span else (span if ta >= span else 0))
                        )
                        shut = start - t - open_ms
                        closed[st] += shut
                        closed_wait[truck] += shut
                if k == 2:
                    ds = day_service[st]
                    d = start // DAY
                    s = ds[d] if d < len(ds) else ds[-1]
                    free[st][0] = start + s
                else:
                    s = next(streams[stream_ids[step]])
                    if k == 1:
                        replace_top(pool_free, start + s)
                if start < horizon:
                    busy[st] += s
                wait[st] += start - t
                served[truck] += s
                push(heap, ((start + s) << 32) | (truck << 5) | (step + 1))
                break
            if st == YARD_IN:
                if yard_free[pool] > 0:
                    yard_free[pool] -= 1
                    admit[truck] = t
                    step += 1
                    continue
                (green_queues if green else queues)[pool].append((truck, step + 1, t))
                break
            if st == YARD_OUT:
                line = green_queues[pool] or queues[pool]
                if line:
                    other, other_step, since = line.popleft()
                    admit[other] = t
                    yard_wait[pool] += t - since
                    push(heap, (t << 32) | (other << 5) | other_step)
                else:
                    yard_free[pool] += 1
                step += 1
                continue
            clear[truck] = t
            break

    if progress is not None:
        progress(1.0)

    return RunResult(
        scenario=sc,
        seed=seed,
        days=days,
        stages=stages,
        arrival_s=arr / MS_PER_S,
        admit_s=_seconds(admit),
        clear_s=_seconds(clear),
        service_s=_seconds(served),
        closed_s=_seconds(closed_wait),
        export=export,
        perishable=perishable,
        stage_busy_s=[b / MS_PER_S for b in busy],
        stage_wait_s=[w / MS_PER_S for w in wait],
        stage_closed_s=[c / MS_PER_S for c in closed],
        stage_visits=[int(v.any(axis=1).sum()) for v in visit],
        stage_open_s=open_s,
        yard_wait_s=(yard_wait[0] / MS_PER_S, yard_wait[1] / MS_PER_S),
        events=events,
        mean_heap=sum(heap_sizes) / max(len(heap_sizes), 1),
        elapsed_s=time.perf_counter() - t0,
    )
