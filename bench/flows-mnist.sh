#!/usr/bin/env bash
# Trains normalizing flows (nice, realnvp, maf; also glow, realnvp with --model-config {"architecture":"conv"}) on 8-bit MNIST and reports test bits/dim. Flows take
# the [0, 1] intensities with uniform dequantization and the logit transform (the registry's choice
# for such data), so `genlab eval` scores x + u/256 minus D log 256: an upper bound on the NLL of the
# 8-bit images, in bits/dim as the later flow papers report MNIST. These MLP flows are far smaller
# than the papers' (no multi-scale convolutional RealNVP here): check figures before quoting them.
# Not run by the tests: an epoch of 60,000 images takes minutes on wasm.
# Usage: bash bench/flows-mnist.sh EPOCHS [MODEL...]    e.g. bash bench/flows-mnist.sh 20 realnvp maf
# Re-running the same command resumes each run from its last checkpoint.
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"
epochs=${1:?usage: bash bench/flows-mnist.sh EPOCHS [MODEL...]}; shift
models=("$@"); [ ${#models[@]} -gt 0 ] || models=(nice realnvp maf)
for model in "${models[@]}"; do
  out=runs/bench-flow-$model
  if [ -f "$out/config.json" ]; then
    npx genlab train "$model" --resume --out "$out" --epochs "$epochs"
  else
    # Adam 1e-4 as RealNVP and MAF; the EMA smooths the last steps of a constant step size.
    npx genlab train "$model" --data mnist --epochs "$epochs" --batch-size 100 --lr 1e-4 --ema 0.999 \
      --eval-examples 1000 --out "$out"
  fi
  start=$(date +%s)
  npx genlab eval "$out" --json | tee "$out/eval-test.json"
  echo "$model eval wall time: $(( $(date +%s) - start )) s"
done
