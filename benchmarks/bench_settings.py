"""Settings for benchmarks only: the platform's settings plus one bare view (see bench_urls).

BENCH_CONN_MAX_AGE (optional, seconds) overrides the database's CONN_MAX_AGE, to measure what
persistent connections would change; BENCH_SQLITE_FAIRLOCK=1 swaps in benchmarks/sqlite_fairlock
(writers queue on a process lock instead of sleeping in SQLite's busy handler). Unset, the
platform's own settings are measured as they are.
"""

import os

from cuakhau.settings import *  # noqa: F403
from cuakhau.settings import DATABASES

ROOT_URLCONF = "benchmarks.bench_urls"

if os.environ.get("BENCH_SQLITE_FAIRLOCK") and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "benchmarks.sqlite_fairlock"

if os.environ.get("BENCH_CONN_MAX_AGE"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])
