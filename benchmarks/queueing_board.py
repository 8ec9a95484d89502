"""Benchmark: the public live board with 10,000 active trucks, and arrival-hour bookings under contention.

    .venv/bin/python -m benchmarks.queueing_board                 # SQLite (fresh file in a temp data dir)
    .venv/bin/python -m benchmarks.queueing_board --postgres      # PostgreSQL (fresh database on 127.0.0.1)
    .venv/bin/python -m benchmarks.queueing_board --append        # … and append the results to queueing.md

1. Board. Bulk-loads --active trucks in progress at three gates (60 % waiting at the gate, 30 % in
   the yard, 10 % registered) with all 14 checkpoints each, --history completed trucks from earlier
   days plus a few hundred that left within the hour, and booked hours for the next 24 h. Then,
   in-process through Django's full request cycle (test Client, every middleware), times
   GET /api/v1/board and GET /api/v1/board/huu-nghi against a bare public Django JSON view
   (`JsonResponse({"ok": True})`) in the same run, and counts the SQL queries of one board request.
   Target (issue 4): board JSON ≤ 20 ms.
2. Bookings under contention. --processes processes × --threads threads (own connection each; like
   server workers) book --bookings confirmed
   trips into the same few hours (capacity 60 each, green share 20 %); a refused booking moves on
   to the next hour offered, as a client would. Reports successful bookings per second and checks
   that no hour holds more bookings than its capacity, and that each hour's counter equals its
   booking rows. Target: ≥ 100 bookings/s, 0 over-booked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

RESULTS = Path(__file__).resolve().parent / "queueing.md"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--active", type=int, default=10_000, help="active trucks on the board")
    parser.add_argument("--history", type=int, default=10_000, help="completed trucks of earlier days")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per endpoint")
    parser.add_argument("--bookings", type=int, default=1500, help="trips booked under contention")
    parser.add_argument("--processes", type=int, default=2, help="booking processes (like server workers)")
    parser.add_argument("--threads", type=int, default=8, help="booking threads per process")
    parser.add_argument("--server-seconds", type=float, default=10,
                        help="also time the board over HTTP with wrk against `cuakhau serve` (0: skip)")
    parser.add_argument("--append", action="store_true", help=f"append the results to {RESULTS.name}")
    parser.add_argument("--skip-board", action="store_true",
                        help="bookings only: no board data (10,000 trucks) and no board timing")
    parser.add_argument("--label", default="", help="names the code measured in the report (e.g. a commit)")
    return parser.parse_args(argv)


# --- bulk data ------------------------------------------------------------------------------------

PER_REGISTRATION = 3  # trucks per registration, as in a typical day's declarations
GATES = (("huu-nghi", "huu-nghi-kiem-hoa", 0.6), ("tan-thanh", "xuan-cuong", 0.3), ("chi-ma", "chi-ma", 0.1))


def bulk_trucks(people: common.People, active: int, history: int) -> dict[str, int]:
    """Registrations, trips and checkpoints written with bulk_create (the services would take minutes)."""
    from django.utils import timezone

    from crossings import workflow as wf
    from crossings.models import Checkpoint, Outcome, Stage, Trip
    from declarations.models import Registration, RegistrationStatus
    from enterprises.models import Driver, Vehicle
    from gates.models import Gate, Yard

    now = timezone.now()
    firm = people.firm.profile.enterprise
    driver = Driver.objects.create(enterprise=firm, name="Nguyễn Văn An", identity_document="001089000001",
                                   phone="0912345678")
    gates = {code: (Gate.objects.get(code=code), Yard.objects.get(code=yard)) for code, yard, _ in GATES}
    plans: list[tuple[str, str, str, dt.datetime | None]] = []  # gate, stage, outcome, left_gate time
    for code, _yard, share in GATES:
        n = int(active * share)
        plans += [(code, Stage.AT_GATE, Outcome.ACTIVE, None)] * int(n * 0.6)
        plans += [(code, Stage.IN_YARD if i % 2 else Stage.PAID, Outcome.ACTIVE, None) for i in range(int(n * 0.3))]
        plans += [(code, Stage.REGISTERED, Outcome.ACTIVE, None)] * (n - int(n * 0.6) - int(n * 0.3))
        plans += [(code, Stage.LEFT_GATE, Outcome.COMPLETED, now - dt.timedelta(minutes=1 + i % 55))
                  for i in range(int(300 * share))]
        plans += [(code, Stage.LEFT_GATE, Outcome.COMPLETED, now - dt.timedelta(days=1 + i % 30, minutes=i % 600))
                  for i in range(int(history * share))]
    vehicles = Vehicle.objects.bulk_create(
        Vehicle(plate=f"{10 + i // 90_000:02d}C{10_000 + i % 90_000}", country="VN", load_class="ge18", owner=firm)
        for i in range(len(plans)))
    registrations: dict[tuple[str, int], Registration] = {}
    for index, (code, *_rest) in enumerate(plans):
        key = (code, index // PER_REGISTRATION)
        if key not in registrations:
            gate, yard = gates[code]
            registrations[key] = Registration(
                number=f"BENCH-{code}-{index // PER_REGISTRATION:06d}", gate=gate,
                direction="import" if (index // PER_REGISTRATION) % 3 else "export",
                planned_arrival=now, declarant=firm, fee_payer=firm, yard=yard, status=RegistrationStatus.CONFIRMED,
                created_by=people.firm)
    Registration.objects.bulk_create(registrations.values(), batch_size=500)
    trips = Trip.objects.bulk_create(
        (Trip(registration=registrations[(code, index // PER_REGISTRATION)],
              position=index % PER_REGISTRATION + 1, vehicle=vehicles[index],
              driver=driver, load_class="ge18", stage=stage, outcome=outcome,
              is_open=outcome == Outcome.ACTIVE, ticket_token=secrets.token_urlsafe(32))
         for index, (code, stage, outcome, _left) in enumerate(plans)), batch_size=2000)
    done_by_stage: dict[str, int] = {
        Stage.REGISTERED: 2, Stage.AT_GATE: 5, Stage.IN_YARD: 6, Stage.PAID: 6, Stage.LEFT_GATE: len(wf.WORKFLOW)}
    checkpoints = []
    for trip, (_code, stage, _outcome, left_at) in zip(trips, plans, strict=True):
        confirmed_upto = done_by_stage[stage] + (4 if stage == Stage.PAID else 0)
        for position, step in enumerate(wf.WORKFLOW):
            if step.name == "slot_booked" or (step.name in ("plant_quarantine", "animal_quarantine", "transshipment")):
                state = wf.State.NOT_REQUIRED
            elif position < confirmed_upto:
                state = wf.State.CONFIRMED
            else:
                state = wf.State.PENDING
            at = (left_at if left_at and step.name == "left_gate" else
                  (left_at or now) - dt.timedelta(hours=3) if state == wf.State.CONFIRMED else None)
            checkpoints.append(Checkpoint(trip=trip, name=step.name, position=position, state=state, confirmed_at=at))
        if len(checkpoints) > 20_000:
            Checkpoint.objects.bulk_create(checkpoints, batch_size=5000)
            checkpoints = []
    Checkpoint.objects.bulk_create(checkpoints, batch_size=5000)
    return {"trips": len(trips), "active": sum(1 for p in plans if p[2] == Outcome.ACTIVE),
            "checkpoints": Checkpoint.objects.count()}


def bulk_slots() -> int:
    """Every import/export hour of the next 24 h at the three gates, half booked."""
    from django.db.models import F
    from django.utils import timezone

    from gates.models import Gate
    from queueing.capacity import ensure_slot, hours_between
    from queueing.models import HourSlot

    now = timezone.now()
    count = 0
    for code, _yard, _share in GATES:
        gate = Gate.objects.get(code=code)
        for hour in hours_between(now, now + dt.timedelta(hours=24)):
            for flow in ("import", "export"):
                ensure_slot(gate, flow, hour)
                count += 1
    HourSlot.objects.update(booked=F("capacity") / 2)
    return count


# --- timing ---------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def time_get(client: Any, path: str, n: int) -> dict[str, float]:
    for _ in range(max(5, n // 20)):  # warm-up
        client.get(path)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1e3)
        assert response.status_code == 200, (path, response.status_code)
    return {"p50": statistics.median(samples), "p95": percentile(samples, 0.95), "p99": percentile(samples, 0.99),
            "mean": statistics.fmean(samples)}


def measure_board(n: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    with override_settings(ROOT_URLCONF="benchmarks.queueing_board_urls"):
        client = Client()
        bare = time_get(client, "/bench/bare-public", n)
        board = time_get(client, "/api/v1/board", n)
        one_gate = time_get(client, "/api/v1/board/huu-nghi", n)
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/api/v1/board").json()
    return {"bare": bare, "board": board, "one_gate": one_gate, "queries": len(queries.captured_queries),
            "waiting": sum(g["waiting"] for g in body["gates"])}


# --- over HTTP, through the real server -----------------------------------------------------------

_LATENCY = re.compile(r"^\s+(50|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk_get(base: str, path: str, seconds: float, connections: int) -> dict[str, float]:
    """wrk's own latency distribution of GET `path` (closed loop, `connections` clients)."""
    done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency",  # noqa: S603, S607
                           f"{base}{path}"], capture_output=True, text=True, timeout=seconds + 60, check=True)
    found = {f"p{q}": float(v) * _UNIT_MS[u] for q, v, u in _LATENCY.findall(done.stdout)}
    rate = _RATE.search(done.stdout)
    found["rps"] = float(rate.group(1)) if rate else 0.0
    if "Non-2xx" in done.stdout:
        raise RuntimeError(f"wrk saw errors on {path}: {done.stdout}")
    return found


def measure_server(env: common.Environment, seconds: float) -> dict[str, dict[str, float]]:
    """`cuakhau serve` (2 workers × 4 threads) on loopback; one client at a time, then 8 at once."""
    from django.db import connections

    connections.close_all()
    with common.server(env, workers=2, threads=4) as target:
        for path in ("/healthz", "/api/v1/board"):  # warm every worker
            wrk_get(target.base, path, 2, 4)
        return {f"{label} c{c}": wrk_get(target.base, path, seconds, c)
                for c in (1, 8) for label, path in (("healthz", "/healthz"), ("board", "/api/v1/board"))}


# --- bookings under contention -------------------------------------------------------------------------

def _booking_process(work: list[tuple[int, list[int]]], first_hour: dt.datetime, barrier: Any,
                     results: Any) -> None:
    """One worker process (like one gunicorn worker): a thread per (enterprise user, its trips)."""
    from django.contrib.auth.models import User
    from django.db import connection, connections

    from cuakhau.errors import ServiceError
    from queueing import services

    connections.close_all()  # never share the parent's connection
    lock = threading.Lock()
    outcome = {"booked": 0, "refused": 0, "errors": 0}
    local_barrier = threading.Barrier(len(work))

    def worker(firm_user_id: int, trip_ids: list[int]) -> None:
        try:
            firm = common.actor(User.objects.get(pk=firm_user_id))
            local_barrier.wait()
            for trip_id in trip_ids:
                hour = first_hour
                for _attempt in range(40):
                    try:
                        services.do_book(firm, trip_id, hour)
                        with lock:
                            outcome["booked"] += 1
                        break
                    except services.SlotFull as full:  # the next free hour offered, as a client would
                        with lock:
                            outcome["refused"] += 1
                        if not full.next_free:
                            break
                        hour = full.next_free[0].hour_start
                    except ServiceError:
                        with lock:
                            outcome["errors"] += 1
                        break
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=item) for item in work]
    barrier.wait()
    cpu_before = time.process_time()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    results.put({**outcome, "cpu_s": time.process_time() - cpu_before})


def make_firms(people: common.People, firms: int, trips_each: int) -> list[tuple[int, list[int]]]:
    """`firms` enterprises (one client each, as a burst of many firms' systems), each with confirmed trips."""
    from django.contrib.auth.models import User

    from accounts.models import Profile
    from enterprises.models import Enterprise

    work = []
    for index in range(firms):
        enterprise = Enterprise.objects.create(tax_code=f"BENCH{index:05d}", name=f"Công ty vận tải số {index + 1}",
                                               country="VN")
        user = User.objects.create_user(f"bench-firm-{index}", password="demo12345")
        Profile.objects.create(user=user, enterprise=enterprise)
        firm_people = common.People(user, people.board, people.customs, "", "", "")
        work.append((user.pk, common.make_confirmed_trips(firm_people, trips_each, province=20 + index)))
    return work


def measure_bookings(people: common.People, count: int, processes: int, threads: int) -> dict[str, Any]:
    import multiprocessing

    from django.db import connections
    from django.db.models import Count, F, Q
    from django.utils import timezone

    from gates.models import Gate
    from queueing.capacity import local_hour_start
    from queueing.models import Booking, BookingStatus, HourSlot

    Gate.objects.filter(code="huu-nghi").update(uses_slots=True)  # booking confirms the slot_booked step
    work = make_firms(people, processes * threads, count // (processes * threads))
    total = sum(len(ids) for _user, ids in work)
    first_hour = local_hour_start(timezone.localtime() + dt.timedelta(days=2)).replace(hour=7)
    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes + 1)
    results = context.Queue()
    children = [context.Process(target=_booking_process, args=(work[i::processes], first_hour, barrier, results))
                for i in range(processes)]
    for child in children:
        child.start()
    barrier.wait()
    started = time.perf_counter()
    outcome: dict[str, float] = {"booked": 0, "refused": 0, "errors": 0, "cpu_s": 0.0}
    for _ in children:
        for key, value in results.get(timeout=600).items():
            outcome[key] += value
    seconds = time.perf_counter() - started
    for child in children:
        child.join()
    over = HourSlot.objects.filter(booked__gt=F("capacity")).count()
    mismatched = sum(1 for slot in HourSlot.objects.filter(hour_start__gte=first_hour).annotate(
        rows=Count("bookings", filter=Q(bookings__status=BookingStatus.BOOKED))) if slot.rows != slot.booked)
    hours_used = HourSlot.objects.filter(hour_start__gte=first_hour, booked__gt=0).count()
    assert Booking.objects.filter(status=BookingStatus.BOOKED).count() == outcome["booked"]
    return {**outcome, "trips": total, "firms": len(work), "seconds": seconds,
            "per_second": outcome["booked"] / seconds, "over_booked": over,
            "cpu_ms_per_booking": outcome["cpu_s"] * 1e3 / max(outcome["booked"], 1),
            "counter_mismatch": mismatched, "hours_used": hours_used, "processes": processes, "threads": threads}



# --- main ---------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    env = common.prepare(postgres=args.postgres, pg_url=args.pg_url)
    try:
        common.django_setup()
        common.migrate_and_load_reference()
        people = common.make_people()
        loaded: dict[str, int] = {}
        board: dict[str, Any] = {}
        if not args.skip_board:
            started = time.perf_counter()
            loaded = bulk_trucks(people, args.active, args.history)
            slots = bulk_slots()
            common.analyze()
            load_seconds = time.perf_counter() - started
            print(f"loaded {loaded} and {slots} hour slots in {load_seconds:.1f} s", flush=True)
            # The board is timed in-process too: on a quiet machine, like the bookings below.
            board_quiet = common.wait_for_quiet(args.quiet_wait) if args.quiet_wait else "no wait for quiet"
            board = measure_board(args.requests)
            board["load_before"] = f"{common.load_average()} ({board_quiet})"
            print(f"board: {board}", flush=True)
            if args.server_seconds:
                board["server"] = measure_server(env, args.server_seconds)
                print(f"server: {board['server']}", flush=True)
        quiet = common.wait_for_quiet(args.quiet_wait) if args.quiet_wait else "no wait for quiet"
        load_before = f"{common.load_average()} ({quiet})"
        bookings = measure_bookings(people, args.bookings, args.processes, args.threads)
        bookings["load_before"] = load_before
        print(f"bookings: {bookings}", flush=True)
        report = render(args, env.database, loaded, board, bookings)
        print(report)
        if args.append:
            with RESULTS.open("a", encoding="utf-8") as out:
                out.write(report + "\n")
    finally:
        env.cleanup()


def server_rows(server: dict[str, dict[str, float]] | None) -> list[str]:
    if not server:
        return []
    rows = ["Over HTTP (`cuakhau serve`, gunicorn 2 workers × 4 threads, loopback; wrk closed loop, c = clients; "
            "`/healthz` is the bare baseline: a JSON view running `SELECT 1`):", "",
            "| run | req/s | p50 ms | p90 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    rows += [f"| {label} | {r['rps']:.0f} | {r.get('p50', 0):.2f} | {r.get('p90', 0):.2f} | {r.get('p99', 0):.2f} |"
             for label, r in server.items()]
    return [*rows, ""]


def render(args: argparse.Namespace, database: str, loaded: dict[str, int], board: dict[str, Any],
           bookings: dict[str, Any]) -> str:
    def row(label: str, t: dict[str, float]) -> str:
        return f"| {label} | {t['p50']:.2f} | {t['p95']:.2f} | {t['p99']:.2f} | {t['mean']:.2f} |"

    verdict_book = "met" if bookings["per_second"] >= 100 and bookings["over_booked"] == 0 else "NOT met"
    command = " ".join(["python -m benchmarks.queueing_board", *sys.argv[1:]])
    label = f" — {args.label}" if args.label else ""
    head = [f"\n## {common.now_utc()} — {database}{label}", "",
            f"`{command}` · {common.machine_line()} · load {common.load_average()}", ""]
    if not board:
        return "\n".join([*head, f"Load average before the bookings: {bookings['load_before']}.", "",
                          booking_line(bookings, verdict_book)])
    verdict_board = "met" if board["board"]["p95"] <= 20 else "NOT met"
    return "\n".join([
        *head,
        f"Data: {loaded['active']:,} active trucks ({board['waiting']:,} waiting at the gates), "
        f"{loaded['trips']:,} trips in all, {loaded['checkpoints']:,} checkpoint rows.",
        "",
        f"**Board** ({args.requests} sequential requests each, in-process through Django's full request cycle; "
        f"{board['queries']} SQL queries per board request; load before: {board.get('load_before', '?')}) — "
        f"target ≤ 20 ms: **{verdict_board}** (p95).",
        "",
        "| endpoint | p50 ms | p95 ms | p99 ms | mean ms |",
        "|---|---:|---:|---:|---:|",
        row("bare public JSON view (baseline)", board["bare"]),
        row("GET /api/v1/board (all gates)", board["board"]),
        row("GET /api/v1/board/huu-nghi", board["one_gate"]),
        "",
        *server_rows(board.get("server")),
        f"Load average before the bookings: {bookings['load_before']}.",
        "",
        booking_line(bookings, verdict_book),
    ])


def booking_line(bookings: dict[str, Any], verdict_book: str) -> str:
    return (
        f"**Bookings under contention**: {bookings['processes']} processes × {bookings['threads']} threads, "
        f"one enterprise per thread ({bookings['firms']} enterprises), {bookings['trips']} trips into the same hours "
        f"(capacity 60/h import at Hữu Nghị, green share 20 %), refused ones retry the next free hour offered: "
        f"{bookings['booked']} booked, {bookings['refused']} refusals (hour full), {bookings['errors']} other errors "
        f"in {bookings['seconds']:.2f} s = **{bookings['per_second']:.0f} bookings/s**; over-booked hours: "
        f"**{bookings['over_booked']}**; hours whose counter ≠ booking rows: {bookings['counter_mismatch']}; "
        f"hours used: {bookings['hours_used']} — target ≥ 100/s with 0 over-booked: **{verdict_book}**. "
        f"Python CPU of the booking processes: {bookings['cpu_ms_per_booking']:.1f} ms per successful booking "
        f"(refusals included; the database server's own CPU not included).")


if __name__ == "__main__":
    main()
