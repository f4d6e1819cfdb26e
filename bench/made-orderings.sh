#!/usr/bin/env bash
# Does the ordering matter for a neural autoregressive model? MADE (784-500-500, one mask) trained
# for EPOCHS epochs along each ordering on stochastically binarized MNIST (--data-seed 0), exact
# NLL on the whole test split. The tabular version of this comparison is bench/tabular-mnist.sh.
# Usage: bash bench/made-orderings.sh EPOCHS [ORDERING...]   (default: raster snake column random)
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"
epochs=$1; shift
orderings=("$@"); [ ${#orderings[@]} -gt 0 ] || orderings=(raster snake column random)
for ordering in "${orderings[@]}"; do
  out=runs/bench-made-$ordering
  rm -rf "$out"
  start=$(date +%s)
  npx genlab train made --data mnist --binarize stochastic --epochs "$epochs" --hidden 500,500 --lr 0.001 \
    --batch-size 100 --ordering "$ordering" --eval-examples 0 --out "$out" 2>&1 | grep -E "^epoch [0-9]+/[0-9]+:|^genlab train"
  echo "train wall time ($ordering): $(( $(date +%s) - start )) s"
  npx genlab eval "$out" --json | tee "$out/eval-test.json"
done
