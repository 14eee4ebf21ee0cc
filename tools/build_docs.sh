#!/usr/bin/env bash
# Usage: bash tools/build_docs.sh [sphinx-build args]
# Builds the documentation (docs/, Sphinx + MyST as MMAction2's) into
# docs/_build/html with warnings as errors. Installs everything first
# (tools/install.sh with the docs extra: requirements/docs.txt).
set -euo pipefail
MOME_EXTRAS=tests,docs
. "$(dirname "$0")/install.sh"
cd "$MOME_ROOT"
exec python -m sphinx -b html -E -W --keep-going -q docs docs/_build/html "$@"
