#!/usr/bin/env bash
# Usage: bash tools/pretrain_tiny_expert.sh [tools/pretrain_tiny_expert.py args
#        other than --config, --out and --work-dir]
# Installs everything (tools/install.sh), then reproduces the shipped tiny
# expert with tools/pretrain_tiny_expert.py in two stages: generates the
# generic synthetic motion corpus if it is missing (data/motion_pretraining),
# pretrains the tiny UniFormerV2 from scratch on it
# (configs/pretrain/uniformerv2_tiny_motion_pretrain.py, CPU; its backbone to
# work_dirs/uniformerv2_tiny_motion_pretrain/backbone.pth), continues from
# that backbone (configs/pretrain/uniformerv2_tiny_motion_pretrain_continued.py)
# and writes the result to checkpoints/uniformerv2_tiny_motion_pretrain.pth,
# printing each stage's SHA-256 and size. About 70 min on 2 idle cores.
set -euo pipefail
# The stages choose their own config, work dir and weights file (stage 2
# reads the file stage 1 writes): one value for both would break the chain.
for arg in "$@"; do
    case "$arg" in
    --config | --config=* | --out | --out=* | --work-dir | --work-dir=*)
        echo "$0: ${arg%%=*} is set per stage here; run" \
            'tools/pretrain_tiny_expert.py --config CONFIG for one stage' >&2
        exit 2
        ;;
    esac
done
. "$(dirname "$0")/install.sh"
cd "$MOME_ROOT"
python tools/pretrain_tiny_expert.py "$@"
exec python tools/pretrain_tiny_expert.py \
    --config configs/pretrain/uniformerv2_tiny_motion_pretrain_continued.py "$@"
