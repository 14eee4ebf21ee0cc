#!/usr/bin/env bash
# Usage: [WORK_ROOT=work_dirs] [SPLITS="0 1 2"] [CFG_OPTIONS="k=v ..."] \
#        tools/run_splits.sh CONFIG GPUS
# Trains and tests CONFIG on each Drive&Act split (tools/dist_train.sh and
# tools/dist_test.sh with GPUS processes), then prints tools/report.py's table.
# Results: WORK_ROOT/<config name>/split<k>/ (training) and .../split<k>/test/.
# A two-stage config (one with `stage1_configs`) trains with
# tools/train_two_stage.sh in split<k>/stage1_<modality>/ and split<k>/stage2/;
# its stage-2 best checkpoint is tested.
set -euo pipefail
CONFIG=$1
GPUS=$2
TOOLS="$(cd "$(dirname "$0")" && pwd)"
RUN_DIR="${WORK_ROOT:-work_dirs}/$(basename "$CONFIG" .py)"
TWO_STAGE=$("${PYTHON:-python}" -c 'import sys
from mmengine.config import Config
cfg = Config.fromfile(sys.argv[1], import_custom_modules=False)
print("stage1_configs" in cfg)' "$CONFIG")
for SPLIT in ${SPLITS:-0 1 2}; do
    WORK_DIR="$RUN_DIR/split$SPLIT"
    # shellcheck disable=SC2206
    OPTIONS=(train_dataloader.dataset.split=$SPLIT
             val_dataloader.dataset.split=$SPLIT
             test_dataloader.dataset.split=$SPLIT ${CFG_OPTIONS:-})
    if [ "$TWO_STAGE" = True ]; then
        "$TOOLS/train_two_stage.sh" "$CONFIG" "$GPUS" --work-dir "$WORK_DIR" \
            --cfg-options "${OPTIONS[@]}"
        TRAIN_DIR="$WORK_DIR/stage2"
    else
        "$TOOLS/dist_train.sh" "$CONFIG" "$GPUS" --work-dir "$WORK_DIR" \
            --cfg-options "${OPTIONS[@]}"
        TRAIN_DIR="$WORK_DIR"
    fi
    BEST=$(ls -t "$TRAIN_DIR"/best_*.pth | head -n 1)
    "$TOOLS/dist_test.sh" "$CONFIG" "$BEST" "$GPUS" \
        --work-dir "$WORK_DIR/test" --dump "$WORK_DIR/test/results.pkl" \
        --cfg-options "${OPTIONS[@]}"
done
"${PYTHON:-python}" "$TOOLS/report.py" "$RUN_DIR"
