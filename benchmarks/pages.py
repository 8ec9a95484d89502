"""Benchmark: the server time of every page a user opens, on demo data and at a busy gate.

    .venv/bin/python -m benchmarks.pages                      # SQLite (fresh file in a temp data dir)
    .venv/bin/python -m benchmarks.pages --postgres           # PostgreSQL (fresh database on 127.0.0.1)
    .venv/bin/python -m benchmarks.pages --append             # … and append the report to pages.md
    .venv/bin/python -m benchmarks.pages --only console --profile "console, found truck"

1. Data. `build_demo()` — exactly what `cuakhau demo` makes: the demo accounts, ~70 trucks at Hữu
   Nghị and Tân Thanh in every state, made through the services on a clock set back in time — and
   two stored simulator results (`cuakhau simulate … --no-search --save`). Every page is measured
   on it ("demo").
2. Busy gate. Then --busy trucks more at Hữu Nghị for firm1 (registrations of --per-registration
   trucks, submitted and confirmed through the services), --at-gate of them through both gate
   entries, so customs at Hữu Nghị has ~1,500 trucks waiting, the board --at-gate waiting for yard
   entry and firm1 ~1,500 more trips in its list. Every page is measured again ("busy gate").
3. Timing. In-process through Django's whole request cycle (test Client, every middleware, the
   session of the signed-in demo account): --warmup requests, then --requests timed ones; median,
   p95 and max in ms, SQL queries of one request (CaptureQueriesContext) and the answer's size.
   Baseline in the same run, measured the same way: a bare public view and a bare view that only
   reads the signed-in user (benchmarks/pages_urls.py). Target (issue 3): every page ≤ 50 ms.
4. Optionally (--serve N) the same pages through a real `cuakhau serve` (gunicorn, loopback): N
   paced requests per page, one at a time, with the session cookie of the demo account.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import statistics
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

RESULTS = Path(__file__).resolve().parent / "pages.md"
URLCONF = "benchmarks.pages_urls"
TARGET_MS = 50.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page first")
    parser.add_argument("--busy", type=int, default=1500, help="open trucks added at Hữu Nghị (0: skip)")
    parser.add_argument("--per-registration", type=int, default=10, help="trucks per busy registration")
    parser.add_argument("--at-gate", type=int, default=150, help="busy trucks taken through both gate entries")
    parser.add_argument("--only", default="", help="measure only pages whose label contains this text")
    parser.add_argument("--profile", default="", help="cProfile the page with this exact label (each variant)")
    parser.add_argument("--serve", type=int, default=0,
                        help="also N paced requests per page through `cuakhau serve` (0: skip)")
    parser.add_argument("--append", action="store_true", help=f"append the report to {RESULTS.name}")
    return parser.parse_args(argv)


# --- data -----------------------------------------------------------------------------------------

def build_demo_data() -> dict[str, Any]:
    from django.core.management import call_command

    from cuakhau.demo import build_demo
    from declarations.models import Registration

    started = time.perf_counter()
    summary = build_demo(seed=2022)
    for scenario in ("digital_2024", "smart_2030"):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            call_command("simulate", scenario, "--no-search", "--save")
    return {"seconds": time.perf_counter() - started, "registrations": Registration.objects.count(),
            "trips": summary.get("trips", 0)}


def add_busy_gate(count: int, per_registration: int, at_gate: int) -> dict[str, Any]:
    """`count` confirmed trucks at Hữu Nghị for firm1, `at_gate` of them past both gate entries."""
    from django.contrib.auth.models import User

    from crossings.services import do_confirm_checkpoint

    started = time.perf_counter()
    users = {u.username: u for u in User.objects.filter(
        username__in=["firm1", "bql.huunghi", "customs.huunghi", "border.huunghi"])}
    people = common.People(users["firm1"], users["bql.huunghi"], users["customs.huunghi"], "", "", "")
    ids = common.make_confirmed_trips(people, count, province=88, per_registration=per_registration)
    border, customs = common.actor(users["border.huunghi"]), common.actor(users["customs.huunghi"])
    for trip_id in ids[:at_gate]:
        do_confirm_checkpoint(border, trip_id, "gate_entry_border_guard")
        do_confirm_checkpoint(customs, trip_id, "gate_entry_customs")
    return {"seconds": time.perf_counter() - started, "trips": len(ids), "at_gate": min(at_gate, len(ids))}



def counts() -> dict[str, int]:
    from crossings.models import Trip
    from gates.models import Gate

    gate = Gate.objects.get(code="huu-nghi")
    return {"trips": Trip.objects.count(), "open": Trip.objects.filter(is_open=True).count(),
            "open_huu_nghi": Trip.objects.filter(is_open=True, registration__gate=gate).count(),
            "firm1": Trip.objects.filter(registration__declarant__tax_code="0101234565").count()}


# --- the pages --------------------------------------------------------------------------------------

@dataclass
class Page:
    label: str
    user: str | None  # demo username; None: not signed in
    path: str
    htmx: bool = False


def targets() -> dict[str, Any]:
    """The demo objects the pages show, chosen as a user would find them."""
    from django.db.models import Count

    from crossings.models import AuditEvent, Outcome, Stage, Trip
    from declarations.models import Registration, RegistrationStatus
    from simulator import storage

    firm1 = Registration.objects.filter(declarant__tax_code="0101234565", gate__code="huu-nghi")
    # The registration page with the most trucks that have a history (confirmed, trucks moving).
    registration = (firm1.filter(status=RegistrationStatus.CONFIRMED, trips__stage__in=[Stage.IN_YARD, Stage.PAID])
                    .annotate(n=Count("trips", distinct=True)).order_by("-n", "-pk").first())
    amendable = firm1.filter(status__in=[RegistrationStatus.SUBMITTED, RegistrationStatus.RETURNED]).order_by(
        "-pk").first()
    at_gate = Trip.objects.filter(registration__gate__code="huu-nghi", registration__declarant__tax_code="0101234565",
                                  stage=Stage.REGISTERED, outcome=Outcome.ACTIVE,
                                  registration__status=RegistrationStatus.CONFIRMED).select_related(
        "vehicle").order_by("pk").first()
    in_yard = Trip.objects.filter(registration__gate__code="huu-nghi", stage=Stage.IN_YARD).order_by("pk").first()
    completed = (Trip.objects.filter(registration__gate__code="huu-nghi", outcome=Outcome.COMPLETED)
                 .order_by("pk").first())
    assert registration and amendable and at_gate and in_yard and completed, "demo data lacks a page's object"
    audit_events = AuditEvent.objects.filter(trip_id_ref=completed.pk).count()
    return {"registration": registration.pk, "amendable": amendable.pk, "trip": at_gate.pk,
            "plate": at_gate.vehicle.plate, "ticket": in_yard.ticket_token, "completed": completed.pk,
            "audit_events": audit_events, "simulation": storage.stored()[0]["stem"]}


def busy_pages() -> list[Page]:
    """At the busy gate, also a registration of --per-registration trucks (the demo's have 1–3)."""
    from declarations.models import Registration

    big = Registration.objects.filter(trips__vehicle__plate__startswith="88").order_by("pk").first()
    assert big is not None
    return [Page(f"registration page, {big.trips.count()} trucks (firm)", "firm1", f"/registrations/{big.pk}/"),
            Page(f"registration page, {big.trips.count()} trucks (board)", "bql.huunghi", f"/registrations/{big.pk}/")]


def pages(t: dict[str, Any]) -> list[Page]:
    return [
        Page("bare public view (baseline)", None, "/bench/bare-public"),
        Page("bare signed-in view (baseline)", "customs.huunghi", "/bench/bare-signed-in"),
        Page("sign-in page", None, "/accounts/login/"),
        Page("trips list", "firm1", "/trips/"),
        Page("trips list, status filter (in yard)", "firm1", "/trips/?status=in_yard"),
        Page("trips list, status filter (completed)", "firm1", "/trips/?status=completed"),
        Page("trips list, page 2", "firm1", "/trips/?page=2"),
        Page("new registration form", "firm1", "/registrations/new/"),
        Page("registration page (firm)", "firm1", f"/registrations/{t['registration']}/"),
        Page("registration page (board)", "bql.huunghi", f"/registrations/{t['registration']}/"),
        Page("edit form", "firm1", f"/registrations/{t['amendable']}/edit/"),
        Page("driver ticket", None, f"/t/{t['ticket']}/"),
        Page("driver ticket QR image (remembered after the first drawing)", None, f"/t/{t['ticket']}/qr.svg"),
        Page("console, empty (customs)", "customs.huunghi", "/console/"),
        Page("console, empty (board)", "bql.huunghi", "/console/"),
        Page("console, found truck", "customs.huunghi", f"/console/?q={t['plate']}"),
        Page("console search partial (HTMX)", "customs.huunghi", f"/console/?q={t['plate']}", htmx=True),
        Page("console waiting-list partial", "customs.huunghi", "/console/waiting/", htmx=True),
        Page("console waiting-list partial, 100 shown", "customs.huunghi", "/console/waiting/?shown=100", htmx=True),
        Page("console truck partial", "customs.huunghi", f"/console/trips/{t['trip']}/", htmx=True),
        Page("province overview", "province", "/province/"),
        Page("province overview rows (HTMX)", "province", "/province/", htmx=True),
        Page("per-gate page (supervisor)", "province", "/province/gates/huu-nghi/"),
        Page("per-gate page (gate board)", "bql.huunghi", "/province/gates/huu-nghi/"),
        Page("per-gate settings form (HTMX)", "province", "/province/gates/huu-nghi/settings/", htmx=True),
        Page("per-gate settings page", "province", "/province/gates/huu-nghi/settings/"),
        Page("audit trail", "bql.huunghi", f"/trips/{t['completed']}/audit/"),
        Page("public board", None, "/board/"),
        Page("public board JSON", None, "/api/v1/board"),
        Page("simulator list", "province", "/simulator/"),
        Page("simulator result", "province", f"/simulator/{t['simulation']}/"),
        Page("admin index", "admin", "/admin/"),
    ]


# --- timing -----------------------------------------------------------------------------------------

@dataclass
class Timing:
    page: Page
    samples: list[float]
    cpu: list[float]  # this process's CPU time per request: robust to other sessions sharing the cores
    queries: int
    size: int
    status: int
    http: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 0.95)

    @property
    def cpu_p50(self) -> float:
        return statistics.median(self.cpu)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Clients:
    """One test client per demo account, signed in once (as the browser keeps its session)."""

    def __init__(self) -> None:
        from django.test import Client

        self._client_class = Client
        self._clients: dict[str | None, Any] = {}

    def get(self, username: str | None) -> Any:
        if username not in self._clients:
            from django.contrib.auth.models import User

            client = self._client_class()
            if username is not None:
                client.force_login(User.objects.get(username=username))
            self._clients[username] = client
        return self._clients[username]


def request(client: Any, page: Page) -> Any:
    headers = {"HX-Request": "true"} if page.htmx else {}
    return client.get(page.path, headers=headers)


def measure(clients: Clients, page: Page, n: int, warmup: int) -> Timing:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = clients.get(page.user)
    for _ in range(warmup):
        response = request(client, page)
        if response.status_code != 200:
            raise RuntimeError(f"{page.label}: {page.path} answered {response.status_code}")
    samples, cpu = [], []
    for _ in range(n):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = request(client, page)
        samples.append((time.perf_counter() - started) * 1e3)
        cpu.append((time.process_time() - cpu_started) * 1e3)
    with CaptureQueriesContext(connection) as queries:
        response = request(client, page)
    return Timing(page, samples, cpu, len(queries.captured_queries), len(response.content), response.status_code)


def profile(clients: Clients, page: Page, n: int = 20) -> str:
    client = clients.get(page.user)
    request(client, page)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        request(client, page)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


def measure_all(page_list: list[Page], args: argparse.Namespace) -> tuple[list[Timing], str]:
    from django.test.utils import override_settings

    profiled = ""
    with override_settings(ROOT_URLCONF=URLCONF):
        clients = Clients()
        timings = []
        for page in page_list:
            timing = measure(clients, page, args.requests, args.warmup)
            print(f"  {page.label}: p50 {timing.p50:.1f} ms, p95 {timing.p95:.1f} ms, CPU {timing.cpu_p50:.1f} ms, "
                  f"{timing.queries} queries",
                  flush=True)
            timings.append(timing)
            if args.profile == page.label:
                profiled = profile(clients, page)
    return timings, profiled


# --- over HTTP (optional) -----------------------------------------------------------------------------

def measure_served(env: common.Environment, timings: list[Timing], n: int) -> None:
    """N requests per page through `cuakhau serve`, one at a time (paced 50 ms apart), session cookie set."""
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connections
    from django.test import Client

    cookies: dict[str | None, str] = {}
    for timing in timings:
        user = timing.page.user
        if user is not None and user not in cookies:
            client = Client()
            client.force_login(User.objects.get(username=user))
            cookies[user] = client.cookies[settings.SESSION_COOKIE_NAME].value
    connections.close_all()
    env.env["DJANGO_SETTINGS_MODULE"] = "benchmarks.pages_settings"
    with common.server(env, workers=1, threads=2) as target:
        for timing in timings:
            headers = {"HX-Request": "true"} if timing.page.htmx else {}
            if timing.page.user is not None:
                headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookies[timing.page.user]}"
            url = f"{target.base}{timing.page.path}"
            for i in range(n + 2):
                started = time.perf_counter()
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as answer:  # noqa: S310
                    answer.read()
                    if answer.status != 200:
                        raise RuntimeError(f"{url} answered {answer.status}")
                if i >= 2:  # the first two warm the worker
                    timing.http.append((time.perf_counter() - started) * 1e3)
                time.sleep(0.05)


# --- report -------------------------------------------------------------------------------------------

def table(timings: list[Timing]) -> list[str]:
    served = any(t.http for t in timings)
    head = ("| page | as | path | queries | p50 ms | p95 ms | max ms | CPU p50 ms | KB |"
            + (" HTTP p50 ms |" if served else ""))
    rule = "|---|---|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if served else "")
    rows = [head, rule]
    for t in timings:
        flag = " ⚠" if t.p95 > TARGET_MS else ""
        http = f" {statistics.median(t.http):.1f} |" if t.http else ""
        rows.append(f"| {t.page.label}{flag} | {t.page.user or '–'} | `{t.page.path}` | {t.queries} | {t.p50:.1f} | "
                    f"{t.p95:.1f} | {max(t.samples):.1f} | {t.cpu_p50:.1f} | {t.size / 1024:.0f} |{http}")
    return rows


def verdict(timings: list[Timing]) -> str:
    over = [t.page.label for t in timings if t.p95 > TARGET_MS]
    worst = max(timings, key=lambda t: t.p95)
    if not over:
        return f"every page ≤ {TARGET_MS:.0f} ms (p95): **met** (slowest: {worst.page.label}, p95 {worst.p95:.1f} ms)"
    return f"**NOT met** (p95 > {TARGET_MS:.0f} ms): {', '.join(over)}"


def render(args: argparse.Namespace, database: str, facts: dict[str, Any],
           results: list[tuple[str, str, list[Timing]]], load_before: str, quiet: str) -> str:
    command = "python -m benchmarks.pages" + (" --postgres" if args.postgres else "") + (
        f" --serve {args.serve}" if args.serve else "") + (f" --only '{args.only}'" if args.only else "")
    lines = [
        f"\n## {common.now_utc()} — {database}",
        "",
        f"`{command}` · {common.machine_line()} · load average before {load_before}, after "
        f"{common.load_average()} ({quiet})",
        "",
        f"Demo data built in {facts['demo']['seconds']:.1f} s ({facts['demo']['registrations']} registrations); "
        f"{args.requests} timed requests per page after {args.warmup} warm-up ones, in-process (test Client, "
        f"every middleware).",
    ]
    for title, description, timings in results:
        lines += ["", f"### {title}", "", description, "", f"Target: {verdict(timings)}.", "", *table(timings)]
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    quiet = common.wait_for_quiet(args.quiet_wait) if args.quiet_wait else "no wait for a quiet machine"
    load_before = common.load_average()
    env = common.prepare(postgres=args.postgres, pg_url=args.pg_url)
    try:
        common.django_setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        facts: dict[str, Any] = {"demo": build_demo_data()}
        common.analyze()
        print(f"demo: {facts['demo']} {counts()}", flush=True)
        chosen = targets()
        page_list = [p for p in pages(chosen) if not args.only or args.only in p.label or "baseline" in p.label]
        results: list[tuple[str, str, list[Timing]]] = []
        profiles: list[str] = []

        timings, profiled = measure_all(page_list, args)
        profiles.append(profiled)
        n = counts()
        results.append(("Demo data", f"`cuakhau demo`: {n['trips']} trucks ({n['open']} open, {n['open_huu_nghi']} "
                        f"at Hữu Nghị); firm1 has {n['firm1']}; the audit-trail trip has {chosen['audit_events']} "
                        f"events.", timings))
        if args.busy:
            facts["busy"] = add_busy_gate(args.busy, args.per_registration, args.at_gate)
            common.analyze()
            print(f"busy: {facts['busy']} {counts()}", flush=True)
            busy = [p for p in busy_pages() if not args.only or args.only in p.label]
            timings, profiled = measure_all(page_list + busy, args)
            profiles.append(profiled)
            n = counts()
            results.append((
                "Busy gate", f"The demo plus {facts['busy']['trips']:,} confirmed trucks of firm1 at Hữu Nghị "
                f"({args.per_registration} per registration, made through the services in "
                f"{facts['busy']['seconds']:.0f} s), {facts['busy']['at_gate']} of them through both gate entries: "
                f"{n['open_huu_nghi']:,} open trucks at Hữu Nghị, firm1 has {n['firm1']:,}.", timings))
        if args.serve:
            for _title, _description, timings in results[-1:]:
                measure_served(env, timings, args.serve)
        report = render(args, env.database, facts, results, load_before, quiet)
        for text in profiles:
            if text:
                print(text)
        print(report)
        if args.append:
            with RESULTS.open("a", encoding="utf-8") as out:
                out.write(report + "\n")
    finally:
        env.cleanup()


if __name__ == "__main__":
    main()
