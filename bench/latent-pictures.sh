#!/usr/bin/env bash
# The pictures of the latent-variable family on dynamically binarized MNIST, each network
# 784-200-200-Z (MLP), Adam 1e-3, batch 100, EPOCHS epochs:
#  - an autoencoder beside a VAE of the same size (Z = 50): decoding z ~ N(0, I) gives poor samples
#    from the autoencoder, whose codes were never fitted to the prior;
#  - beta-VAE (beta = 4) beside beta = 1 with Z = 10: latent traversals, one row per dimension;
#  - the conditional VAE (Z = 20): 10 samples of every class (column k is class k) and one chosen class.
# Pictures land in runs/pictures/; docs/RESULTS.md shows copies.
# Usage: bash bench/latent-pictures.sh EPOCHS
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"
epochs=${1:-10}
pics=runs/pictures
mkdir -p "$pics"
train() { # MODEL NAME CONFIG
  local out=runs/bench-pic-$2
  rm -rf "$out"
  local start=$(date +%s)
  npx genlab train "$1" --data mnist --binarize dynamic --epochs "$epochs" --hidden 200,200 --batch-size 100 --lr 0.001 \
    --eval-examples 0 --sample-count 0 --out "$out" --model-config "$3" 2>&1 | grep -E "^epoch [0-9]+/[0-9]+:|^genlab train"
  echo "train wall time ($2): $(( $(date +%s) - start )) s"
}
train ae ae '{"latent":50}'
train vae vae '{"latent":50}'
for name in ae vae; do
  npx genlab sample runs/bench-pic-$name -n 64 --out "$pics/$name-samples.png"
  npx genlab reconstruct runs/bench-pic-$name -n 16 --out "$pics/$name-reconstructions.png"
done
train betavae beta4 '{"latent":10,"beta":4}'
train betavae beta1 '{"latent":10,"beta":1}'
for name in beta4 beta1; do
  npx genlab traverse runs/bench-pic-$name --dim all --range 3 --steps 9 --at 0 --out "$pics/$name-traverse.png"
  npx genlab eval runs/bench-pic-$name --limit 500 --probe-examples 0 --json | tee "runs/bench-pic-$name/eval-500.json"
done
train cvae cvae '{"latent":20}'
npx genlab sample runs/bench-pic-cvae -n 100 --out "$pics/cvae-samples.png"
npx genlab sample runs/bench-pic-cvae -n 16 --label 7 --out "$pics/cvae-label7.png"
