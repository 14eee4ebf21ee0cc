#!/usr/bin/env bash
# Usage: bash tools/run_tests.sh [pytest args]
# Installs everything (tools/install.sh) and runs the test suite on CPU,
# then lists the slowest tests. The fast loop: bash tools/run_tests.sh -m "not slow"
set -euo pipefail
. "$(dirname "$0")/install.sh"
cd "$MOME_ROOT"
status=0
python -m pytest tests -p no:cacheprovider --durations=15 "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "run_tests: pytest collected no tests" >&2
fi
exit "$status"
