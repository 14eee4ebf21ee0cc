#!/usr/bin/env bash
# Usage: source tools/install.sh
# Sets up everything mome_mmaction needs, once, and activates it:
# - uses the active virtualenv / conda env, else creates and activates .venv;
# - installs torch 2.13.0 only where no torch >= 2.10 is installed (a user's
#   CUDA torch is left alone; on a CPU machine this is the CPU wheel);
# - pip install -e .[$MOME_EXTRAS] (default: tests; tools/build_docs.sh adds
#   docs), skipped when requirements and extras are unchanged.
set -euo pipefail
MOME_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${VIRTUAL_ENV:-}${CONDA_PREFIX:-}" ]; then
    [ -x "$MOME_ROOT/.venv/bin/python" ] || python3 -m venv "$MOME_ROOT/.venv"
    # shellcheck disable=SC1091
    . "$MOME_ROOT/.venv/bin/activate"
fi
if ! python - <<'PY' >/dev/null 2>&1
import torch
major, minor = (int(part) for part in torch.__version__.split('.')[:2])
raise SystemExit((major, minor) < (2, 10))
PY
then
    echo "[install] no torch >= 2.10 here: installing torch==2.13.0"
    python -m pip install --quiet torch==2.13.0
fi
stamp="$(python -c 'import sys; print(sys.prefix)')/.mome_mmaction_installed"
MOME_EXTRAS="${MOME_EXTRAS:-tests}"
installed="$(cat "$stamp" 2>/dev/null || true)"
want="$(cat "$MOME_ROOT/setup.py" "$MOME_ROOT"/requirements/*.txt | sha256sum | cut -d' ' -f1) $MOME_ROOT"
up_to_date=1
case "$installed" in "$want ["*"]") ;; *) up_to_date=0 ;; esac
for extra in ${MOME_EXTRAS//,/ }; do
    case ",${installed##*[}" in *",$extra,"* | *",$extra]"*) ;; *) up_to_date=0 ;; esac
done
if [ "$up_to_date" -eq 0 ]; then
    echo "[install] pip install -e $MOME_ROOT[$MOME_EXTRAS]"
    python -m pip install --quiet -e "$MOME_ROOT[$MOME_EXTRAS]"
    echo "$want [$MOME_EXTRAS]" > "$stamp"
fi
