#!/usr/bin/env bash
# The GPU check, in one go and in under five minutes, on a machine with a CUDA GPU and Kiosque set up
# (scripts/setup with a CUDA build of torch): the tests marked `gpu` (vectors within cosine 0.999 of the
# CPU's, an ingest and a search on the GPU, `status`), then the embedding throughput on the GPU against
# this machine's CPU (benchmarks/gpu_embed.py). Prints a table; writes its logs and JSON under $OUT when
# set, else under runs/benchmarks/. Exit code: non-zero if a test or the cosine check failed.
#
#   benchmarks/gpu_check.sh                    # PYTHON=... to use another interpreter than .venv/bin/python
set -uo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
[[ -x "$py" ]] || py=python3
out=${OUT:-runs/benchmarks}
mkdir -p "$out"
export PYTHONUNBUFFERED=1

if ! "$py" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    echo "gpu_check: torch sees no CUDA device ($("$py" -c 'import torch; print(torch.__version__)' 2>&1)); nothing to check" >&2
    exit 2
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

start=$SECONDS
timeout 180 "$py" -m pytest -m gpu -ra -q -p no:cacheprovider tests/index/test_embedders_gpu.py \
    --junitxml "$out/gpu_tests.xml" 2>&1 | tee "$out/gpu_tests.log"
tests_rc=${PIPESTATUS[0]}
echo "gpu tests: exit $tests_rc after $((SECONDS - start)) s"

timeout 100 "$py" benchmarks/gpu_embed.py --out "$out/gpu_embed.json" 2>&1 | tee "$out/gpu_embed.log"
bench_rc=${PIPESTATUS[0]}
echo "gpu_check: tests exit $tests_rc, benchmark exit $bench_rc, $((SECONDS - start)) s in all"
exit $(( tests_rc != 0 ? tests_rc : bench_rc ))
