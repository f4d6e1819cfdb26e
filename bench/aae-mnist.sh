#!/usr/bin/env bash
# An adversarial autoencoder with a 2-D mixture-of-10-Gaussians prior on binarized MNIST, beside a
# plain autoencoder with the same networks: latent maps and MMD^2 between test codes and the prior.
# Usage: bash bench/aae-mnist.sh EPOCHS
set -euo pipefail
epochs=${1:-5}
for model in aae ae; do
  out=runs/bench-$model
  rm -rf "$out"
  npx genlab train "$model" --data mnist --epochs "$epochs" --batch-size 100 --out "$out" --eval-examples 0 \
    --model-config '{"latent":2}' 2>&1 | grep -E "^epoch [0-9]+/[0-9]+:|^genlab train"
  npx genlab latent-map "$out" --limit 5000 --out "$out/latent-map.png"
  node dist/bench/aae-prior-match.js "$out" 2000 mixture
done
