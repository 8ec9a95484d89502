"""Queueing settings, each with a default; a deployment overrides them in Django settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # A trip not at the gate this long after the end of its booked hour is a no-show.
    "QUEUEING_NO_SHOW_GRACE_MINUTES": 30,
    # Share of each hour's capacity held for perishable goods, unless the gate's policy says otherwise.
    "QUEUEING_GREEN_SHARE_PERCENT": 20,
    # Unused green places are released to everyone this long before the hour starts.
    "QUEUEING_GREEN_RELEASE_MINUTES": 30,
    # Open bookings an enterprise may hold for one local day …
    "QUEUEING_MAX_OPEN_BOOKINGS_PER_DAY": 100,
    # … and, for a peak hour, when its no-show rate is high.
    "QUEUEING_PEAK_CAP_FOR_HIGH_NO_SHOW": 10,
    "QUEUEING_PEAK_HOURS": (7, 8, 9, 10, 14, 15, 16),
    "QUEUEING_HIGH_NO_SHOW_RATE": 0.2,
    "QUEUEING_NO_SHOW_MIN_BOOKINGS": 10,
    "QUEUEING_NO_SHOW_WINDOW_DAYS": 30,
    # Booking requests (book, move, cancel, swap) per enterprise in a sliding window.
    "QUEUEING_RATE_LIMIT_REQUESTS": 60,
    "QUEUEING_RATE_LIMIT_WINDOW_SECONDS": 60,
    # How far ahead an hour may be booked, and how many free hours an answer offers.
    "QUEUEING_MAX_DAYS_AHEAD": 30,
    "QUEUEING_NEXT_FREE_COUNT": 5,
    # Congestion grading of the national single window (trucks waiting), unless the gate's policy says otherwise.
    "QUEUEING_CONGESTION_YELLOW_FROM": 500,
    "QUEUEING_CONGESTION_ORANGE_FROM": 1000,
    "QUEUEING_CONGESTION_RED_ABOVE": 5000,
    # Lanes, working hours and green shares are cached this long (other processes see an edit this late).
    "QUEUEING_REFERENCE_CACHE_SECONDS": 30,
    # An enterprise's no-show rate is recomputed at most this often.
    "QUEUEING_NO_SHOW_RATE_CACHE_SECONDS": 300,
    # Seconds between two rounds of `cuakhau worker`.
    "QUEUEING_WORKER_INTERVAL_SECONDS": 30,
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def grace() -> dt.timedelta:
    return dt.timedelta(minutes=int(get("QUEUEING_NO_SHOW_GRACE_MINUTES")))


def green_release_lead() -> dt.timedelta:
    return dt.timedelta(minutes=int(get("QUEUEING_GREEN_RELEASE_MINUTES")))
