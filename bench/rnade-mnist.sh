#!/usr/bin/env bash
# RNADE on 8-bit MNIST scaled to [0, 1] and dequantized (y = x + u / 256), then the test NLL as
# `genlab eval` reports it for a dequantized model: an upper bound on the NLL of the 8-bit data
# (score on one seeded draw of x + u / 256, minus 784 log 256; Theis et al. 2016), in nats and bits/dim.
# Usage: bash bench/rnade-mnist.sh EPOCHS [extra genlab train flags...]
# Re-running the same command resumes the run from its last checkpoint.
set -euo pipefail
epochs=$1; shift
out=runs/bench-rnade
if [ -f "$out/config.json" ]; then
  npx genlab train rnade --resume --out "$out" --epochs "$epochs"
else
  npx genlab train rnade --data mnist --binarize none --epochs "$epochs" --out "$out" --eval-examples 1000 "$@"
fi
start=$(date +%s)
npx genlab eval "$out" --json | tee "$out/eval-test.json"
echo "eval wall time: $(( $(date +%s) - start )) s"
