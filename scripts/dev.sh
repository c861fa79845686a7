#!/usr/bin/env bash
# One entry point for people and CI.
#   bash scripts/dev.sh run    set up .venv, update the store from ../shared/data, show what it holds
#   bash scripts/dev.sh test   set up .venv, run the whole test suite
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
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
}

case "${1:-}" in
    run)
        setup
        export RISKCURVE_DATA_DIR=${RISKCURVE_DATA_DIR:-../shared/data}
        "$VENV/bin/riskcurve" update
        "$VENV/bin/riskcurve" series
        ;;
    test)
        setup
        shift
        "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: bash scripts/dev.sh run|test [pytest args]" >&2
        exit 2
        ;;
esac
