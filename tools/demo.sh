#!/usr/bin/env bash
# Usage: bash tools/demo.sh [CONFIG] [tools/train.py args]
# The main job on a fresh machine: installs everything (tools/install.sh),
# then tools/demo.py: generates the synthetic Drive&Act data if absent,
# trains CONFIG (default: MoME + HTL, tiny experts, CPU), tests the best
# checkpoint and writes the gate report under work_dirs/<config name>/.
set -euo pipefail
. "$(dirname "$0")/install.sh"
cd "$MOME_ROOT"
exec python tools/demo.py "$@"
