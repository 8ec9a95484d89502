"""`cuakhau worker`: the queue's timers in a loop — capacity refresh, released bookings, no-shows,
green-lane release, call-forward; and the expired answers kept for API retries. Safe to run twice at once
(see queueing/timers.py)."""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from queueing import conf, timers

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = ("Run the queue timers (no-show sweep, green-lane release, call-forward) and delete expired "
            "idempotency records, every --interval seconds.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=float(conf.get("QUEUEING_WORKER_INTERVAL_SECONDS")),
                            help="Seconds between two rounds.")
        parser.add_argument("--once", action="store_true", help="Run one round and exit.")

    def _report(self, step: str) -> None:
        logger.exception("queue worker step %s failed", step)

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        if not options["once"]:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        while True:
            started = time.monotonic()
            # A failing step must not end the worker (the next round retries it); with --once it fails loudly.
            counts = timers.run_once(on_error=None if options["once"] else self._report)
            if options["once"] or any(counts.values()):
                self.stdout.write(" ".join(f"{name}={count}" for name, count in counts.items()))
            if options["once"] or stopping:
                return
            while not stopping and time.monotonic() - started < options["interval"]:
                time.sleep(0.2)
            if stopping:
                return
            close_old_connections()  # drop a connection the database closed while we slept
