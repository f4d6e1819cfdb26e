#!/usr/bin/env bash
# The explicit-density families on a 2-D toy with a known optimum: every normalizing flow (exact
# log p(x)) and DDPM (a variational bound on log p(x)), trained with one budget, scored on the
# toy's test split (`genlab eval`: NLL in nats per example; DDPM's figure is its bound, labelled so).
# On toy:ring (8 Gaussians, std 0.02, radius 2) the data's own entropy, -2.907 nats
# (log 8 + log(2 pi e 0.02^2), the modes being ~100 sd apart), is the lowest expected NLL any model can reach.
#
# Phase "train" trains each row into $OUT/NAME (skipped when the run exists), "eval" scores each
# (writes RUN/evals/), "table" prints `genlab compare --markdown` of them.
# Usage: bash bench/density-toys.sh train|eval|table [NAME...]
# Environment: GENLAB (default "node bin/genlab.js"), DATA (toy:ring), OUT (runs/density-toys),
#   EPOCHS (30: 10,000 examples at batch 128, 79 steps an epoch).
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"
phase=$1; shift
GENLAB=${GENLAB:-node bin/genlab.js}
DATA=${DATA:-toy:ring}
OUT=${OUT:-runs/density-toys}
EPOCHS=${EPOCHS:-30}
# name | model and its flags (the registry defaults otherwise)
ROWS=$(cat <<'TABLE'
nice|nice
realnvp|realnvp
maf|maf
iaf|iaf
glow|glow
ddpm|ddpm --timesteps 200
TABLE
)
selected() { [ $# -eq 0 ] && return 0; for n in "$@"; do [ "$n" = "$name" ] && return 0; done; return 1; }
runs=()
mkdir -p "$OUT"
while IFS='|' read -r name words; do
  out=$OUT/$name
  runs+=("$out")
  selected "$@" || continue
  case $phase in
    train)
      [ -f "$out/config.json" ] && { echo "$out exists: skipped"; continue; }
      start=$(date +%s)
      # shellcheck disable=SC2086  # the flags are words
      $GENLAB train $words --data "$DATA" --epochs "$EPOCHS" --batch-size 128 --out "$out" > "$out.log" 2>&1
      echo "$name: trained in $(( $(date +%s) - start )) s"
      ;;
    eval)
      start=$(date +%s)
      $GENLAB eval "$out" > "$out/eval.txt" 2>&1
      echo "$name: evaluated in $(( $(date +%s) - start )) s"
      ;;
    table) ;;
    *) echo "usage: bash bench/density-toys.sh train|eval|table [NAME...]" >&2; exit 2 ;;
  esac
done <<< "$ROWS"
[ "$phase" = table ] && $GENLAB compare "${runs[@]}" --markdown
exit 0
