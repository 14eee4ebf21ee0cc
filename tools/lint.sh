#!/usr/bin/env bash
# Usage: bash tools/lint.sh
# MMAction2's lint (flake8, isort, yapf; settings in setup.cfg) over the
# package, tools, benchmarks, tests, configs, docs/conf.py and setup.py. Prints every
# finding and exits non-zero on any; fix formatting with
#   isort $LINT_PATHS && yapf -i -r $LINT_PATHS
# Run it inside the environment tools/install.sh sets up.
set -uo pipefail
cd "$(dirname "$0")/.."
LINT_PATHS=(mome_mmaction tools benchmarks tests configs docs setup.py)
status=0
python -m flake8 "${LINT_PATHS[@]}" || status=1
python -m isort --check-only --diff "${LINT_PATHS[@]}" || status=1
yapf_diff="$(python -m yapf --diff --recursive "${LINT_PATHS[@]}")" || status=1
if [ -n "$yapf_diff" ]; then
    echo "$yapf_diff"
    status=1
fi
if [ "$status" -ne 0 ]; then
    echo "lint: findings above (fix formatting with: isort ${LINT_PATHS[*]}" \
        "&& yapf -i -r ${LINT_PATHS[*]})" >&2
fi
exit "$status"
