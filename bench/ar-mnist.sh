#!/usr/bin/env bash
# Trains one neural autoregressive model on stochastically binarized MNIST (--data-seed 0) and
# evaluates its exact test NLL; docs/RESULTS.md quotes these runs.
# Usage: [BINARIZE=MODE] bash bench/ar-mnist.sh MODEL EPOCHS [extra genlab train flags...]
#   e.g. bash bench/ar-mnist.sh fvsbn 40 --lr 0.01 --batch-size 100
#   BINARIZE=none for a continuous model on the 8-bit intensities (rnade, dequantized; its eval is
#   then the dequantized bound on the 8-bit NLL).
# Re-running the same command resumes the run from its last checkpoint.
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"
model=$1; epochs=$2; shift 2
out=runs/bench-$model
if [ -f "$out/config.json" ]; then
  npx genlab train "$model" --resume --out "$out" --epochs "$epochs"
else
  npx genlab train "$model" --data mnist --binarize "${BINARIZE:-stochastic}" --epochs "$epochs" --out "$out" --eval-examples 1000 "$@"
fi
start=$(date +%s)
npx genlab eval "$out" --json | tee "$out/eval-test.json"
echo "eval wall time: $(( $(date +%s) - start )) s"
