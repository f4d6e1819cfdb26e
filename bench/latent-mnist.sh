#!/usr/bin/env bash
# Trains a latent-variable model on dynamically binarized MNIST (the protocol of Burda et al. 2016;
# the test split is binarized once with --data-seed 0 + 1) and evaluates the IWAE estimate of
# log p(x) (evalSamples importance samples) and the ELBO on the first LIMIT test images.
# Usage: bash bench/latent-mnist.sh MODEL EPOCHS LIMIT [extra genlab train flags...]
#   e.g. bash bench/latent-mnist.sh vae 10 1000 --hidden 200,200 --model-config '{"latent":50}'
# Re-running the same command resumes the run from its last checkpoint.
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"
model=$1; epochs=$2; limit=$3; shift 3
out=runs/bench-$model
if [ -f "$out/config.json" ]; then
  npx genlab train "$model" --resume --out "$out" --epochs "$epochs"
else
  npx genlab train "$model" --data mnist --binarize dynamic --epochs "$epochs" --out "$out" --eval-examples 1000 "$@"
fi
start=$(date +%s)
npx genlab eval "$out" --limit "$limit" --json | tee "$out/eval-test.json"
echo "eval wall time: $(( $(date +%s) - start )) s"
