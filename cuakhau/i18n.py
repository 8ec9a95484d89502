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
    import polib  # type: ignore[import-untyped]

    compiled = False
    for locale_dir in catalogue_dirs():
        for po_path in locale_dir.glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            try:
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                # Write aside and rename so a parallel process never reads half a file.
                tmp_path = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
                polib.pofile(str(po_path)).save_as_mofile(str(tmp_path))
                os.replace(tmp_path, mo_path)
                compiled = True
            except OSError:  # a read-only install: fall back to the untranslated strings
                logger.warning("could not compile %s", po_path)
    if compiled:
        _forget_loaded_catalogues()


def _forget_loaded_catalogues() -> None:
    """Django loads the default language's catalogue while models are imported (lazy verbose names
    interpolated at class creation), i.e. before ready() compiled our .mo files; without this, the
    first process on a fresh checkout would serve untranslated Vietnamese. Same reset as Django's
    own setting_changed handler for LOCALE_PATHS."""
    import gettext

    from asgiref.local import Local
    from django.utils.translation import trans_real

    # Python's gettext caches each parsed .mo by path: without this the stale file read at import
    # would be served again (seen after a .po changed while an older .mo existed).
    gettext._translations.clear()  # type: ignore[attr-defined]
    trans_real._translations = {}  # type: ignore[attr-defined]
    trans_real._default = None  # type: ignore[attr-defined]
    trans_real._active = Local()  # type: ignore[attr-defined]


def catalogue_dirs() -> list[Path]:
    """The project's locale folder and the app-level ones of our own apps."""
    from django.apps import apps

    base = Path(settings.BASE_DIR)
    folders = [Path(path) for path in settings.LOCALE_PATHS]
    # Our own apps only: installed libraries ship compiled catalogues.
    folders += [Path(app.path) / "locale" for app in apps.get_app_configs()
                if Path(app.path).is_relative_to(base) and ".venv" not in Path(app.path).parts]
    return [folder for folder in dict.fromkeys(folders) if folder.is_dir()]
