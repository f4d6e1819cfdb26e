#!/usr/bin/env bash
# The adversarial models on MNIST (grey levels in [0, 1]), measured in the reference classifier's
# feature space like every other sampling model (bench/quality-mnist.sh). Phase "train" trains each
# model with the budget below into $OUT/NAME (skipped when the run exists); "eval" measures each:
# `genlab eval RUN --samples 2000 --no-likelihood` (Frechet distance to the 10,000 test images,
# IS analogue, precision / recall, class histogram); "pictures" writes the sample grids of
# docs/RESULTS.md (class rows for the conditional models, code traversals for InfoGAN);
# "table" prints the comparison (genlab compare --markdown); "saturation" prints the first epoch of
# the minimax and the non-saturating run side by side, from their metrics.jsonl (every 100 steps).
# Usage: bash bench/adversarial-mnist.sh train|eval|pictures|table|saturation [NAME...]
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"
phase=$1; shift
SAMPLES=${SAMPLES:-2000}
GENLAB=${GENLAB:-npx genlab}  # e.g. GENLAB="node bin/genlab.js"
OUT=${OUT:-runs/adv}
SMALL_DCGAN="--generator-channels 64,32 --discriminator-channels 32,64"
# name | model | train flags (every run: batch 64, an EMA 0.999 of the weights kept, 100-sample grids)
RUNS=$(cat <<TABLE
dcgan|dcgan|--epochs 12 $SMALL_DCGAN
dcgan-dense|dcgan|--epochs 6 $SMALL_DCGAN --discriminator-dense 512 --feature-matching 0.05
gan|gan|--epochs 10
minimax|gan|--epochs 1 --loss minimax
cgan|cgan|--epochs 10
cgan-dcgan|cgan|--epochs 1 --architecture dcgan $SMALL_DCGAN
wgangp|wgangp|--epochs 5
sngan|sngan|--epochs 1 --architecture dcgan $SMALL_DCGAN
acgan|acgan|--epochs 1 $SMALL_DCGAN
infogan|infogan|--epochs 1 $SMALL_DCGAN
TABLE
)
selected() { [ $# -eq 0 ] && return 0; for n in "$@"; do [ "$n" = "$name" ] && return 0; done; return 1; }
runs=()
while IFS='|' read -r name model flags; do
  out=$OUT/$name
  runs+=("$out")
  selected "$@" || continue
  case $phase in
    table|saturation) ;;
    train)
      [ -f "$out/config.json" ] && { echo "$out exists: skipped"; continue; }
      start=$(date +%s)
      # shellcheck disable=SC2086  # the flags are words
      $GENLAB train "$model" --data mnist $flags --batch-size 64 --ema 0.999 --sample-count 100 --out "$out" > "$out.log" 2>&1
      echo "$name: trained in $(( $(date +%s) - start )) s"
      ;;
    eval)
      start=$(date +%s)
      # The raw weights: an EMA of decay 0.999 averages over ~1,000 steps, most of a 1-epoch run
      # (docs/RESULTS.md gives DCGAN's figures with the EMA too).
      $GENLAB eval "$out" --samples "$SAMPLES" --no-likelihood --no-ema --json > "$out/eval.json"
      echo "$name: evaluated in $(( $(date +%s) - start )) s"
      ;;
    pictures)
      mkdir -p "$OUT/pictures"
      case $model in
        infogan) $GENLAB traverse "$out" --code all --rows 10 --steps 10 --no-ema --out "$OUT/pictures/infogan.png" ;;
      esac
      # A conditional model's grid has one row per class (0 at the top).
      $GENLAB sample "$out" -n 100 --no-ema --out "$OUT/pictures/$name.png"
      ;;
  esac
done <<< "$RUNS"
if [ "$phase" = table ]; then $GENLAB compare "${runs[@]}" --only quality --markdown; fi
if [ "$phase" = saturation ]; then
  node -e '
    const fs = require("fs");
    const rows = (run) => fs.readFileSync(run + "/metrics.jsonl", "utf8").trim().split("\n").map(JSON.parse).filter((r) => r.event === "batch" && r.epoch === 1);
    const [minimax, ns] = [rows(process.argv[1]), rows(process.argv[2])];
    const f = (v) => v.toFixed(3);
    console.log("| step | minimax: D(G(z)) | minimax: G grad norm | minimax: log(1 - D(G(z))) | non-saturating: D(G(z)) | non-saturating: G grad norm | non-saturating: -log D(G(z)) |");
    console.log("|---:|---:|---:|---:|---:|---:|---:|");
    minimax.forEach((m, i) => { const n = ns[i]; if (n) console.log(`| ${m.step} | ${f(m.dFake)} | ${f(m.generatorGradNorm)} | ${f(m.generatorMinimax)} | ${f(n.dFake)} | ${f(n.generatorGradNorm)} | ${f(n.generatorNonSaturating)} |`); });
  ' "$OUT/minimax" "$OUT/gan"
fi
