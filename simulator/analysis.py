"""Turning runs into the figures the board asks for, and searching for capacity.

All outputs are plain dicts of numbers and strings so they serialise to JSON as they are.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from .engine import ProgressFn, RunResult, simulate
from .model import CONGESTION_LEVELS, Scenario

DAY_S = 86_400.0
HOUR_S = 3_600.0
#: Bisection runs are shorter than a full scenario run; long enough for a backlog to show.
SEARCH_DAYS = 14


def _pct(x: np.ndarray) -> dict[str, float]:
    if len(x) == 0:
        return {"p50": 0.0, "p90": 0.0, "p99": 0.0, "mean": 0.0}
    p50, p90, p99 = np.percentile(x, [50, 90, 99])
    return {"p50": float(p50), "p90": float(p90), "p99": float(p99), "mean": float(x.mean())}


def level(trucks: float) -> str:
    """The national single window's congestion grade for a number of waiting trucks."""
    name = CONGESTION_LEVELS[0][0]
    for candidate, floor in CONGESTION_LEVELS:
        if trucks >= floor:
            name = candidate
    return name


def in_system(r: RunResult, at_s: np.ndarray, sorted_clear: np.ndarray | None = None) -> np.ndarray:
    """Trucks at the gate (arrived, not yet cleared) at each time in ``at_s``."""
    arrived = np.searchsorted(r.arrival_s, at_s, side="right")
    ordered = np.sort(r.clear_s) if sorted_clear is None else sorted_clear
    return arrived - np.searchsorted(ordered, at_s, side="right")


def queue_wait_h(r: RunResult) -> np.ndarray:
    """Hours each truck waited while the stage it waited for was open.

    Waiting for the gate to open is a matter of working hours, not of capacity: a truck
    arriving at 2:00 at a gate opening at 7:00 waits 5 h at any traffic. The capacity
    target is therefore set on this queueing wait; the full wait is reported too.
    """
    return (r.clear_s - r.arrival_s - r.service_s - r.closed_s) / HOUR_S


def p90_queue_wait_h(r: RunResult) -> float:
    """p90 of the queueing wait (hours) for trucks arriving after the warm-up."""
    window = r.arrival_s >= r.scenario.warmup_days * DAY_S
    wait = queue_wait_h(r)[window]
    return float(np.percentile(wait, 90)) if len(wait) else 0.0


def resources(r: RunResult) -> list[dict[str, Any]]:
    """Utilisation and waiting per resource; the yard pools count as resources too."""
    total_queue = sum(w - c for w, c in zip(r.stage_wait_s, r.stage_closed_s, strict=True)) + sum(r.yard_wait_s)
    out = []
    for st, busy, open_s, wait, closed, visits in zip(
        r.stages,
        r.stage_busy_s,
        r.stage_open_s,
        r.stage_wait_s,
        r.stage_closed_s,
        r.stage_visits,
        strict=True,
    ):
        finite = bool(st.per_hour or st.servers)
        out.append(
            {
                "name": st.name,
                "label": st.label or st.name,
                "servers": st.servers + st.green_servers if not st.per_hour else None,
                "per_hour": st.per_hour or None,
                "utilisation": busy / open_s if finite and open_s else None,
                "visits": visits,
                "queue_wait_min": (wait - closed) / max(visits, 1) / 60,
                "closed_wait_min": closed / max(visits, 1) / 60,
                "queue_share": (wait - closed) / total_queue if total_queue else 0.0,
            }
        )
    yard = r.scenario.yard
    for pool, places, yard_wait in (
        ("import", yard.import_places, r.yard_wait_s[0]),
        ("export", yard.export_places, r.yard_wait_s[1]),
    ):
        visits = int((r.export if pool == "export" else ~r.export).sum())
        out.append(
            {
                "name": f"yard_{pool}",
                "label": f"yard places ({pool})",
                "servers": places,
                "per_hour": None,
                "utilisation": None,
                "visits": visits,
                "queue_wait_min": yard_wait / max(visits, 1) / 60,
                "closed_wait_min": 0.0,
                "queue_share": yard_wait / total_queue if total_queue else 0.0,
            }
        )
    return out


def binding(r: RunResult) -> str:
    """The resource where trucks queue most: the one that binds as load grows."""
    rows = resources(r)
    return max(rows, key=lambda row: row["queue_share"])["name"] if rows else ""


def summarise(r: RunResult, step_minutes: int = 60) -> dict[str, Any]:
    sc = r.scenario
    warm = sc.warmup_days * DAY_S
    horizon = r.days * DAY_S
    window = r.arrival_s >= warm
    tis = (r.clear_s - r.arrival_s) / HOUR_S
    wait = tis - r.service_s / HOUR_S
    queue_wait = queue_wait_h(r)
    by_dir = {"import": window & ~r.export, "export": window & r.export}

    # Counting per day with bincount: one pass, not one pass per day (a year is 365 days).
    in_horizon = r.clear_s < horizon
    day_of_clear = (r.clear_s[in_horizon] // DAY_S).astype(np.int64)
    exported = r.export[in_horizon]
    arrived = np.bincount((r.arrival_s // DAY_S).astype(np.int64), minlength=r.days)
    cleared_exp = np.bincount(day_of_clear[exported], minlength=r.days)
    cleared_imp = np.bincount(day_of_clear[~exported], minlength=r.days)
    daily = [
        {"day": d, "arrived": int(a), "cleared_import": int(i), "cleared_export": int(e)}
        for d, (a, i, e) in enumerate(zip(arrived[: r.days], cleared_imp[: r.days], cleared_exp[: r.days], strict=True))
    ]
    counted = daily[sc.warmup_days :] or daily
    per_day = {
        "import": float(np.mean([d["cleared_import"] for d in counted])),
        "export": float(np.mean([d["cleared_export"] for d in counted])),
    }
    per_day["all"] = per_day["import"] + per_day["export"]

    step = step_minutes * 60.0
    at = np.arange(0.0, horizon + step / 2, step)
    sorted_clear = np.sort(r.clear_s)
    queue = in_system(r, at, sorted_clear)
    outside = np.searchsorted(r.arrival_s, at, side="right") - np.searchsorted(np.sort(r.admit_s), at, side="right")
    hourly = in_system(r, np.arange(warm, horizon, HOUR_S) + HOUR_S / 2, sorted_clear)
    congestion = {name: 0 for name, _ in CONGESTION_LEVELS}
    for value in hourly.tolist():
        congestion[level(value)] += 1

    # Little's law over the measured window: time-average number at the gate against
    # arrival rate × mean time in the system of the trucks that arrived in it.
    overlap = np.clip(np.minimum(r.clear_s, horizon) - np.maximum(r.arrival_s, warm), 0, None)
    span = horizon - warm
    little = {
        "L": float(overlap.sum() / span) if span > 0 else 0.0,
        "lambda_per_h": float(window.sum() / span * HOUR_S) if span > 0 else 0.0,
        "W_h": float(tis[window].mean()) if window.any() else 0.0,
    }

    rows = resources(r)
    return {
        "scenario": sc.name,
        "title": sc.title,
        "description": sc.description,
        "seed": r.seed,
        "days": r.days,
        "warmup_days": sc.warmup_days,
        "trucks_per_day_offered": sc.arrivals.trucks_per_day,
        "arrived": int(len(r.arrival_s)),
        "cleared_in_horizon": int((r.clear_s < horizon).sum()),
        "cleared_per_day": per_day,
        "daily": daily,
        "wait_h": _pct(wait[window]),
        "queue_wait_h": _pct(queue_wait[window]),
        "time_in_system_h": _pct(tis[window]),
        "by_direction": {k: {"wait_h": _pct(wait[m]), "time_in_system_h": _pct(tis[m])} for k, m in by_dir.items()},
        "queue": {
            "step_minutes": step_minutes,
            "in_system": queue.tolist(),
            "outside": outside.tolist(),
        },
        "congestion_hours": congestion,
        "resources": rows,
        "binding": max(rows, key=lambda row: row["queue_share"])["name"] if rows else "",
        "little": little,
        "engine": {"events": r.events, "elapsed_s": round(r.elapsed_s, 3)},
    }


def sustainable(
    sc: Scenario,
    seed: int = 1,
    days: int = SEARCH_DAYS,
    target_h: float | None = None,
    rel_tol: float = 0.02,
    on_step: Callable[[float, float], None] | None = None,
    start: float = 1.0,
    find_binding: bool = False,
) -> dict[str, Any]:
    """Largest scale of the arrival profile whose p90 queueing wait meets the target.

    Bisection over the scale factor with the same seed at every step (common random
    numbers keep the p90-against-scale curve close to monotone). Rate windows (a crisis
    on the other side) are left out: this is the configuration's capacity in normal times.
    ``start`` is a scale thought to be near the answer (it saves runs when known).

    ``queue_forms_at`` is where trucks queue most just past that rate. That is not always
    what binds: a yard full of trucks queueing for an inspection makes everyone else wait
    outside, so the yard shows the queue while the inspection is the limit. With
    ``find_binding`` the binding resource is found by experiment instead: each candidate
    is enlarged by half and the one that raises the sustainable rate most is named.
    """
    target = sc.target_p90_wait_h if target_h is None else target_h
    normal = replace(sc, base_stages=tuple(replace(s, rate_windows=()) for s in sc.base_stages))
    base = normal.arrivals.trucks_per_day

    def ok(scale: float) -> bool:
        run = simulate(normal.with_scale(base * scale), days=days, seed=seed)
        p90 = p90_queue_wait_h(run)
        if on_step is not None:
            on_step(scale, p90)
        return p90 <= target

    grow = 2.0 if start == 1.0 else 1.25
    lo, hi = 0.0, start
    while ok(hi):
        lo, hi = hi, hi * grow
        if hi > 64:  # pragma: no cover - a configuration without a limit
            return {"scale": math.inf, "trucks_per_day": math.inf, "binding": "", "queue_forms_at": ""}
    while hi - lo > rel_tol * max(lo, 0.05):
        mid = (lo + hi) / 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    past = simulate(normal.with_scale(base * max(lo, 0.05) * 1.15), days=days, seed=seed)
    rows = resources(past)
    result: dict[str, Any] = {
        "scale": lo,
        "trucks_per_day": lo * base,
        "target_p90_wait_h": target,
        "search_days": days,
        "queue_forms_at": binding(past),
        "binding": binding(past),
        "resources_past_limit": rows,
    }
    if find_binding:
        trials = _relief_trials(sc, result, seed, on_step)
        result["relief"] = [t for t, _sc in trials]
        # No single enlargement helps: several resources are at their limit together.
        result["co_limited"] = not (trials and trials[0][0]["gain"] > RELIEF_MIN_GAIN)
        if not result["co_limited"]:
            result["binding"] = trials[0][0]["resource"]
    return result


#: A rate found by bisection is known to about 2 %; smaller gains are noise.
RELIEF_MIN_GAIN = 0.03


def _relief_trials(
    sc: Scenario,
    found: dict[str, Any],
    seed: int,
    on_step: Callable[[float, float], None] | None = None,
) -> list[tuple[dict[str, Any], Scenario]]:
    """Enlarge each likely limit by half and measure the sustainable rate; best first."""
    rows = [r for r in found["resources_past_limit"] if r["servers"] != 0]
    by_queue = sorted(rows, key=lambda r: -r["queue_share"])[:3]
    by_use = sorted((r for r in rows if r["utilisation"] is not None), key=lambda r: -r["utilisation"])[:2]
    names = list(dict.fromkeys(r["name"] for r in by_queue + by_use))
    trials = []
    for name in names:
        try:
            relieved, change = relieve(sc, name)
        except ValueError:
            continue
        rate = sustainable(relieved, seed=seed, rel_tol=0.03, start=max(found["scale"], 0.05), on_step=on_step)
        gain = rate["trucks_per_day"] / found["trucks_per_day"] - 1 if found["trucks_per_day"] else 0.0
        trials.append(
            ({"resource": name, "change": change, "trucks_per_day": rate["trucks_per_day"], "gain": gain}, relieved)
        )
    trials.sort(key=lambda t: -t[0]["gain"])
    return trials


def capacity_vs_lanes(
    sc: Scenario,
    seed: int = 1,
    lanes: list[int] | None = None,
    overload: float = 3.0,
    progress: ProgressFn | None = None,
) -> list[dict[str, float]]:
    """Capacity as the lane stages get more lanes, measured two ways.

    ``sustainable_per_day``: the largest arrival rate meeting the wait target (bisection);
    ``overload_per_day``: trucks cleared per day when ``overload`` times today's traffic
    comes. The two differ where a full yard blocks: under overload the yard fills with
    trucks queueing for the slowest inside stage and everyone else waits outside, so
    clearances fall below the sustainable rate.
    """
    names = sc.lane_stages
    if not names:
        return []
    current = max(s.servers for s in sc.base_stages if s.name in names)
    lanes = lanes or sorted({1, 2, 3, current // 2, current, current * 3 // 2, current * 2} - {0})
    out = []
    for i, n_lanes in enumerate(lanes):
        variant = sc.with_stage_servers(names, n_lanes)
        found = sustainable(variant, seed=seed, days=10, rel_tol=0.03)
        loaded = variant.with_scale(variant.arrivals.trucks_per_day * overload)
        days = 7
        run = simulate(loaded, days=days, seed=seed)
        warm = min(sc.warmup_days, days - 1)
        in_window = (run.clear_s >= warm * DAY_S) & (run.clear_s < days * DAY_S)
        out.append(
            {
                "lanes": n_lanes,
                "sustainable_per_day": float(found["trucks_per_day"]),
                "overload_per_day": float(in_window.sum() / (days - warm)),
            }
        )
        if progress is not None:
            progress((i + 1) / len(lanes))
    return out


def evaluate(
    sc: Scenario,
    days: int | None = None,
    seed: int = 1,
    progress: ProgressFn | None = None,
    search: bool = True,
) -> dict[str, Any]:
    """Everything the command stores for one scenario: the run, capacity and lanes."""

    def part(lo: float, hi: float) -> ProgressFn | None:
        if progress is None:
            return None
        report = progress
        return lambda f: report(lo + (hi - lo) * f)

    summary = summarise(simulate(sc, days=days, seed=seed, progress=part(0.0, 0.4)))
    if search:
        steps = [0]

        def on_step(scale: float, p90: float) -> None:
            steps[0] += 1
            if progress is not None:
                progress(min(0.4 + 0.03 * steps[0], 0.75))

        summary["sustainable"] = sustainable(sc, seed=seed, on_step=on_step, find_binding=True)
        summary["capacity_vs_lanes"] = capacity_vs_lanes(sc, seed=seed, progress=part(0.75, 1.0))
    if progress is not None:
        progress(1.0)
    return summary


def relieve(sc: Scenario, resource: str, factor: float = 1.5) -> tuple[Scenario, str]:
    """``sc`` with ``resource`` enlarged by ``factor``, and a sentence saying what changed."""

    def more(n: float) -> int:
        return max(math.ceil(n * factor), int(n) + 1)

    if resource.startswith("yard_"):
        key = f"{resource[5:]}_places"
        places = more(getattr(sc.yard, key))
        return replace(sc, yard=replace(sc.yard, **{key: places})), f"{resource}: {places} places"
    if resource == "joint_inspection":
        teams = more(sc.smart.one_stop_teams)
        return replace(sc, smart=replace(sc.smart, one_stop_teams=teams)), f"{resource}: {teams} joint teams"
    if resource.startswith("shuttle_"):
        rate = round(sc.smart.shuttle_per_hour * factor)
        return replace(sc, smart=replace(sc.smart, shuttle_per_hour=rate)), f"shuttle: {rate}/h each way"
    stages = []
    change = ""
    for st in sc.base_stages:
        if st.name == resource and st.per_hour:
            st = replace(st, per_hour=round(st.per_hour * factor))
            change = f"{resource}: {st.per_hour:g}/h"
        elif st.name == resource and st.servers:
            st = replace(st, servers=more(st.servers))
            change = f"{resource}: {st.servers} servers"
        stages.append(st)
    if not change:
        raise ValueError(f"cannot enlarge {resource!r}")
    return replace(sc, base_stages=tuple(stages)), change


def what_it_takes(
    sc: Scenario,
    baseline_per_day: float,
    target_ratio: float,
    seed: int = 1,
    max_steps: int = 10,
    on_step: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Greedy: enlarge by half whatever binds (found by experiment) until the target.

    Each row is one configuration with its sustainable rate, its ratio to the baseline and
    the resource that binds it; the last row is what it would take, or the best found if
    no single enlargement helps any more.
    """
    rows: list[dict[str, Any]] = []
    change = "as configured"
    found = sustainable(sc, seed=seed, find_binding=True)
    for _step in range(max_steps + 1):
        row = {
            "change": change,
            "trucks_per_day": found["trucks_per_day"],
            "ratio": found["trucks_per_day"] / baseline_per_day,
            "binding": found["binding"],
            "scenario": sc,
        }
        rows.append(row)
        if on_step is not None:
            on_step(row)
        best = found.get("relief") or []
        if row["ratio"] >= target_ratio or not best or best[0]["gain"] <= RELIEF_MIN_GAIN:
            break
        sc, change = relieve(sc, best[0]["resource"])
        found = sustainable(sc, seed=seed, start=found["scale"], find_binding=True)
    return rows
