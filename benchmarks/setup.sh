#!/usr/bin/env bash
# Make the benchmarks' own venv, benchmarks/.venv: NumPy, PyTorch 2.13.0 (the CPU build) and the kit
# (pip install -e .). PyTorch is a benchmark-only dependency: it goes here, never into the kit's .venv
# or its dependencies. Safe to run again; it installs only what is missing.
#
#     bash benchmarks/setup.sh            # PYTHON=python3.11 bash benchmarks/setup.sh for another Python
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
venv="$here/.venv"

if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root" "torch==2.13.0"
"$venv/bin/python" -c 'import numpy, torch; print(f"benchmarks/.venv ready: numpy {numpy.__version__}, torch {torch.__version__}")'
