"""SQLite writers of several server processes queue on a lock beside the database instead of polling."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

from cuakhau.db.sqlite.base import PROCESS_QUEUE

HOLDER = textwrap.dedent("""
    import fcntl, os, sys, time
    descriptor = os.open(sys.argv[1] + ".write-lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
""")


def test_a_writer_waits_for_another_process_and_goes_on_the_moment_it_finishes(tmp_path):
    database = str(tmp_path / "gate.sqlite3")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, database, "0.6"], stdout=subprocess.PIPE, text=True)  # noqa: S603 - our own script
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        PROCESS_QUEUE.acquire(database)
        waited = time.monotonic() - started
        PROCESS_QUEUE.release(database)
    finally:
        holder.wait(timeout=10)
    assert 0.3 < waited < 5  # it waited for the other process, and got the lock once that one let go


def test_the_lock_is_reentrant_and_released_with_the_outermost_transaction(tmp_path):
    database = str(tmp_path / "gate.sqlite3")
    PROCESS_QUEUE.acquire(database)
    PROCESS_QUEUE.acquire(database)  # a second connection of the same thread
    PROCESS_QUEUE.release(database)
    free = []

    def other_process() -> None:
        result = subprocess.run([sys.executable, "-c", HOLDER, database, "0"], capture_output=True, text=True,  # noqa: S603
                                timeout=10)
        free.append(result.stdout.strip())

    blocked = threading.Thread(target=other_process)
    blocked.start()
    blocked.join(timeout=0.5)
    assert blocked.is_alive()  # still held: only the outermost release lets go
    PROCESS_QUEUE.release(database)
    blocked.join(timeout=10)
    assert free == ["holding"]
