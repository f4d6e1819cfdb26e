#!/usr/bin/env bash
# The generative classifier on MNIST: one density p(x|y) per class and the prior p(y), classifying
# by Bayes' rule, with the reject option's threshold chosen on 5,000 held-out training images
# (--validation 5000; the 0.01 quantile of max_y log p(x|y)). Reports test accuracy, the share of
# the test split refused, and the share of Fashion-MNIST and of uniform noise refused, beside the
# discriminative reference classifier (which answers everything).
# Usage: bash bench/classcond-mnist.sh train|eval
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"
phase=$1
GENLAB=${GENLAB:-npx genlab}  # e.g. GENLAB="node bin/genlab.js"
# name | train flags
RUNS=$(cat <<'TABLE'
independent|--base independent --epochs 1
made|--base made --base-config {"hidden":[500]} --epochs 2 --batch-size 100
TABLE
)
while IFS='|' read -r name flags; do
  out=runs/classcond/$name
  start=$(date +%s)
  case $phase in
    train)
      [ -f "$out/config.json" ] && { echo "$out exists: skipped"; continue; }
      # shellcheck disable=SC2086  # the flags are words
      $GENLAB train classcond --data mnist --binarize stochastic --validation 5000 $flags --eval-examples 500 --sample-count 20 --out "$out" > /dev/null
      echo "$name: trained in $(( $(date +%s) - start )) s"
      ;;
    eval)
      $GENLAB classify "$out" --out-of fashion:test,noise --json > "$out/classify.json"
      echo "$name: classified in $(( $(date +%s) - start )) s"
      ;;
  esac
done <<< "$RUNS"
