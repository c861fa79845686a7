#!/usr/bin/env bash
# One entry point for people and CI.
#   bash scripts/dev.sh run    set up .venv, then the main job: update the store from ../shared/data,
#                              show what it holds, the stage status, the thesis study, and the HTML report
#   bash scripts/dev.sh test   set up .venv (and Debian's chromium for the browser test), run every test
# Environment: PYTHON (default python3.11), RISKCURVE_DATA_DIR (default ../shared/data),
# RISKCURVE_DB (default: riskcurve.duckdb in the user data dir).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
VENV=.venv

setup() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    # The lock pins every package; the project itself goes in editable, without re-resolving.
    if ! cmp -s requirements.lock "$VENV/.installed.lock" 2>/dev/null; then
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.lock
        cp requirements.lock "$VENV/.installed.lock"
    fi
    # The editable install links src/ once; it needs redoing only when the package metadata (entry
    # points, version) changes, so it is keyed on pyproject.toml like the lock above.
    if ! cmp -s pyproject.toml "$VENV/.installed.pyproject" 2>/dev/null; then
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
        cp pyproject.toml "$VENV/.installed.pyproject"
    fi
}

# The dashboard test drives a real browser: Debian's chromium (Playwright never downloads one here).
ensure_browser() {
    if [ -x /usr/bin/chromium ]; then
        return
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian's chromium for the browser test..." >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null \
            || echo "could not install chromium: the browser test will be skipped" >&2
    else
        echo "no /usr/bin/chromium and no root apt-get: the browser test will be skipped" >&2
    fi
}

case "${1:-}" in
    run)
        setup
        export RISKCURVE_DATA_DIR=${RISKCURVE_DATA_DIR:-../shared/data}
        rc="$VENV/bin/riskcurve"
        "$rc" update
        "$rc" series
        "$rc" status --as-of latest
        "$rc" study --as-of latest --out out/study
        "$rc" report --as-of latest --out out/report.html
        ;;
    test)
        setup
        ensure_browser
        shift
        "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: bash scripts/dev.sh run|test [pytest args]" >&2
        exit 2
        ;;
esac
