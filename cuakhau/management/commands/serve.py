"""`cuakhau serve`: the platform behind gunicorn (threads), static files by WhiteNoise."""

from __future__ import annotations

import gc
import os

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import get_resolver
from django.utils import translation


def freeze_loaded_code() -> None:
    """Load what every request needs, then take it out of the garbage collector's sight, before the workers fork.

    The loaded platform is ≈ 115,000 objects (modules, URL patterns, translation catalogues, schemas) that
    live as long as the process; a full collection walks them all, ≈ 50 ms during which that worker's
    threads stand still, which surfaced as a lone slow request among fast ones. Frozen here, they are
    shared with every worker and never walked again (Python's advice for servers that fork: gc.freeze()).
    Nothing here touches the database: a connection opened before fork would be shared by the workers.
    """
    get_resolver()._populate()
    for code, _name in settings.LANGUAGES:
        translation.activate(code)  # loads that language's catalogues
    translation.deactivate()
    gc.collect()
    gc.freeze()


class Command(BaseCommand):
    help = "Serve the platform over HTTP with gunicorn."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--bind", default=os.environ.get("CUAKHAU_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=None,
                            help="Processes (default 2; on SQLite their writers queue on a lock file beside "
                                 "the database). Also CUAKHAU_WORKERS.")
        parser.add_argument("--threads", type=int, default=int(os.environ.get("CUAKHAU_THREADS", "8")))

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        from gunicorn.app.base import BaseApplication

        from cuakhau.db.sqlite import checkpoints
        from cuakhau.wsgi import application

        freeze_loaded_code()
        # SQLite: each worker copies the write-ahead log into the database in a thread of its own, not in the
        # request that commits (a no-op on PostgreSQL, which checkpoints in its own background processes).
        checkpoints.enable()
        workers = options["workers"] or int(os.environ.get("CUAKHAU_WORKERS", "0")) or 2

        settings = {"bind": options["bind"], "workers": workers, "threads": options["threads"],
                    "worker_class": "gthread", "accesslog": "-" if options["verbosity"] > 1 else None}

        class Server(BaseApplication):
            def load_config(self) -> None:
                for key, value in settings.items():
                    if value is not None:
                        self.cfg.set(key, value)

            def load(self):  # type: ignore[no-untyped-def]
                return application

        self.stdout.write(f"Serving on http://{options['bind']}/  (Ctrl+C to stop)")
        Server().run()
