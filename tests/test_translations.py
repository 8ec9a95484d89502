"""Every user-facing string has a Vietnamese and a Simplified Chinese translation.

GNU gettext is not needed to run this (a fresh machine has only Python): message ids are
extracted from the source with `ast` (Python) and regular expressions (templates), the way
`makemessages` finds them, and looked up in the committed catalogues parsed with polib.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
LANGUAGES = ["vi", "zh_Hans"]
# Not scanned, as `makemessages --ignore` leaves them out: third-party code, measurements, data.
SKIPPED_DIRS = {".venv", "venv", "node_modules", "benchmarks", "data", "build", "dist", "migrations", "__pycache__",
                "artifacts", "staticfiles"}

SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop", "ugettext", "ugettext_lazy"}
PLURAL = {"ngettext", "ngettext_lazy", "ungettext", "ungettext_lazy"}
CONTEXT = {"pgettext", "pgettext_lazy"}
CONTEXT_PLURAL = {"npgettext", "npgettext_lazy"}

Key = tuple[str, str]  # (context, msgid)


def _source_files(suffix: str) -> Iterator[Path]:
    for path in ROOT.rglob(f"*{suffix}"):
        parts = path.relative_to(ROOT).parts
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in parts[:-1]):
            continue
        yield path


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def python_msgids(source: str) -> set[Key]:
    found: set[Key] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        args = [_literal(arg) for arg in node.args]
        if name in SINGULAR or name in PLURAL:
            keys = [("", args[0])] + ([("", args[1])] if name in PLURAL and len(args) > 1 else [])
        elif name in CONTEXT or name in CONTEXT_PLURAL:
            keys = [(args[0] or "", args[1])] if len(args) > 1 and args[0] is not None else []
        else:
            continue
        found.update((context, msgid) for context, msgid in keys if msgid)
    return found


_QUOTED = r"""(?P<q>["'])(?P<msgid>.*?)(?P=q)"""
_TRANSLATE_TAG = re.compile(r"{%\s*(?:translate|trans)\s+" + _QUOTED + r"(?P<rest>[^%]*)%}")
_CONTEXT_ARG = re.compile(r"""context\s+(["'])(.*?)\1""")
_BLOCK = re.compile(r"{%\s*(?:blocktranslate|blocktrans)(?P<args>[^%]*)%}(?P<body>.*?){%\s*(?:endblocktranslate|"
                    r"endblocktrans)\s*%}", re.S)
_PLURAL_TAG = re.compile(r"{%\s*plural\s*%}")
_VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")


def _block_msgid(body: str, trimmed: bool) -> str:
    body = _VARIABLE.sub(lambda m: f"%({m.group(1)})s", body.replace("%", "%%"))
    if trimmed:
        body = " ".join(line.strip() for line in body.strip().splitlines() if line.strip())
    return body


def template_msgids(source: str) -> set[Key]:
    found: set[Key] = set()
    for match in _TRANSLATE_TAG.finditer(source):
        context = _CONTEXT_ARG.search(match["rest"])
        found.add((context.group(2) if context else "", match["msgid"]))
    for match in _BLOCK.finditer(source):
        args = match["args"]
        context = _CONTEXT_ARG.search(args)
        singular = _PLURAL_TAG.split(match["body"])[0]  # the plural form is the entry's msgid_plural
        found.add((context.group(2) if context else "", _block_msgid(singular, "trimmed" in args.split())))
    return found


def project_msgids() -> dict[Key, str]:
    """Every message id of the project, with the first file that uses it."""
    found: dict[Key, str] = {}
    for path in _source_files(".py"):
        for key in python_msgids(path.read_text(encoding="utf-8")):
            found.setdefault(key, str(path.relative_to(ROOT)))
    for suffix in (".html", ".txt"):
        for path in _source_files(suffix):
            if "templates" not in path.parts:
                continue
            for key in template_msgids(path.read_text(encoding="utf-8")):
                found.setdefault(key, str(path.relative_to(ROOT)))
    return found


def catalogues(language: str) -> list[polib.POFile]:
    """The project catalogue and any app-level one (an app with its own `locale/` folder)."""
    paths = [ROOT / "locale" / language / "LC_MESSAGES" / "django.po"]
    paths += sorted(ROOT.glob(f"*/locale/{language}/LC_MESSAGES/django.po"))
    return [polib.pofile(str(path)) for path in paths if path.exists()]


def _translated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(v.strip() for v in entry.msgstr_plural.values())
    return bool(entry.msgstr.strip())


_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifgeExXr%]")


def test_extraction_finds_the_known_kinds_of_strings():
    assert ("", "Customs") in python_msgids('from x import y as _\n_("Customs")')
    assert ("", "A b") in python_msgids('gettext_lazy(\n    "A "\n    "b")')
    assert ("ctx", "May") in python_msgids('pgettext("ctx", "May")')
    assert ("", "Sign in") in template_msgids('{% translate "Sign in" %}')
    assert ("", "Hello %(name)s") in template_msgids("{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}")
    assert ("", "a b") in template_msgids("{% blocktranslate trimmed %}\n  a\n  b\n{% endblocktranslate %}")
    plural = "{% blocktranslate count n=k %}{{ n }} truck{% plural %}{{ n }} trucks{% endblocktranslate %}"
    assert template_msgids(plural) == {("", "%(n)s truck")}


def test_the_project_has_strings_to_translate():
    assert len(project_msgids()) > 200


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_in_the_source_is_translated(language):
    entries: dict[Key, polib.POEntry] = {}
    for po in reversed(catalogues(language)):  # the project catalogue wins, as LOCALE_PATHS do at run time
        entries.update({(entry.msgctxt or "", entry.msgid): entry for entry in po if not entry.obsolete})
    untranslated = sorted(
        f"{where}: {msgid!r}" + (f" (context {context!r})" if context else "")
        for (context, msgid), where in project_msgids().items()
        if (context, msgid) not in entries or not _translated(entries[(context, msgid)])
        or "fuzzy" in entries[(context, msgid)].flags
    )
    assert not untranslated, (
        f"{len(untranslated)} message(s) lack a {language} translation; run `python manage.py makemessages "
        f"-l vi -l zh_Hans --ignore=.venv --ignore='benchmarks/*' --no-obsolete` (an app with its own locale/ "
        f"folder keeps its strings there) and translate them:\n"
        + "\n".join(untranslated))


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_fuzzy_or_empty_entries_and_keeps_placeholders(language):
    problems = []
    for po in catalogues(language):
        if po.metadata_is_fuzzy:
            problems.append(f"{po.fpath}: header marked fuzzy")
        problems += _entry_problems(po)
    assert not problems, "\n".join(problems)


def _entry_problems(po: polib.POFile) -> list[str]:
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        if not _translated(entry):
            problems.append(f"empty: {entry.msgid!r}")
            continue
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            if sorted(m.group(0) for m in _PLACEHOLDER.finditer(text)) != sorted(
                    m.group(0) for m in _PLACEHOLDER.finditer(entry.msgid)):
                problems.append(f"placeholders differ: {entry.msgid!r} -> {text!r}")
    return [f"{po.fpath}: {problem}" for problem in problems]


def test_translations_are_used_at_run_time():
    from crossings.services import STEP_LABELS

    with translation.override("vi"):
        assert str(STEP_LABELS["gate_entry_customs"]) == "Vào cửa khẩu — Hải quan"
    with translation.override("zh-hans"):
        assert str(STEP_LABELS["gate_entry_customs"]) == "入口岸 — 海关"
    with translation.override("en"):
        assert str(STEP_LABELS["gate_entry_customs"]) == "Gate entry — customs"
