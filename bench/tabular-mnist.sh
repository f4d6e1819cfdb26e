#!/usr/bin/env bash
# Test NLL of the tabular baselines on stochastically binarized MNIST (60k train / 10k test,
# one Bernoulli draw per pixel with --data-seed 0), as reported in docs/RESULTS.md.
# Usage: bash bench/tabular-mnist.sh [OUTDIR]   (a few minutes on 2 cores)
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"
out=${1:-runs/bench-tabular}
rm -rf "$out"; mkdir -p "$out"
run() {
  local name=$1; shift
  local start=$(date +%s.%N)
  npx genlab train "$@" --data mnist --binarize stochastic --epochs 1 --out "$out/$name" --eval-examples 0 >/dev/null 2>"$out/$name.log"
  local mid=$(date +%s.%N)
  local json=$(npx genlab eval "$out/$name" --json 2>/dev/null)
  local end=$(date +%s.%N)
  printf '%s\t%s\ttrain %.1fs eval %.1fs\tgenlab train %s --data mnist --binarize stochastic --epochs 1\n' \
    "$name" "$(echo "$json" | tr -d '\n ')" "$(echo "$mid - $start" | bc)" "$(echo "$end - $mid" | bc)" "$*"
}
run independent independent
run markov-raster markov --ordering raster
run markov-snake markov --ordering snake
run markov-column markov --ordering column
run markov-random markov --ordering random --ordering-seed 0
for k in 2 4 8 12 16; do run "ar$k" ar --order $k; done
run ar8-alpha0.1 ar --order 8 --smoothing 0.1
run ar12-alpha0.1 ar --order 12 --smoothing 0.1
