"""`cuakhau demo`: migrate, load reference data, create the demo accounts and a few days of trucks."""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Prepare a demo platform: migrate, load reference data, create the demo accounts (password demo12345) "
            "and a few days of trucks in every state at Hữu Nghị and Tân Thanh. Safe to run again.")

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--add-trips", action="store_true",
                            help="Add another batch of trucks even if demo trucks exist already.")
        parser.add_argument("--seed", type=int, default=None, help="Random seed for the trucks (reproducible).")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from cuakhau.demo import PASSWORD, build_demo, demo_accounts

        started = time.monotonic()
        verbosity = options["verbosity"]
        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        console = Console(file=self.stdout._out, force_terminal=None)  # type: ignore[attr-defined]
        with Progress(TextColumn("Replaying demo trucks"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True, disable=verbosity == 0 or not console.is_terminal) as progress:
            task = progress.add_task("demo", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            summary = build_demo(add_trips=options["add_trips"], seed=options["seed"], progress=report)

        if summary.get("trips_skipped"):
            self.stdout.write("Demo trucks exist already; not adding more (use --add-trips for another batch).")
        else:
            checkpoints = sum(n for key, n in summary.items() if key.startswith("checkpoint "))
            self.stdout.write(f"Demo trucks: {summary.get('registrations', 0)} registrations, "
                              f"{summary.get('trips', 0)} trucks, {checkpoints} checkpoints confirmed.")
        names = ", ".join(account.username for account in demo_accounts())
        self.stdout.write(f"Demo accounts (password {PASSWORD}): {names}")
        self.stdout.write(self.style.SUCCESS(f"Demo ready in {time.monotonic() - started:.1f} s."))
