"""Where simulation results live: JSON files under ``CUAKHAU_DATA_DIR/simulations``.

Files, not database rows: a result is a few hundred kilobytes of series written once by
a command and read by a page, and the file name already says what it is.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings

_STEM = re.compile(r"^[a-z0-9_]+-\d+-\d+$")


def results_dir() -> Path:
    base = getattr(settings, "CUAKHAU_DATA_DIR", None)
    root = Path(base) if base else Path(tempfile.gettempdir()) / "cuakhau"
    return root / "simulations"


def stem_for(summary: dict[str, Any]) -> str:
    return f"{summary['scenario']}-{summary['seed']}-{summary['days']}"


def save(summary: dict[str, Any]) -> Path:
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem_for(summary)}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)  # readers never see half a file
    return path


def load(stem: str) -> dict[str, Any] | None:
    """The stored result called ``stem``, or None; the name is checked, never a path."""
    if not _STEM.match(stem):
        return None
    path = results_dir() / f"{stem}.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def stored() -> list[dict[str, Any]]:
    """Every readable stored result, newest first, with its stem."""
    folder = results_dir()
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True):
        data = load(path.stem)
        if data is not None:
            data["stem"] = path.stem
            out.append(data)
    return out
