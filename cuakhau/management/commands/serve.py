"""`cuakhau serve`: the platform behind gunicorn (threads), static files by WhiteNoise."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand


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

        from cuakhau.wsgi import application

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
