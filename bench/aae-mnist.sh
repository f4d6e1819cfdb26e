#!/usr/bin/env bash
# Adversarial autoencoders (784-500-2, discriminator 500-500) on stochastically binarized MNIST,
# one per 2-D prior, and a plain autoencoder with the same networks as the unregularised baseline:
# for each, MMD^2 between test codes and prior draws, and a picture of the codes beside the draws
# (runs/bench-aae-PRIOR/prior-match.png).
# Usage: bash bench/aae-mnist.sh EPOCHS VARIANT...
#   VARIANT: mixture | mixture-labels (the label-conditioned prior) | swissroll | gaussian | uniform | ae
# Training flags: $TRAIN_FLAGS, default a cosine decay from 5e-4 (a constant 1e-3 keeps the game
# circling); AAE options beside the prior: $AAE_CONFIG, default three discriminator updates per step
# and a generator rate 3x the reconstruction's (see the schedule study in docs/RESULTS.md). SEED picks
# the run's seed (default 1); SEED and TAG, when given, join the folder name.
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"
epochs=$1; shift
aae=${AAE_CONFIG:-'"discriminatorSteps":3,"generatorLearningRate":3'}
for variant in "$@"; do
  case $variant in
    ae) model=ae; prior=mixture; config='{"latent":2}' ;;
    mixture-labels) model=aae; prior=mixture; config="{\"latent\":2,\"prior\":\"mixture\",\"conditionalPrior\":true,$aae}" ;;
    *) model=aae; prior=$variant; config="{\"latent\":2,\"prior\":\"$variant\",$aae}" ;;
  esac
  out=runs/bench-aae-$variant${TAG:+-$TAG}${SEED:+-seed$SEED}
  rm -rf "$out"
  start=$(date +%s)
  npx genlab train "$model" --data mnist --epochs "$epochs" --batch-size 100 --out "$out" --eval-examples 0 \
    ${TRAIN_FLAGS:---lr 0.0005 --lr-decay cosine} --seed "${SEED:-1}" --model-config "$config" 2>&1 | grep -E "^epoch [0-9]+/[0-9]+:|^genlab train"
  echo "train wall time ($variant): $(( $(date +%s) - start )) s"
  node dist/bench/aae-prior-match.js "$out" 2000 "$prior" "$out/prior-match.png" | tee "$out/prior-match.json"
done
