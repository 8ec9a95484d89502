"""Profile of one arrival-hour booking, single thread, no contention: SQL queries and CPU time.

    .venv/bin/python -m benchmarks.queueing_booking_profile              # SQLite
    .venv/bin/python -m benchmarks.queueing_booking_profile --postgres   # PostgreSQL on 127.0.0.1:5432

Times (process CPU, mean of --n calls) the steps of `queueing.services.do_book`: the ownership read,
the hour's row, the capacity plan, the next free hours offered with a refusal, a refused booking
(hour full) and a successful one; counts the SQL statements and the Python function calls (cProfile, a
figure that does not depend on the machine's load) of a successful and of a refused booking. `--sql`
prints the statements; `--top N` the functions that cost the most calls.
Results are in queueing.md (the contention benchmark is queueing_board.py).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--n", type=int, default=300, help="timed calls per step")
    parser.add_argument("--sql", action="store_true", help="print the SQL of a successful and a refused booking")
    parser.add_argument("--top", type=int, default=0, help="print the N functions with the most calls")
    args = parser.parse_args(argv)
    env = common.prepare(postgres=args.postgres)
    try:
        common.django_setup()
        common.migrate_and_load_reference()
        people = common.make_people()
        from django.conf import settings
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from gates.models import Gate
        from queueing import services
        from queueing.capacity import CapacityPlan, ensure_slot, local_hour_start
        from queueing.models import HourSlot

        settings.QUEUEING_MAX_OPEN_BOOKINGS_PER_DAY = 100_000  # one firm books them all here
        Gate.objects.filter(code="huu-nghi").update(uses_slots=True)
        trips = common.make_confirmed_trips(people, args.n + 60, province=20)
        firm = common.actor(people.firm)
        first = local_hour_start(timezone.localtime() + dt.timedelta(days=2)).replace(hour=7)
        gate = Gate.objects.get(code="huu-nghi")
        for h in range(40):  # the first 20 hours full, the next 20 empty
            slot = ensure_slot(gate, "import", first + dt.timedelta(hours=h))
            HourSlot.objects.filter(pk=slot.pk).update(booked=slot.capacity if h < 20 else 0)
        # Successful bookings go to the empty hours, whose rows exist (as in a burst).
        free = [h.hour_start for h in services.free_hours(gate, "import", first, hours=40, green=False)]
        numbered = iter(enumerate(trips[1:]))

        def refusal() -> None:
            with contextlib.suppress(services.SlotFull):
                services.do_book(firm, trips[0], first)

        def success() -> None:
            k, trip = next(numbered)
            services.do_book(firm, trip, free[k % len(free)])

        def timed(label: str, fn: Callable[[], object], n: int) -> None:
            fn()
            started = time.process_time()
            for _ in range(n):
                fn()
            print(f"{label:32s} {(time.process_time() - started) / n * 1e3:.2f} ms CPU", flush=True)

        timed("own_trip", lambda: services.own_trip(firm, trips[0]), args.n)
        timed("ensure_slot (row exists)", lambda: ensure_slot(gate, "import", first), args.n)
        timed("CapacityPlan.load (30 days)", lambda: CapacityPlan.load([gate.pk], first, first + dt.timedelta(days=30)),
              args.n)
        timed("next_free_hours", lambda: services.next_free_hours(gate, "import", first + dt.timedelta(hours=1), False),
              args.n)
        timed("refused booking (hour full)", refusal, args.n)
        timed("successful booking", success, args.n)
        with CaptureQueriesContext(connection) as booked:
            success()
        with CaptureQueriesContext(connection) as refused:
            refusal()
        print(f"SQL queries: successful booking {len(booked.captured_queries)}, "
              f"refused booking {len(refused.captured_queries)}")
        if args.sql:
            for label, captured in (("successful", booked), ("refused", refused)):
                print(f"-- {label} booking")
                for query in captured.captured_queries:
                    print(f"   {query['sql'][:160]}")
        calls = 20
        for label, fn in (("successful booking", success), ("refused booking", refusal)):
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(calls):
                fn()
            profile.disable()
            stats = pstats.Stats(profile)
            print(f"Python calls per {label}: {stats.total_calls / calls:,.0f}")  # type: ignore[attr-defined]
            if args.top:
                stats.sort_stats("ncalls").print_stats(args.top)
        print(f"{env.database} · {common.machine_line()} · load {common.load_average()}")
    finally:
        env.cleanup()


if __name__ == "__main__":
    main()
