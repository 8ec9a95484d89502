"""Benchmark: submitting pre-arrival registrations (target: ≥ 200 registrations/s on SQLite, 2 cores).

    .venv/bin/python -m benchmarks.registrations               # SQLite (fresh file in a temp data dir)
    .venv/bin/python -m benchmarks.registrations --postgres    # PostgreSQL (fresh database on 127.0.0.1)

Each registration: gate Hữu Nghị, import, 1 vehicle (a plate never used before), 1 consignment,
1 or 2 items (alternating). Measured two ways:
  1. in-process through the service layer: RegistrationIn.model_validate + do_submit_registration,
     one after another in one thread (no HTTP, no concurrency);
  2. over HTTP: POST /api/v1/registrations to the real server (`cuakhau serve`, loopback), wrk with
     32 connections, time- and count-bounded; every request must answer 201.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

IN_PROCESS_PROVINCE = 20  # plates 20C-…, 21C-… for the in-process run
WARMUP_PROVINCE = 60
HTTP_PROVINCE = 70  # + wrk thread number; +5 per server configuration


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--count", type=int, default=2000, help="registrations submitted in-process")
    parser.add_argument("--server", action="append", default=[], metavar="WORKERS:THREADS",
                        help="server configuration(s) to measure (default 2:8, cuakhau serve's default)")
    parser.add_argument("--seconds", type=float, default=15, help="time bound of each HTTP run")
    parser.add_argument("--max", type=int, default=20_000, help="count bound of each HTTP run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--conn-max-age", type=int, default=None,
                        help="override CONN_MAX_AGE (benchmark settings only): what persistent connections change")
    return parser.parse_args(argv)


def count_queries(people: common.People) -> tuple[int, int]:
    """SQL queries of one submission: through the service, and through the API (test client)."""
    import json

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from declarations.schemas import RegistrationIn
    from declarations.services import do_submit_registration

    firm = common.actor(people.firm)
    # The first submission also reads what every later one finds cached (reference data, the actor's gate,
    # the day's sequence row): count the second, as the API's count below is of a second one too.
    do_submit_registration(firm, RegistrationIn.model_validate(common.registration_payload(99, 3)))
    with CaptureQueriesContext(connection) as service:
        do_submit_registration(firm, RegistrationIn.model_validate(common.registration_payload(99, 1)))
    with CaptureQueriesContext(connection) as api:
        response = Client().post("/api/v1/registrations", json.dumps(common.registration_payload(99, 2, items=2)),
                                 content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {people.firm_token}")
    assert response.status_code == 201, response.content[:500]
    return len(service.captured_queries), len(api.captured_queries)


def in_process(people: common.People, count: int) -> dict[str, Any]:
    from declarations.schemas import RegistrationIn
    from declarations.services import do_submit_registration

    firm = common.actor(people.firm)
    payloads = []
    for k in range(count):
        province, n = IN_PROCESS_PROVINCE + k // 99_000, k % 99_000 + 1
        payloads.append(common.registration_payload(province, n, items=1 + k % 2))
    validate = submit = 0.0
    started = time.perf_counter()
    for payload in payloads:
        t0 = time.perf_counter()
        data = RegistrationIn.model_validate(payload)
        t1 = time.perf_counter()
        do_submit_registration(firm, data)
        t2 = time.perf_counter()
        validate += t1 - t0
        submit += t2 - t1
    wall = time.perf_counter() - started
    return {"count": count, "seconds": wall, "rate": count / wall, "validate_ms": validate / count * 1e3,
            "submit_ms": submit / count * 1e3}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configs = [tuple(int(x) for x in spec.split(":")) for spec in (args.server or ["2:8"])]
    env = common.prepare(postgres=args.postgres, pg_url=args.pg_url, conn_max_age=args.conn_max_age)
    report: list[str] = []
    try:
        common.django_setup()
        common.migrate_and_load_reference()
        people = common.make_people()
        quiet = common.wait_for_quiet(args.quiet_wait) if args.quiet_wait else "no wait for quiet"
        load_before = f"{common.load_average()} ({quiet})"
        service_queries, api_queries = count_queries(people)
        local = in_process(people, args.count)
        print(f"in-process: {local['rate']:.0f} registrations/s", flush=True)
        report += [f"## registrations — {env.database} — {common.now_utc()}", "",
                   f"Machine: {common.machine_line()}. Load average before the runs: {load_before}.", "",
                   f"Command: `.venv/bin/python -m benchmarks.registrations {' '.join(sys.argv[1:])}`".rstrip(), "",
                   f"SQL queries per registration: {service_queries} through the service, {api_queries} through "
                   "the API (including token check, idempotency-free path and the response re-read).", "",
                   f"In-process, service layer, one thread: **{local['rate']:.0f} registrations/s** "
                   f"({local['count']} in {local['seconds']:.1f} s; per registration: validation "
                   f"{local['validate_ms']:.2f} ms + do_submit_registration {local['submit_ms']:.2f} ms).", "",
                   common.TABLE_HEAD]
        met = "MET" if local["rate"] >= 200 else "NOT MET"
        verdicts = [f"- service layer in-process: {local['rate']:.0f}/s — {met} (target ≥ 200/s)"]
        for index, (workers, threads) in enumerate(configs):
            with common.server(env, workers, threads) as target:
                common.run_wrk("warm-up", target, "register", token=people.firm_token, seconds=args.warmup,
                               connections=args.connections,
                               extra_env={"BENCH_ARRIVAL": common.arrival().isoformat(),
                                          "BENCH_PROVINCE": str(WARMUP_PROVINCE + index)})
                result = common.run_wrk(f"POST /registrations, {workers}w×{threads}t", target, "register",
                                        token=people.firm_token, seconds=args.seconds,
                                        connections=args.connections, max_per_thread=args.max,
                                        extra_env={"BENCH_ARRIVAL": common.arrival().isoformat(),
                                                   "BENCH_PROVINCE": str(HTTP_PROVINCE + 5 * index)})
            report.append(result.row())
            print(result.row(), flush=True)
            ok = result.rps >= 200 and result.errors == 0
            verdicts.append(f"- HTTP, {workers} workers × {threads} threads, {args.connections} connections: "
                            f"{result.rps:.0f}/s, p99 {result.p99_ms:.0f} ms, errors {result.errors} — "
                            f"{'MET' if ok else 'NOT MET'} (target ≥ 200/s)")
        numbers = _check_numbers()
        report += ["", *verdicts, "", f"Load average after: {common.load_average()}. {numbers}"]
        print("\n" + "\n".join(report))
    finally:
        env.cleanup()
    return 0


def _check_numbers() -> str:
    from django.db.models import Count

    from declarations.models import Registration

    total = Registration.objects.count()
    distinct = Registration.objects.aggregate(n=Count("number", distinct=True))["n"]
    return f"Registrations in the database: {total}, distinct numbers: {distinct}."


if __name__ == "__main__":
    raise SystemExit(main())
