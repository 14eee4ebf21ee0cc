#!/usr/bin/env bash
# Usage: bash tools/demo.sh [CONFIG] [tools/train.py args]
# The main job on a fresh machine: installs everything (tools/install.sh),
# generates the demo videos if absent, trains CONFIG on CPU, then tests its
# best checkpoint. Logs and checkpoints go to work_dirs/<config name>/.
set -euo pipefail
. "$(dirname "$0")/install.sh"
cd "$MOME_ROOT"
CONFIG=${1:-configs/synthetic/smoke_recognizer3d_motion_videos.py}
WORK_DIR=work_dirs/$(basename "$CONFIG" .py)
if [ ! -f data/motion_videos/train.txt ]; then
    python tools/data/make_motion_videos.py data/motion_videos
fi
python tools/train.py "$CONFIG" --work-dir "$WORK_DIR" "${@:2}"
BEST=$(ls -t "$WORK_DIR"/best_*.pth | head -n 1)
python tools/test.py "$CONFIG" "$BEST" --work-dir "$WORK_DIR/test"
