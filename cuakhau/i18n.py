"""Compile the committed .po catalogues into .mo files on start.

.mo files are build products and are not committed; compiling with polib keeps a fresh
machine free of a GNU gettext dependency. Only catalogues newer than their .mo are compiled.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)


def ensure_compiled_messages() -> None:
    import polib

    for locale_dir in settings.LOCALE_PATHS:
        for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            try:
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                # Write aside and rename so a parallel process never reads half a file.
                tmp_path = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
                polib.pofile(str(po_path)).save_as_mofile(str(tmp_path))
                os.replace(tmp_path, mo_path)
            except OSError:  # a read-only install: fall back to the untranslated strings
                logger.warning("could not compile %s", po_path)
