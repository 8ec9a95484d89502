"""One simulated year of five times today's traffic (≈ 2.4 million trucks), on one core.

    .venv/bin/python benchmarks/simulator_year.py

Target (issue 5): ≤ 60 s. The machine is shared and noisy, so the same run also times a
baseline — a bare heapq push/pop loop over the same number of events with the same kind
of int keys — and reports the ratio, which moves much less than the wall-clock figure.
"""

from __future__ import annotations

import heapq
import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from simulator import analysis, engine, scenarios  # noqa: E402

TRAFFIC = 5.0
DAYS = 365
SEED = 1


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def baseline(events: int, in_flight: int) -> float:
    """Seconds for ``events`` pops and pushes on a heap of ``in_flight`` int keys."""
    rng = random.Random(SEED)
    heap = [(rng.randrange(3_600_000) << 32) | (i << 5) for i in range(in_flight)]
    heapq.heapify(heap)
    deltas = [rng.randrange(1, 3_600_000) for _ in range(4096)]
    pop, push = heapq.heappop, heapq.heappush
    t0 = time.perf_counter()
    for i in range(events):
        key = pop(heap)
        push(heap, key + (deltas[i & 4095] << 32))
    return time.perf_counter() - t0


def year(name: str) -> tuple[engine.RunResult, float]:
    sc = scenarios.load(name)
    run = engine.simulate(sc.with_scale(scenarios.load("digital_2024").arrivals.trucks_per_day * TRAFFIC), DAYS, SEED)
    t0 = time.perf_counter()
    analysis.summarise(run)
    return run, time.perf_counter() - t0


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    print("| item | value |")
    print("|---|---|")
    print(f"| machine | {os.cpu_count()} CPUs (nproc), {cpu_model()} |")
    print(f"| python / numpy | {platform.python_version()} / {np.__version__} |")
    print(f"| traffic | ×{TRAFFIC:g} today's 1,300 trucks/day, {DAYS} days, seed {SEED}, pinned to one core |")
    # smart_2030_x5 carries the traffic; smart_2030 cannot, so its backlog grows all year.
    for name in ("smart_2030_x5", "smart_2030"):
        run, summarise_s = year(name)
        base_s = baseline(run.events, max(int(run.mean_heap), 1))
        total = run.elapsed_s + summarise_s
        print(f"| **{name}**: trucks / events | {len(run.arrival_s):,} / {run.events:,} |")
        print(f"| {name}: simulate + summarise | {run.elapsed_s:.1f} s + {summarise_s:.1f} s = {total:.1f} s |")
        print(f"| {name}: per event | {run.elapsed_s / run.events * 1e6:.2f} µs |")
        print(f"| {name}: baseline, bare heapq loop, same events, heap of {run.mean_heap:,.0f} | {base_s:.1f} s |")
        print(f"| {name}: simulate / baseline | {run.elapsed_s / base_s:.2f} |")
        print(f"| {name}: target ≤ 60 s | {'met' if total <= 60 else 'NOT met'} |")


if __name__ == "__main__":
    main()
