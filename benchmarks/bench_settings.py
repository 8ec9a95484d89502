"""Settings for benchmarks only: the platform's settings plus one bare view (see bench_urls).

BENCH_CONN_MAX_AGE (optional, seconds) overrides the database's CONN_MAX_AGE, to measure what
persistent connections would change. Unset, the platform's own settings are measured as they are.
"""

import os

from cuakhau.settings import *  # noqa: F403
from cuakhau.settings import DATABASES

ROOT_URLCONF = "benchmarks.bench_urls"

if os.environ.get("BENCH_CONN_MAX_AGE"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])
