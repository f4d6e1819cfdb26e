#!/usr/bin/env bash
# The anomaly table: density models as out-of-distribution detectors, MNIST against Fashion-MNIST
# both ways and a held-out digit, by raw -log p(x) and by the complexity-corrected score (Serra et
# al. 2020). The MNIST-trained runs are bench/quality-mnist.sh's (train those first); this script
# trains the Fashion-MNIST twins (same flags) and the runs without the digit 9, then scores.
# Usage: bash bench/anomaly-mnist.sh train|eval|table
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"
phase=$1
GENLAB=${GENLAB:-npx genlab}  # e.g. GENLAB="node bin/genlab.js"
# name | model | train flags (the same as the MNIST run's in bench/quality-mnist.sh)
RUNS=$(cat <<'TABLE'
ar8|ar|--binarize stochastic --epochs 1 --order 8
made|made|--binarize stochastic --epochs 5 --hidden 500,500 --batch-size 100
pixelcnn|pixelcnn|--binarize stochastic --epochs 1 --train-limit 10000 --batch-size 64
vae|vae|--binarize dynamic --epochs 10 --hidden 200,200 --batch-size 100 --model-config {"latent":50}
TABLE
)
HOLDOUT="ar8 made"
while IFS='|' read -r name model flags; do
  case $phase in
    train)
      start=$(date +%s)
      # shellcheck disable=SC2086  # the flags are words
      [ -f "runs/anomaly/fashion-$name/config.json" ] || $GENLAB train "$model" --data fashion $flags --eval-examples 500 --out "runs/anomaly/fashion-$name" > /dev/null
      if [[ " $HOLDOUT " == *" $name "* ]] && [ ! -f "runs/anomaly/$name-no9/config.json" ]; then
        $GENLAB train "$model" --data mnist --exclude-class 9 $flags --eval-examples 500 --out "runs/anomaly/$name-no9" > /dev/null
      fi
      echo "$name: trained in $(( $(date +%s) - start )) s"
      ;;
    eval)
      # Latent models: -ELBO (an upper bound on -log p(x), one pass); the others: exact -log p(x).
      bound=""; [ "$model" = vae ] && bound="--bound"
      start=$(date +%s)
      $GENLAB anomaly "runs/quality/$name" --in mnist:test --out fashion:test $bound --histogram "runs/anomaly/mnist-$name.png" --json > /dev/null
      $GENLAB anomaly "runs/anomaly/fashion-$name" --in fashion:test --out mnist:test $bound --histogram "runs/anomaly/fashion-$name.png" --json > /dev/null
      if [[ " $HOLDOUT " == *" $name "* ]]; then $GENLAB anomaly "runs/anomaly/$name-no9" --holdout-class 9 --json > /dev/null; fi
      echo "$name: scored in $(( $(date +%s) - start )) s"
      ;;
  esac
done <<< "$RUNS"
if [ "$phase" = table ]; then
  runs=()
  while IFS='|' read -r name _; do
    runs+=("runs/quality/$name" "runs/anomaly/fashion-$name")
    [[ " $HOLDOUT " == *" $name "* ]] && runs+=("runs/anomaly/$name-no9")
  done <<< "$RUNS"
  $GENLAB compare "${runs[@]}" --markdown
fi
