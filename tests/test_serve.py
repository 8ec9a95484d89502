"""`cuakhau serve` prepares the loaded platform for its forked workers."""

from __future__ import annotations

import gc

from cuakhau.management.commands.serve import freeze_loaded_code


def test_the_loaded_platform_is_frozen_out_of_the_collector_without_touching_the_database():
    # No `db` fixture: pytest-django fails any query here, as a connection opened before fork would be
    # shared by the workers.
    try:
        freeze_loaded_code()
        # What a full collection would otherwise walk every time: the modules, URL patterns, catalogues.
        assert gc.get_freeze_count() > 50_000
    finally:
        gc.unfreeze()
