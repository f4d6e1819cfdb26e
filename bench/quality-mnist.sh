#!/usr/bin/env bash
# Sample quality of every sampling model on MNIST, in the reference classifier's feature space.
# Phase "train" trains each model with the short budget below into runs/quality/NAME (skipped when
# the run exists); phase "eval" measures each: `genlab eval RUN --samples 2000` (Frechet distance
# to the 10,000 test images as the model sees them, Inception-Score analogue, precision / recall,
# class histogram) and the test NLL (or its estimate) on the first test images; phase "table"
# prints the comparison table (genlab compare --markdown).
# Usage: bash bench/quality-mnist.sh train|eval|table [NAME...]
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"
phase=$1; shift
SAMPLES=${SAMPLES:-2000}
GENLAB=${GENLAB:-npx genlab}  # e.g. GENLAB="node bin/genlab.js"
# name | model | eval --limit | train flags
RUNS=$(cat <<'TABLE'
independent|independent|1000|--binarize stochastic --epochs 1
markov|markov|1000|--binarize stochastic --epochs 1
ar8|ar|1000|--binarize stochastic --epochs 1 --order 8
fvsbn|fvsbn|1000|--binarize stochastic --epochs 5 --lr 0.01 --batch-size 100
made|made|1000|--binarize stochastic --epochs 5 --hidden 500,500 --batch-size 100
eonade|eonade|1000|--binarize stochastic --epochs 5 --batch-size 100
nade|nade|1000|--binarize stochastic --epochs 1 --train-limit 10000 --batch-size 100
pixelcnn|pixelcnn|1000|--binarize stochastic --epochs 1 --train-limit 10000 --batch-size 64
rowlstm|rowlstm|1000|--binarize stochastic --epochs 1 --train-limit 10000
diagbilstm|diagbilstm|1000|--binarize stochastic --epochs 1 --train-limit 10000
rnade|rnade|1000|--binarize none --epochs 1 --train-limit 10000 --batch-size 100
vae|vae|500|--binarize dynamic --epochs 10 --hidden 200,200 --batch-size 100 --model-config {"latent":50}
betavae|betavae|500|--binarize dynamic --epochs 5 --batch-size 100
cvae|cvae|500|--binarize dynamic --epochs 5 --batch-size 100
iwae|iwae|500|--binarize dynamic --epochs 10 --hidden 200,200 --batch-size 100 --model-config {"latent":50,"trainSamples":5}
aae|aae|0|--binarize dynamic --epochs 5 --batch-size 100
ae|ae|0|--binarize dynamic --epochs 5 --batch-size 100
TABLE
)
selected() { [ $# -eq 0 ] && return 0; for n in "$@"; do [ "$n" = "$name" ] && return 0; done; return 1; }
runs=()
while IFS='|' read -r name model limit flags; do
  out=runs/quality/$name
  runs+=("$out")
  selected "$@" || continue
  case $phase in
    train)
      [ -f "$out/config.json" ] && { echo "$out exists: skipped"; continue; }
      start=$(date +%s)
      # shellcheck disable=SC2086  # the flags are words
      $GENLAB train "$model" --data mnist $flags --eval-examples 500 --out "$out" > /dev/null
      echo "$name: trained in $(( $(date +%s) - start )) s"
      ;;
    eval)
      [ "$model" = ae ] && continue  # no sampling, no likelihood: the representation table measures it
      start=$(date +%s)
      if [ "$limit" = 0 ]; then $GENLAB eval "$out" --samples "$SAMPLES" --no-likelihood --json > "$out/eval.json"
      else $GENLAB eval "$out" --samples "$SAMPLES" --limit "$limit" --json > "$out/eval.json"; fi
      echo "$name: evaluated in $(( $(date +%s) - start )) s"
      ;;
  esac
done <<< "$RUNS"
if [ "$phase" = table ]; then $GENLAB compare "${runs[@]}" --markdown; fi
