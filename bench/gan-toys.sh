#!/usr/bin/env bash
# Mode collapse on the ring of 8 Gaussians (std 0.02, radius 2; Metz et al. 2017, "Unrolled GANs",
# Sec. 3.1): every GAN loss of the adversarial family, three seeds each, scored by mode coverage
# (Srivastava et al. 2017, VEEGAN, Sec. 5.1): of N samples, the fraction within 3 standard
# deviations of their nearest mode ("high quality"), and the modes with at least one of them.
#
# Phase "train" trains every row x seed into $OUT/ROW-SEED (skipped when the run exists); "eval"
# samples each run (N = $SAMPLES) and writes $OUT/ROW-SEED/coverage.json
# (node dist/bench/gan-toys-coverage.js); "table" prints the markdown table: modes covered (of 8)
# and high-quality fraction, mean ± sd over seeds, beside the data's own figures. "all" runs the
# three. Build first (npx tsc -p tsconfig.json): the evaluation runs from dist/.
#
# Usage: bash bench/gan-toys.sh [train|eval|table|all] [ROW...]     (default: all, every row)
# Environment: GENLAB (default "node bin/genlab.js"), SEEDS ("1 2 3"), SAMPLES (2000),
#   DATA (toy:ring; toy:grid works too), OUT (runs/gan-toys), TRAIN_FLAGS (the budget, below).
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"

# ---------------------------------------------------------------------------------------------
# CONFIG. One row per setting of the comparison: NAME|the `genlab train` words that pick the model
# and its loss. `wgan` and `wgangp` are the registry's presets: their papers' critic (clipping /
# penalty), n_critic 5 and optimizer (RMSProp 5e-5 / Adam 1e-4, betas 0 and 0.9); the others train
# with Adam 2e-4, beta1 0.5.
ROWS=$(cat <<'TABLE'
minimax|gan --loss minimax
nonsaturating|gan --loss nonsaturating
lsgan|gan --loss lsgan
wgan|wgan
wgangp|wgangp
sngan|sngan --loss hinge
unrolled|unrolled
TABLE
)
# The shared budget and players: 10,000 toy examples at batch 128, 79 batches an epoch, 50 epochs
# (a k-step critic takes k batches per generator step); G 16 -> 128 -> 128 -> 2, D 2 -> 128 -> 128 -> 1
# (Metz et al.'s toy nets are of this size); a GAN-lab frame every 500 steps.
TRAIN_FLAGS=${TRAIN_FLAGS:-"--epochs 50 --batch-size 128 --eval-examples 0 --latent 16 --generator-hidden 128,128 --discriminator-hidden 128,128 --snapshot-every 500"}
# ---------------------------------------------------------------------------------------------

GENLAB=${GENLAB:-node bin/genlab.js}
SEEDS=${SEEDS:-1 2 3}
SAMPLES=${SAMPLES:-2000}
DATA=${DATA:-toy:ring}
OUT=${OUT:-runs/gan-toys}

phase=${1:-all}
[ $# -gt 0 ] && shift
case $phase in
  train|eval|table|all) ;;
  *) echo "usage: bash bench/gan-toys.sh [train|eval|table|all] [ROW...]" >&2; exit 2 ;;
esac

selected() { [ $# -eq 0 ] && return 0; for n in "$@"; do [ "$n" = "$name" ] && return 0; done; return 1; }

if [ "$phase" = train ] || [ "$phase" = all ]; then
  while IFS='|' read -r name words; do
    selected "$@" || continue
    for seed in $SEEDS; do
      out=$OUT/$name-$seed
      [ -f "$out/config.json" ] && { echo "$out exists: skipped"; continue; }
      start=$(date +%s)
      # shellcheck disable=SC2086  # the words and flags are split on purpose
      if $GENLAB train $words --data "$DATA" $TRAIN_FLAGS --seed "$seed" --out "$out" > /dev/null; then
        echo "$name seed $seed: trained in $(( $(date +%s) - start )) s"
      else
        echo "$name seed $seed: training FAILED (exit $?); its row will show fewer seeds" >&2
      fi
    done
  done <<< "$ROWS"
fi

if [ "$phase" = eval ] || [ "$phase" = all ]; then
  while IFS='|' read -r name words; do
    selected "$@" || continue
    for seed in $SEEDS; do
      out=$OUT/$name-$seed
      [ -f "$out/config.json" ] || { echo "$out: no run, not evaluated" >&2; continue; }
      node dist/bench/gan-toys-coverage.js "$out" "$SAMPLES" > "$out/coverage.json.tmp" && mv "$out/coverage.json.tmp" "$out/coverage.json" \
        || { rm -f "$out/coverage.json.tmp"; echo "$out: evaluation FAILED" >&2; }
    done
  done <<< "$ROWS"
fi

if [ "$phase" = table ] || [ "$phase" = all ]; then
  args=()
  while IFS='|' read -r name words; do
    selected "$@" || continue
    files=()
    for seed in $SEEDS; do files+=("$OUT/$name-$seed/coverage.json"); done
    args+=("$name=$(IFS=,; echo "${files[*]}")")
  done <<< "$ROWS"
  echo "Mode coverage on $DATA: $SAMPLES samples per run, seeds $SEEDS; training: $TRAIN_FLAGS"
  echo
  node dist/bench/gan-toys-coverage.js --table "${args[@]}"
fi
