#!/usr/bin/env bash
# Usage: bash benchmarks/gpu_check.sh [BATCH]
# The paper recipe's GPU figures in one run, on one GPU, in at most about 8
# minutes (each step has its own timeout): 3 x UniFormerV2-B16 MoME + HTL
# (configs/mome_htl_driveact.py, no weights loaded, random clips):
#  1. the first 20 training steps with AMP (float16 + loss scaler) at BATCH
#     (default 4, the config's per-GPU batch) and 2 x BATCH, activation
#     checkpointing off and on: step time, clips/s, CUDA peak memory, saved
#     activations, the largest batch per 24 / 48 / 80 GiB GPU;
#  2. HTL's step-time and memory overhead over MoME alone (interleaved);
#  3. the data loader's clips/s (synthetic Drive&Act-format videos, the
#     3-view pipeline, 8 workers);
#  4. FSDP: 3 training steps of the 3 x UniFormerV2-L14 config
#     (configs/ablations/mome_htl_l14_driveact.py) sharded as its
#     FSDPStrategy wraps it (torch's FSDP needs a GPU: not testable on CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
. tools/install.sh
python - <<'PY'
import torch
assert torch.cuda.is_available(), 'benchmarks/gpu_check.sh needs a CUDA GPU'
properties = torch.cuda.get_device_properties(0)
print(f'[gpu_check] {properties.name}, {properties.total_memory / 2**30:.1f} '
      f'GiB, torch {torch.__version__}')
PY
batch="${1:-4}"
echo "[gpu_check] 1/4 memory_recipe: AMP, batch $batch and $((2 * batch)), checkpointing off / on"
timeout 180 python benchmarks/memory_recipe.py --device cuda --precisions amp \
    --cp off on --batch-sizes "$batch" "$((2 * batch))" --steps 20
echo "[gpu_check] 2/4 htl_overhead: full size, AMP, batch $batch"
timeout 100 python benchmarks/htl_overhead.py --size full --amp fp16 \
    --batch-size "$batch" --budget 45
echo "[gpu_check] 3/4 data_throughput: 8 workers"
timeout 80 python benchmarks/data_throughput.py --workers 8 --epochs 1 --rounds 2
echo "[gpu_check] 4/4 fsdp_check: 3 x UniFormerV2-L14, FSDP on 1 GPU, bf16"
timeout 120 python -m torch.distributed.run --nproc_per_node=1 \
    benchmarks/fsdp_check.py --steps 3 --amp
