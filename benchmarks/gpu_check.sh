#!/usr/bin/env bash
# The GPU check, prepared for a machine with CUDA (about 5 min on one H200; nothing to download):
#   benchmarks/gpu_check.sh [OUT]        # OUT: the table for the README (default reports/gpu_check.txt)
# With CUDA: both families' training steps (the cuda profile's batch sizes), the torch renderer and the
# lecture's spectrogram features on the GPU, the ONNX front-end on onnxruntime's CUDA provider when
# installed (else its CPU figure), each beside the same run on the CPU, then the tests marked `cuda`.
# Without CUDA it says so, times the CPU path on a few clips (so the script itself is tested) and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
[ -x "$py" ] || py=python3
out=${1:-reports/gpu_check.txt}
mkdir -p "$(dirname "$out")"
export PYTHONUNBUFFERED=1
if ! "$py" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())'; then
  echo "gpu_check: no CUDA device on this machine: nothing to check on a GPU; the CPU path on 4 clips instead"
  "$py" benchmarks/family_speed.py --clips 4 --device cpu | tee "$out"
  exit 0
fi
{
  echo "# gpu_check $(date -u +%FT%TZ): $("$py" -c 'import torch; print(torch.cuda.get_device_name(0), "| torch", torch.__version__)')"
  echo "## cuda, 512 clips of 10 s"
  timeout 240 "$py" benchmarks/family_speed.py --clips 512 --device cuda
  echo "## cpu baseline, 32 clips of 10 s"
  timeout 120 "$py" benchmarks/family_speed.py --clips 32 --device cpu
  echo "## tests marked cuda"
  timeout 120 "$py" -m pytest -q -m cuda tests/synth tests/models
} 2>&1 | tee "$out"
