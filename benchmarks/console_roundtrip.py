"""Benchmark: the gate console's one-click confirm, timed in a real browser, vs a bare HTMX request.

    .venv/bin/python -m benchmarks.console_roundtrip                 # SQLite (fresh file in a temp data dir)
    .venv/bin/python -m benchmarks.console_roundtrip --postgres --append   # then PostgreSQL, added to the results

Set-up (not timed): a throw-away data directory (or PostgreSQL database), `cuakhau demo` (migrate,
reference data, demo accounts, a few days of demo trucks), then N more trucks of firm1 at Hữu Nghị
declared and confirmed through the services, so each waits for customs' gate entry. The real
server (`cuakhau serve`, gunicorn gthread, loopback) runs with the benchmark settings, which add
`/bench/bare` (a bearer-token-authenticated JSON answer, see bench_urls.py).

Measured in Debian's Chromium (Playwright, headless): `customs.huunghi` signs in, and for each
truck types its plate in another writing into the console's search box, waits for the truck, and
clicks "Confirm: gate entry — customs". Each round trip is timed in the page with
performance.now(), from the click to htmx:afterSettle (the answer swapped in and settled; the
platform sets htmx's settle delay to 0, it was 20 ms by default) and to htmx:afterSwap. Baseline,
interleaved with the confirms in the same page and run: a button whose hx-get asks /bench/bare
and swaps the answer into the page, timed the same way. Target (issue 3): console confirm round trip ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

RESULTS = Path(__file__).resolve().parent / "console_roundtrip.md"
OFFICER = "customs.huunghi"
STEP = "gate_entry_customs"
PROVINCE = 37  # plates 37C-…: not used by the demo trucks
TARGET_MS = 100.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--confirms", type=int, default=60, help="confirm clicks to time (one truck each)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed confirms and bare requests first")
    parser.add_argument("--in-process", type=int, default=30,
                        help="requests of each kind timed through Django's test client first (0: skip)")
    parser.add_argument("--server", default="2:8", metavar="WORKERS:THREADS", help="cuakhau serve's configuration")
    parser.add_argument("--chromium", default=os.environ.get("CUAKHAU_CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--no-write", action="store_true", help=f"print only; do not rewrite {RESULTS.name}")
    parser.add_argument("--append", action="store_true",
                        help=f"add this run's section to {RESULTS.name} (e.g. PostgreSQL after SQLite) instead of "
                             "replacing the file")
    return parser.parse_args(argv)


def run_demo(env: common.Environment) -> str:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "cuakhau.cli", "demo", "--seed", "1"], cwd=common.REPO,  # noqa: S603
                          env={**os.environ, **env.env}, capture_output=True, text=True, check=False, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"cuakhau demo failed:\n{done.stdout}\n{done.stderr}")
    return f"{time.monotonic() - started:.0f} s"


def make_trucks(count: int) -> tuple[list[str], str, int]:
    """`count` trucks waiting for customs' gate entry; their plates, a bearer token of the officer
    (for the bare view) and the number of trips in the database."""
    from django.contrib.auth.models import User

    from accounts.services import issue_token
    from crossings.models import Trip
    from declarations.schemas import RegistrationIn
    from declarations.services import do_confirm_registration, do_submit_registration

    firm = common.actor(User.objects.get(username="firm1"))
    board = common.actor(User.objects.get(username="bql.huunghi"))
    data = RegistrationIn.model_validate(common.registration_payload(PROVINCE, 1, vehicles=count))
    registration = do_confirm_registration(board, do_submit_registration(firm, data).pk)
    plates = list(Trip.objects.filter(registration=registration).order_by("position")
                  .values_list("vehicle__plate", flat=True))
    _, token = issue_token(User.objects.get(username=OFFICER))
    return plates, token, Trip.objects.count()


def in_process(count: int, token: str) -> dict[str, Any]:
    """The same two requests through Django's test client (no browser, no network): the server's own
    time and SQL queries per request, to tell the server's share of the round trip."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from crossings.models import Trip
    from declarations.schemas import RegistrationIn
    from declarations.services import do_confirm_registration, do_submit_registration

    firm = common.actor(User.objects.get(username="firm1"))
    board = common.actor(User.objects.get(username="bql.huunghi"))
    data = RegistrationIn.model_validate(common.registration_payload(PROVINCE, 500, vehicles=count))
    registration = do_confirm_registration(board, do_submit_registration(firm, data).pk)
    trip_ids = list(Trip.objects.filter(registration=registration).order_by("position").values_list("pk", flat=True))
    client = Client()
    client.force_login(User.objects.get(username=OFFICER))
    times: dict[str, list[float]] = {"bare": [], "confirm": []}
    queries: dict[str, int] = {}
    for trip_id in trip_ids:
        for key, call in (("bare", lambda: client.get("/bench/bare", HTTP_AUTHORIZATION=f"Bearer {token}",
                                                       HTTP_HX_REQUEST="true")),
                          ("confirm", lambda trip_id=trip_id: client.post(  # type: ignore[misc]
                              f"/console/trips/{trip_id}/confirm/{STEP}/", {"note": ""}, HTTP_HX_REQUEST="true"))):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = call()
                times[key].append((time.perf_counter() - started) * 1e3)
            assert response.status_code == 200, (key, response.status_code, response.content[:300])
            queries[key] = len(captured.captured_queries)
    return {key: {**summary(values), "queries": queries[key]} for key, values in times.items()}


def typed(plate: str) -> str:
    """The plate as an officer types it: lower case, no punctuation ("37C00012" → "37c00012")."""
    return plate.lower()


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered) + 0.5) - 1))]
    return {"n": len(ordered), "median": statistics.median(ordered), "p95": p95, "max": ordered[-1],
            "min": ordered[0]}


BARE_BUTTON_JS = """
(token) => {
  const box = document.createElement("div");
  box.innerHTML = '<button type="button" id="bench-bare" hx-get="/bench/bare" hx-target="#bench-out" '
    + 'hx-swap="innerHTML">bare</button><div id="bench-out"></div>';
  box.firstChild.setAttribute("hx-headers", JSON.stringify({Authorization: "Bearer " + token}));
  document.querySelector("main").prepend(box);
  htmx.process(box);
}
"""


def measure(base: str, chromium: str, plates: list[str], token: str, warmup: int) -> dict[str, list[dict[str, Any]]]:
    from playwright.sync_api import sync_playwright

    from web.tests.browser.conftest import CHROMIUM_ARGS, DESKTOP, ROUNDTRIP_JS, clicked_roundtrip, clicks

    found: dict[str, list[dict[str, Any]]] = {"confirm": [], "bare": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base, viewport=DESKTOP)
        context.set_default_timeout(15_000)
        context.add_init_script(ROUNDTRIP_JS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto("/accounts/login/")
        page.fill("input[name=username]", OFFICER)
        page.fill("input[name=password]", "demo12345")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        page.goto("/console/")
        page.evaluate(BARE_BUTTON_JS, token)

        def click(target: Any) -> dict[str, Any]:
            before = clicks(page)
            target.click()
            return clicked_roundtrip(page, before)

        search = page.get_by_role("searchbox")
        for index, plate in enumerate(plates):
            bare = click(page.locator("#bench-bare"))
            assert bare["status"] == 200 and bare["path"] == "/bench/bare", bare
            search.fill(typed(plate))
            search.press("Enter")
            truck = page.locator("#results article.truck")
            truck.locator(f"form[action$='/confirm/{STEP}/'] button").wait_for()
            confirm = click(truck.locator(f"form[action$='/confirm/{STEP}/'] button"))
            assert confirm["status"] == 200 and confirm["path"].endswith(f"/confirm/{STEP}/"), confirm
            if index >= warmup:
                found["bare"].append(bare)
                found["confirm"].append(confirm)
        browser_version = browser.version
        browser.close()
    if errors:
        raise RuntimeError("errors in the browser console:\n" + "\n".join(errors))
    found["browser"] = [{"version": browser_version}]
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(args.chromium).exists():
        raise SystemExit(f"Chromium not found at {args.chromium}: apt-get install -y chromium fonts-noto-cjk")
    workers, threads = (int(x) for x in args.server.split(":"))
    env = common.prepare(postgres=args.postgres, pg_url=args.pg_url)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread; our ORM use is sync
    try:
        common.django_setup()
        demo_time = run_demo(env)
        plates, token, trips = make_trucks(args.confirms + args.warmup)
        print(f"demo data ready in {demo_time}; {trips} trips; {len(plates)} trucks to confirm", flush=True)
        local = in_process(args.in_process, token) if args.in_process else {}
        quiet = common.wait_for_quiet(args.quiet_wait) if args.quiet_wait else "no wait for quiet"
        load_before = f"{common.load_average()} ({quiet})"
        with common.server(env, workers, threads) as target:
            found = measure(target.base, args.chromium, plates, token, args.warmup)
        rows = []
        stats = {}
        for label, key in (("bare HTMX GET /bench/bare (baseline)", "bare"),
                           (f"console confirm POST …/confirm/{STEP}/", "confirm")):
            settle = summary([s["settle_ms"] for s in found[key]])
            swap = summary([s["swap_ms"] for s in found[key]])
            request = summary([s["request_ms"] for s in found[key] if s.get("request_ms") is not None] or [0.0])
            stats[key] = settle
            rows.append(f"| {label} | {settle['n']} | {settle['median']:.1f} | {settle['p95']:.1f} | "
                        f"{settle['max']:.1f} | {swap['median']:.1f} | {swap['p95']:.1f} | {request['median']:.1f} | "
                        f"{request['p95']:.1f} |")
        confirm_p95 = stats["confirm"]["p95"]
        verdict = "MET" if confirm_p95 <= TARGET_MS else "NOT MET"
        command = f".venv/bin/python -m benchmarks.console_roundtrip {' '.join(sys.argv[1:])}".rstrip()
        report = [
            f"## console_roundtrip — {env.database} — {common.now_utc()}", "",
            f"Machine: {common.machine_line()}, Chromium {found['browser'][0]['version']} (headless, Playwright). "
            f"Load average before: {load_before}; after: {common.load_average()}.", "",
            f"Command: `{command}`", "",
            f"Server: `cuakhau serve` {workers} workers × {threads} threads on loopback, benchmark settings; "
            f"data: `cuakhau demo --seed 1` ({demo_time}) plus {len(plates)} trucks waiting for customs "
            f"({trips} trips in the database). Browser: `{OFFICER}` signed in, one page; for each truck the "
            f"baseline button, then the plate typed in lower case into the console's search box, then "
            f"the one-click confirm. First {args.warmup} of each not counted.", "",
            "Round trip in the page (performance.now()): click → htmx:afterSettle (htmx settles 20 ms after "
            "the swap), and click → htmx:afterSwap; 'request' is the XHR's own span from Resource Timing "
            "(request sent → last byte: server and loopback), the rest of the swap time is the browser's.", "",
            "| request | n | settle median ms | settle p95 ms | settle max ms | swap median ms | swap p95 ms "
            "| request median ms | request p95 ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows, "",
            f"- console confirm round trip p95 {confirm_p95:.1f} ms (median {stats['confirm']['median']:.1f} ms) — "
            f"**{verdict}** (target ≤ {TARGET_MS:.0f} ms); the bare HTMX request's median is "
            f"{stats['bare']['median']:.1f} ms, so the confirm itself costs about "
            f"{stats['confirm']['median'] - stats['bare']['median']:.1f} ms more.",
        ]
        if local:
            report += ["", f"Server side only (Django test client in the benchmark process, same database, "
                           f"{local['confirm']['n']} of each): bare view median {local['bare']['median']:.1f} ms, "
                           f"{local['bare']['queries']} SQL queries; console confirm (HTMX fragment) median "
                           f"{local['confirm']['median']:.1f} ms, p95 {local['confirm']['p95']:.1f} ms, "
                           f"{local['confirm']['queries']} SQL queries."]
        text = "\n".join(report)
        print("\n" + text)
        if not args.no_write and args.append and RESULTS.exists():
            RESULTS.write_text(RESULTS.read_text().rstrip("\n") + "\n\n" + text + "\n")
        elif not args.no_write:
            RESULTS.write_text("# Console confirm round trip in the browser (latest run)\n\n"
                               "Written by `benchmarks/console_roundtrip.py` (see its docstring); the browser tests "
                               "measure the same round trip during their journeys into "
                               "`artifacts/console_roundtrip.json`.\n\n" + text + "\n")
    finally:
        env.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
