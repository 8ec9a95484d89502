"""``cuakhau simulate SCENARIO [--days N] [--seed S] [--json] [--save]``.

Thin: reads the scenario, runs ``analysis.evaluate`` under a progress bar, prints a table
or the JSON, stores it for the web page when asked. Same seed, same figures.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from simulator import analysis, scenarios, storage


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("must be a whole number")) from None
    if number < 1:
        raise argparse.ArgumentTypeError(_("must be at least 1"))
    return number


def _seed(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("must be a whole number")) from None
    if not 0 <= number < 2**32:
        raise argparse.ArgumentTypeError(_("must be between 0 and 4294967295"))
    return number


class Command(BaseCommand):
    help = _("Run the gate capacity simulator on a scenario and report waits, capacity and the binding resource.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "scenario",
            help=_("shipped scenario name (%(names)s) or a path to a .toml file")
            % {"names": ", ".join(scenarios.available())},
        )
        parser.add_argument(
            "--days", type=_positive, default=None, help=_("days of arrivals (default: the scenario's)")
        )
        parser.add_argument(
            "--seed", type=_seed, default=1, help=_("random seed; the same seed gives the same figures")
        )
        parser.add_argument("--json", action="store_true", help=_("print the full result as JSON"))
        parser.add_argument("--save", action="store_true", help=_("store the result for the web page"))
        parser.add_argument(
            "--no-search",
            action="store_true",
            help=_("skip the search for the largest sustainable arrival rate (faster)"),
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            sc = scenarios.load(opts["scenario"])
        except scenarios.ScenarioError as exc:
            raise CommandError(str(exc)) from exc
        days = opts["days"] or sc.days
        if days <= sc.warmup_days:
            raise CommandError(
                _("--days must be more than the scenario's %(warmup)d warm-up days") % {"warmup": sc.warmup_days}
            )
        # The bar goes to stderr so that --json output on stdout stays machine-readable.
        console = Console(file=sys.stderr)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task(_("Simulating %(name)s") % {"name": sc.name}, total=1.0)
            summary = analysis.evaluate(
                sc,
                days=days,
                seed=opts["seed"],
                search=not opts["no_search"],
                progress=lambda f: bar.update(task, completed=f),
            )
        if opts["save"]:
            path = storage.save(summary)
            console.print(_("Saved %(path)s") % {"path": path})
        if opts["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=1))
            return
        self._print(summary)

    def _print(self, s: dict[str, Any]) -> None:
        # Render to text first: call_command(stdout=...) and pipes get plain lines.
        buffer = io.StringIO()
        out = Console(file=buffer, width=110)
        out.print(f"[bold]{s['title'] or s['scenario']}[/bold] — {s['description']}")
        out.print(
            _("%(days)d days, seed %(seed)d, %(offered).0f trucks/day offered, %(events)s events in %(secs).1f s")
            % {
                "days": s["days"],
                "seed": s["seed"],
                "offered": s["trucks_per_day_offered"],
                "events": f"{s['engine']['events']:,}",
                "secs": s["engine"]["elapsed_s"],
            }
        )
        per_day = s["cleared_per_day"]
        out.print(
            _("Cleared per day: %(all).0f (import %(imp).0f, export %(exp).0f)")
            % {"all": per_day["all"], "imp": per_day["import"], "exp": per_day["export"]}
        )
        table = Table(title=_("Hours"), show_edge=False)
        for col in ("", "p50", "p90", "p99", _("mean")):
            table.add_column(col, justify="right")
        for label, key in (
            (_("time in system"), "time_in_system_h"),
            (_("wait"), "wait_h"),
            (_("wait while open"), "queue_wait_h"),
        ):
            row = s[key]
            table.add_row(label, *(f"{row[k]:.1f}" for k in ("p50", "p90", "p99", "mean")))
        out.print(table)
        res = Table(title=_("Resources"), show_edge=False)
        for col in (_("resource"), _("servers"), _("utilisation"), _("queue wait, min"), _("share of queueing")):
            res.add_column(col, justify="right")
        for row in s["resources"]:
            util = "–" if row["utilisation"] is None else f"{row['utilisation']:.0%}"
            # No servers: a rate limit per hour; 0 servers: unlimited, a pure delay.
            servers = f"{row['per_hour']:g}/h" if row["servers"] is None else str(row["servers"] or "∞")
            res.add_row(row["label"], servers, util, f"{row['queue_wait_min']:.1f}", f"{row['queue_share']:.0%}")
        out.print(res)
        hours = s["congestion_hours"]
        out.print(
            _("Hours at congestion level: green %(green)d, yellow %(yellow)d, orange %(orange)d, red %(red)d") % hours
        )
        if "sustainable" in s:
            sus = s["sustainable"]
            out.print(
                _(
                    "Largest sustainable arrival rate (p90 wait while open ≤ %(target)g h): "
                    "%(tpd).0f trucks/day (×%(scale).2f of the offered profile); binding: %(binding)s"
                )
                % {
                    "target": sus["target_p90_wait_h"],
                    "tpd": sus["trucks_per_day"],
                    "scale": sus["scale"],
                    "binding": sus["binding"],
                }
            )
        self.stdout.write(buffer.getvalue(), ending="")
