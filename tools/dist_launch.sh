#!/usr/bin/env bash
# Usage: tools/dist_launch.sh SCRIPT NPROC [script args]
# torchrun SCRIPT (tools/train.py or tools/test.py) with NPROC processes per
# node: one per GPU with NCCL, or NPROC CPU processes with gloo where there is
# no CUDA. Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT as for MMAction2.
set -euo pipefail
SCRIPT=$1
NPROC=$2
TOOLS="$(cd "$(dirname "$0")" && pwd)"
PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" "$TOOLS/$SCRIPT" "${@:3}" --launcher pytorch
