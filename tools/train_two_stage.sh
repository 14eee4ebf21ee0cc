#!/usr/bin/env bash
# Usage: [WORK_ROOT=work_dirs] \
#        tools/train_two_stage.sh CONFIG GPUS [tools/train.py args]
# Two-stage recipe: trains the single-modality configs that CONFIG names in
# `stage1_configs` (tools/dist_train.sh with GPUS processes), then CONFIG
# with each expert starting from its stage's best checkpoint
# (model.expert_checkpoints). Work dirs: RUN_DIR/stage1_<modality>/ and
# RUN_DIR/stage2/, RUN_DIR = --work-dir or WORK_ROOT/<config name>. The
# train args (e.g. --cfg-options) go to every stage. A finished stage is not
# re-run, an interrupted one resumes: see tools/train_two_stage.py.
set -euo pipefail
exec "${PYTHON:-python}" "$(dirname "$0")/train_two_stage.py" "$@"
