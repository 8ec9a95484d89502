# shellcheck shell=bash
# Sourced by bin/demo and bin/test: make sure .venv exists and holds an up-to-date install.
#   bootstrap_venv ""      -> pip install -e .
#   bootstrap_venv "dev"   -> pip install -e ".[dev]"
# Re-installs only when pyproject.toml changed since the last install (a stamp file in .venv).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

_pick_python() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "error: Python 3.11 or newer is required (tried python3.11, python3)." >&2
    return 1
}

bootstrap_venv() {
    local extra="${1:-}"
    local spec="."
    [[ -n "$extra" ]] && spec=".[$extra]"
    if [[ ! -x "$VENV/bin/python" ]]; then
        local python
        python="$(_pick_python)"
        echo "==> Creating $VENV with $python"
        "$python" -m venv "$VENV"
    fi
    local stamp="$VENV/.cuakhau-installed${extra:+-$extra}"
    local digest
    digest="$("$VENV/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$ROOT/pyproject.toml")"
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$digest" ]]; then
        echo "==> Installing cuakhau$([[ -n "$extra" ]] && echo " with [$extra] extras") into .venv (first run takes a minute)"
        local log="$VENV/pip-install.log"
        # pip and the build backend are chatty (deprecation notices); keep their output for a failure.
        if ! (cd "$ROOT" &&
            "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip &&
            "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec") >"$log" 2>&1; then
            tail -n 40 "$log" >&2
            echo "error: installing the project failed; the full output is in $log" >&2
            return 1
        fi
        echo "$digest" >"$stamp"
    fi
}
