#!/usr/bin/env bash
# Usage: bash tools/pretrain_tiny_expert.sh [tools/pretrain_tiny_expert.py args]
# Installs everything (tools/install.sh), then tools/pretrain_tiny_expert.py:
# generates the generic synthetic motion corpus if it is missing
# (data/motion_pretraining), pretrains the tiny UniFormerV2 expert on it
# (configs/pretrain/uniformerv2_tiny_motion_pretrain.py, CPU) and writes its
# backbone weights to checkpoints/uniformerv2_tiny_motion_pretrain.pth,
# printing their SHA-256 and size.
set -euo pipefail
. "$(dirname "$0")/install.sh"
cd "$MOME_ROOT"
exec python tools/pretrain_tiny_expert.py "$@"
