"""Settings for pages.py's server runs: the benchmark settings with the pages' bare views mounted."""

from benchmarks.bench_settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.pages_urls"
