"""Shared plumbing of the benchmarks: a throw-away database, the real server, wrk, machine facts.

Import order matters: call `prepare()` before anything touches Django, then `django_setup()`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk" / "bench.lua"
SETTINGS = "benchmarks.bench_settings"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"
TAX_CODE = "0101234565"


# --- environment and database -------------------------------------------------------------------

@dataclass
class Environment:
    data_dir: Path
    database: str  # "sqlite" or "postgresql"
    database_url: str = ""
    _pg_admin_url: str = ""
    _pg_name: str = ""
    env: dict[str, str] = field(default_factory=dict)

    def cleanup(self) -> None:
        from django.db import connections

        connections.close_all()
        if self._pg_name:
            _pg_admin(self._pg_admin_url, f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')
        shutil.rmtree(self.data_dir, ignore_errors=True)


def argument_parser(description: str | None) -> argparse.ArgumentParser:
    """A benchmark's parser with the options every one of them takes: which database, and waiting for quiet."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="use a fresh PostgreSQL database instead of SQLite")
    parser.add_argument("--pg-url", default="",
                        help=f"PostgreSQL server to create it on (default {DEFAULT_PG_URL} or $BENCH_PG_URL)")
    parser.add_argument("--quiet-wait", type=float, default=0,
                        help="first wait up to this many seconds for the machine's 1-min load average to drop below 1")
    return parser


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def prepare(postgres: bool = False, pg_url: str = "", conn_max_age: int | None = None) -> Environment:
    """A fresh data directory (and, for PostgreSQL, a fresh database); sets the process environment."""
    data_dir = Path(tempfile.mkdtemp(prefix="cuakhau-bench-"))
    env = Environment(data_dir=data_dir, database="postgresql" if postgres else "sqlite")
    os.environ["CUAKHAU_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ.pop("DATABASE_URL", None)
    if postgres:
        admin_url = pg_url or os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL)
        name = f"cuakhau_bench_{os.getpid()}"
        _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(admin_url, f'CREATE DATABASE "{name}"')
        env.database_url = urlsplit(admin_url)._replace(path=f"/{name}").geturl()
        env._pg_admin_url, env._pg_name = admin_url, name
        os.environ["DATABASE_URL"] = env.database_url
    env.env = {"CUAKHAU_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": SETTINGS,
               "PYTHONPATH": str(REPO), **({"DATABASE_URL": env.database_url} if postgres else {})}
    os.environ.pop("BENCH_CONN_MAX_AGE", None)
    if conn_max_age is not None:
        os.environ["BENCH_CONN_MAX_AGE"] = env.env["BENCH_CONN_MAX_AGE"] = str(conn_max_age)
    return env


def django_setup() -> None:
    import django

    django.setup()


def migrate_and_load_reference() -> None:
    from django.core.management import call_command

    from gates.reference import load_reference_data

    call_command("migrate", verbosity=0, interactive=False)
    load_reference_data()


# --- people ---------------------------------------------------------------------------------------

@dataclass
class People:
    firm: Any
    board: Any
    customs: Any
    firm_token: str
    customs_token: str
    board_token: str


def make_people() -> People:
    from django.contrib.auth.models import User

    from accounts.models import Agency, Profile
    from accounts.services import issue_token
    from enterprises.models import Enterprise

    enterprise, _ = Enterprise.objects.get_or_create(
        tax_code=TAX_CODE, defaults={"name": "Công ty TNHH Xuất nhập khẩu Đồng Đăng", "country": "VN"})

    def user(name: str, **profile: Any) -> Any:
        created = User.objects.create_user(name, password="demo12345")
        Profile.objects.create(user=created, **profile)
        return created

    firm = user("firm1", enterprise=enterprise)
    board = user("bql.huunghi", agency=Agency.objects.get(code="management_board.huu-nghi"))
    customs = user("customs.huunghi", agency=Agency.objects.get(code="customs.huu-nghi"))
    return People(firm, board, customs, issue_token(firm)[1], issue_token(customs)[1], issue_token(board)[1])


def actor(user: Any) -> Any:
    from accounts.services import actor_for

    found = actor_for(user, "127.0.0.1")
    assert found is not None
    return found


# --- registrations --------------------------------------------------------------------------------

def arrival() -> dt.datetime:
    """Tomorrow 09:00 Vietnam time: inside every gate's working hours."""
    from django.utils import timezone

    local = timezone.localtime() + dt.timedelta(days=1)
    return local.replace(hour=9, minute=0, second=0, microsecond=0)


def plate(province: int, n: int) -> str:
    return f"{province:02d}C-{n // 100:03d}.{n % 100:02d}"


def registration_payload(province: int, n: int, *, vehicles: int = 1, items: int = 1) -> dict[str, Any]:
    """One registration at Hữu Nghị; plates province+C+n…n+vehicles-1 (distinct), general goods."""
    item = {"hs_code": "85176249", "description": "Thiết bị mạng", "quantity": "120", "unit": "cái",
            "gross_weight_kg": "850.5", "value": "45000", "currency": "USD"}
    item2 = {"hs_code": "84713020", "description": "Máy tính xách tay", "quantity": "40", "unit": "cái",
             "gross_weight_kg": "120", "value": "16000", "currency": "USD"}
    return {
        "gate": "huu-nghi", "direction": "import", "planned_arrival": arrival().isoformat(),
        "yard": "huu-nghi-kiem-hoa",
        "consignments": [{"declaration_number": f"1{province:02d}{n:09d}", "declaration_type": "A11",
                          "description": "Hàng điện tử", "items": [item, item2][:items]}],
        "vehicles": [{"plate": plate(province, n + k), "load_class": "ge18", "seal_number": f"VN-{n + k}",
                      "driver": {"name": "Nguyễn Văn An", "identity_document": f"0010{province:02d}{n + k:06d}",
                                 "phone": "0912 345 678"}} for k in range(vehicles)],
    }


def make_confirmed_trips(people: People, count: int, province: int, per_registration: int = 100) -> list[int]:
    """`count` trips at Hữu Nghị, registration confirmed, waiting for gate entry. Returns trip ids."""
    from crossings.models import Trip
    from declarations.schemas import RegistrationIn
    from declarations.services import do_confirm_registration, do_submit_registration

    firm, board = actor(people.firm), actor(people.board)
    ids: list[int] = []
    n = 1
    while len(ids) < count:
        size = min(per_registration, count - len(ids))
        data = RegistrationIn.model_validate(registration_payload(province, n, vehicles=size))
        registration = do_submit_registration(firm, data)
        do_confirm_registration(board, registration.pk)
        ids += list(Trip.objects.filter(registration=registration).order_by("pk").values_list("pk", flat=True))
        n += size
        if n + per_registration > 99_999:
            province, n = province + 1, 1
    return ids


def analyze() -> None:
    """Fresh planner statistics (and PostgreSQL's visibility map) after a bulk load, as autovacuum would give a
    real database (this machine's PostgreSQL runs with autovacuum off)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# --- the server -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base: str
    pgid: int

    def cpu_ticks(self) -> dict[int, int]:
        """User + system CPU ticks of each live process of the server's process group (master and workers)."""
        return _cpu_ticks(lambda _name, fields: int(fields[2]) == self.pgid)  # field 5 of stat: process group

    def cpu_since(self, before: dict[int, int]) -> tuple[float, str]:
        """Seconds of server CPU since `before`, and how the workers shared it ("71/29 %"): with keep-alive
        connections, the worker that accepted a client serves it for the whole run, so a saturated run with
        several workers may in fact have run on one."""
        spent = _spent(before, self.cpu_ticks())
        workers = sorted((ticks for pid, ticks in spent.items() if pid != self.pgid), reverse=True)
        total = sum(workers)
        split = ""
        if len(workers) > 1 and total:
            split = "/".join(f"{100 * ticks / total:.0f}" for ticks in workers) + " %"
        return sum(spent.values()) / os.sysconf("SC_CLK_TCK"), split


def _cpu_ticks(select: Callable[[str, list[str]], bool]) -> dict[int, int]:
    """User + system CPU ticks, by pid, of the processes `select(name, stat fields after the name)` picks."""
    ticks = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, rest = stat.read_text().split("(", 1)[1].rsplit(")", 1)
        except (OSError, ValueError):
            continue
        fields = rest.split()
        if select(name, fields):
            ticks[int(stat.parent.name)] = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks


def _spent(before: dict[int, int], now: dict[int, int]) -> dict[int, int]:
    """Ticks each process still running spent since `before` (one that ended in between is left out, rather
    than subtracting all it ever spent)."""
    return {pid: ticks - before.get(pid, 0) for pid, ticks in now.items()}


def database_cpu() -> dict[int, int]:
    """CPU ticks of each of this machine's PostgreSQL processes, by pid (none with SQLite, which runs inside
    the server)."""
    return _cpu_ticks(lambda name, _fields: name == "postgres")


def database_cpu_since(before: dict[int, int]) -> float:
    """Seconds of PostgreSQL CPU since `before`."""
    return sum(_spent(before, database_cpu()).values()) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(env: Environment, workers: int, threads: int, port: int | None = None) -> Iterator[Server]:
    """`cuakhau serve` on loopback in its own process group; killed (group-wide) on exit, even on failure."""
    port = port or free_port()
    bind = f"127.0.0.1:{port}"
    command = [sys.executable, "-m", "cuakhau.cli", "serve", "--bind", bind, "--workers", str(workers),
               "--threads", str(threads)]
    log = open(env.data_dir / f"server-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, **env.env}, stdout=log, stderr=log,  # noqa: S603
                               start_new_session=True)
    base = f"http://{bind}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {(env.data_dir / f'server-{port}.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 60 s")
            time.sleep(0.2)
        yield Server(base, process.pid)
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        log.close()


# --- load generation --------------------------------------------------------------------------------

@dataclass
class LoadResult:
    label: str
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    raw: dict[str, Any]
    server_cpu_s: float = 0.0
    wrk_cpu_s: float = 0.0
    database_cpu_s: float = 0.0
    worker_split: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_ms_per_request(self) -> float:
        return self.server_cpu_s / self.requests * 1e3 if self.requests else 0.0

    @property
    def database_cpu_ms_per_request(self) -> float:
        return self.database_cpu_s / self.requests * 1e3 if self.requests else 0.0

    @property
    def count_bound(self) -> bool:
        """The count bound ran out before the time bound: req/s (over the whole time) is then a lower bound."""
        return bool(self.raw.get("overflow"))

    def row(self) -> str:
        label = f"{self.label} (count bound reached: req/s is a lower bound)" if self.count_bound else self.label
        return (f"| {label} | {self.requests} | {self.seconds:.1f} | {self.rps:.0f} | {self.p50_ms:.1f} | "
                f"{self.p95_ms:.1f} | {self.p99_ms:.1f} | {self.max_ms:.1f} | {self.errors} | "
                f"{self.server_cpu_ms_per_request:.2f} | {self.server_cpu_s / self.seconds * 100:.0f} % | "
                f"{self.database_cpu_ms_per_request:.2f} | {self.wrk_cpu_s / self.seconds * 100:.0f} % | "
                f"{self.worker_split or '–'} |")


TABLE_HEAD = ("| run | requests | s | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | server CPU ms/req "
              "| server CPU | PostgreSQL CPU ms/req | wrk CPU | workers' share of the server CPU |\n"
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def run_wrk(label: str, target: Server, mode: str, *, token: str, seconds: float, connections: int = 32,
            wrk_threads: int = 1, max_per_thread: int = 1_000_000, extra_env: dict[str, str] | None = None
            ) -> LoadResult:
    """One bounded wrk run (time bound `seconds`, count bound `max_per_thread` × threads).

    Closed loop: every connection sends its next request as soon as the answer arrives (saturation).
    """
    base = target.base
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    env = {**os.environ, "BENCH_MODE": mode, "BENCH_TOKEN": token, "BENCH_THREADS": str(wrk_threads),
           "BENCH_MAX": str(max_per_thread), **(extra_env or {})}
    command = [wrk, "-t", str(wrk_threads), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s",
               "-s", str(WRK_SCRIPT), base]
    cpu_before, children_before = target.cpu_ticks(), resource.getrusage(resource.RUSAGE_CHILDREN)
    database_before = database_cpu()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60,  # noqa: S603
                          check=False)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu, worker_split = target.cpu_since(cpu_before)
    database_seconds = database_cpu_since(database_before)
    wrk_cpu = (children.ru_utime + children.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    # Requests answered after a thread hit its count bound are GET /healthz; do not count them.
    requests = raw["requests"] - raw["overflow"]
    errors = sum(raw[k] for k in ("errors_connect", "errors_read", "errors_write", "errors_status",
                                  "errors_timeout"))
    return LoadResult(label, requests, raw["duration_us"] / 1e6, errors, raw["p50_us"] / 1e3, raw["p95_us"] / 1e3,
                      raw["p99_us"] / 1e3, raw["max_us"] / 1e3, raw, server_cpu, wrk_cpu, database_seconds,
                      worker_split)


def run_paced(label: str, target: Server, mode: str, *, token: str, rate: float, seconds: float,
              clients: int = 32, ids_file: str = "", max_requests: int = 1_000_000) -> LoadResult:
    """Latency at an offered load: benchmarks/paced.py in its own process (see there)."""
    command = [sys.executable, "-m", "benchmarks.paced", "--url", target.base, "--token", token, "--mode", mode,
               "--rate", f"{rate:g}", "--clients", str(clients), "--seconds", f"{seconds:g}",
               "--max", str(max_requests), *(["--ids-file", ids_file] if ids_file else [])]
    cpu_before, children_before = target.cpu_ticks(), resource.getrusage(resource.RUSAGE_CHILDREN)
    database_before = database_cpu()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=seconds + 60,  # noqa: S603
                          check=False)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu, worker_split = target.cpu_since(cpu_before)
    database_seconds = database_cpu_since(database_before)
    client_cpu = (children.ru_utime + children.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"paced load failed: {done.stdout}\n{done.stderr}")
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    return LoadResult(label, raw["requests"], raw["seconds"], raw["errors"], raw["p50_ms"], raw["p95_ms"],
                      raw["p99_ms"], raw["max_ms"], raw, server_cpu, client_cpu, database_seconds,
                      worker_split)


# --- facts ---------------------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
                 platform.processor())
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    import django
    import gunicorn

    facts = {"nproc": str(os.cpu_count()), "cpu": model, "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
             "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "django": django.get_version(),
             "gunicorn": gunicorn.__version__, "kernel": platform.release()}
    wrk = shutil.which("wrk")
    if wrk:
        version = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
        facts["wrk"] = (version.stdout or version.stderr).split("[")[0].strip()
    psql = shutil.which("psql")
    if psql:
        facts["postgresql"] = subprocess.run([psql, "--version"], capture_output=True, text=True,  # noqa: S603
                                             check=False).stdout.strip()
    return facts


def machine_line() -> str:
    m = machine()
    return (f"{m['nproc']} vCPU {m['cpu']}, {m['ram']} RAM, Linux {m['kernel']}, Python {m['python']}, "
            f"SQLite {m['sqlite']}, {m.get('postgresql', 'no PostgreSQL client')}, Django {m['django']}, "
            f"gunicorn {m['gunicorn']}, {m.get('wrk', 'no wrk')}")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wait_for_quiet(max_seconds: float, threshold: float = 1.0) -> str:
    """Wait (at most max_seconds) until the 1-minute load average drops below threshold: other
    sessions share these 2 cores. Returns a note on what was found."""
    deadline = time.monotonic() + max_seconds
    while True:
        load = float(Path("/proc/loadavg").read_text().split()[0])
        if load < threshold:
            return f"1-min load {load:.2f} (< {threshold}) at start"
        if time.monotonic() >= deadline:
            return f"1-min load still {load:.2f} after waiting {max_seconds:.0f} s: other work shared the CPU"
        time.sleep(5)


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
