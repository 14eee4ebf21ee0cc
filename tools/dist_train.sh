#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG GPUS [tools/train.py args]
exec "$(dirname "$0")/dist_launch.sh" train.py "$2" "$1" "${@:3}"
