"""Benchmark: the bare view and the confirm in-process, for A/B comparisons of two checkouts on one machine.

    .venv/bin/python -m benchmarks.inprocess [--postgres] [--rounds 9] [--requests 300]

Django's test client, one thread, no network and no server: what one request costs the process, with the
HTTP server's share left out. Runs `--rounds` rounds of `--requests` bare-view requests then as many confirms
(each on a trip of its own), and prints the fastest round of each: on a shared machine the minimum is the
figure least disturbed by other work. To compare two versions, run this in a checkout of each, alternating
A, B, A, B, and compare the confirm's minimum (and the ratio) between them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

STEP = "gate_entry_customs"


def main(argv: list[str] | None = None) -> int:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind per round")
    args = parser.parse_args(argv)
    env = common.prepare(postgres=args.postgres, pg_url=args.pg_url)
    try:
        common.django_setup()
        common.migrate_and_load_reference()
        people = common.make_people()
        warm = 100
        trip_ids = common.make_confirmed_trips(people, warm + args.rounds * args.requests, province=11)
        if env.database == "postgresql":  # autovacuum's statistics, as in production (SQLite has none unless asked)
            common.analyze()
        quiet = common.wait_for_quiet(args.quiet_wait) if args.quiet_wait else "no wait for quiet"

        from django.test import Client

        client = Client()
        headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {people.customs_token}",
                                   "content_type": "application/json"}
        for trip_id in trip_ids[:warm]:  # every statement compiled (and prepared on PostgreSQL) before timing
            assert client.post(f"/api/v1/trips/{trip_id}/checkpoints/{STEP}", **headers).status_code == 200
            assert client.get("/bench/bare", **headers).status_code == 200
        bare, confirm = [], []
        cursor = warm
        for _ in range(args.rounds):
            started = time.perf_counter()
            for _ in range(args.requests):
                client.get("/bench/bare", **headers)
            bare.append((time.perf_counter() - started) / args.requests * 1e3)
            started = time.perf_counter()
            for trip_id in trip_ids[cursor:cursor + args.requests]:
                response = client.post(f"/api/v1/trips/{trip_id}/checkpoints/{STEP}", **headers)
                assert response.status_code == 200, response.content[:300]
            confirm.append((time.perf_counter() - started) / args.requests * 1e3)
            cursor += args.requests
        print(f"{env.database}, {common.now_utc()}, {common.machine_line()}; load at start: {quiet}")
        print(f"fastest of {args.rounds} rounds × {args.requests}: bare view {min(bare):.3f} ms, "
              f"confirm {min(confirm):.3f} ms, ratio {min(bare) / min(confirm):.3f} "
              f"(medians {sorted(bare)[len(bare) // 2]:.3f} / {sorted(confirm)[len(confirm) // 2]:.3f} ms)")
    finally:
        env.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
