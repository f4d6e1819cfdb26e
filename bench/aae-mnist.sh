#!/usr/bin/env bash
# Adversarial autoencoders (784-500-2, discriminator 500-500) on stochastically binarized MNIST,
# one per 2-D prior, and a plain autoencoder with the same networks as the unregularised baseline:
# for each, MMD^2 between test codes and prior draws, and a picture of the codes beside the draws
# (runs/bench-aae-PRIOR/prior-match.png).
# Usage: bash bench/aae-mnist.sh EPOCHS VARIANT...
#   VARIANT: mixture | mixture-labels (the label-conditioned prior) | swissroll | gaussian | uniform | ae
set -euo pipefail
epochs=$1; shift
for variant in "$@"; do
  case $variant in
    ae) model=ae; prior=mixture; config='{"latent":2}' ;;
    mixture-labels) model=aae; prior=mixture; config='{"latent":2,"prior":"mixture","conditionalPrior":true}' ;;
    *) model=aae; prior=$variant; config="{\"latent\":2,\"prior\":\"$variant\"}" ;;
  esac
  out=runs/bench-aae-$variant
  rm -rf "$out"
  start=$(date +%s)
  npx genlab train "$model" --data mnist --epochs "$epochs" --batch-size 100 --out "$out" --eval-examples 0 \
    --model-config "$config" 2>&1 | grep -E "^epoch [0-9]+/[0-9]+:|^genlab train"
  echo "train wall time ($variant): $(( $(date +%s) - start )) s"
  node dist/bench/aae-prior-match.js "$out" 2000 "$prior" "$out/prior-match.png" | tee "$out/prior-match.json"
done
