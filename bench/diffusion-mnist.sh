#!/usr/bin/env bash
# DDPM (Ho et al. 2020) on 8-bit MNIST, class-conditional with classifier-free guidance (Ho &
# Salimans 2022), and what docs/RESULTS.md reports of it:
#  1. the variational bound in bits/dim with its prior, denoising and decoder terms (the discretized
#     decoder: a bound on -log2 P of the 8-bit images given the class, no dequantization; Ho et al.
#     report 3.70 bits/dim on CIFAR-10, Table 2);
#  2. sample quality in the reference classifier's features (Frechet distance, IS analogue,
#     precision / recall, label agreement) for DDPM ancestral sampling over all 1000 steps and DDIM
#     (Song et al. 2021, eta 0) over 50, 20 and 10 steps, each with its time per sample; the classes
#     are asked for in turn and the guidance weight is 0 (the conditional network alone);
#  3. guided samples: DDIM 50 with guidance weights 1 and 3, as figures and as one grid per weight
#     (one row per class).
# The U-Net is small (16 channels, two levels, one attention block at 14 x 14): a step of 64 costs
# ~2.5 s on one wasm thread, and a DDPM sample 1000 network passes. Ho et al.'s is ~35M parameters.
# Usage: bash bench/diffusion-mnist.sh EPOCHS [SAMPLES] [BOUND_EXAMPLES]   e.g. bash bench/diffusion-mnist.sh 3 100 200
# Re-running the same command resumes the run from its last checkpoint. OUT=DIR picks the run folder.
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"
epochs=${1:?usage: bash bench/diffusion-mnist.sh EPOCHS [SAMPLES] [BOUND_EXAMPLES]}
samples=${2:-100}
boundExamples=${3:-200}
out=${OUT:-runs/bench-ddpm-mnist}
if [ -f "$out/config.json" ]; then
  npx genlab train ddpm --resume --out "$out" --epochs "$epochs"
else
  # Ho et al.: Adam 2e-4, EMA 0.9999, batch 128, gradient clipping at 1, 800k steps. A few thousand
  # steps here: a larger learning rate with warm-up, and an EMA over ~200 steps.
  npx genlab train ddpm --data mnist --epochs "$epochs" --batch-size 64 --lr 1e-3 --warmup 200 --clip-norm 1 --ema 0.995 \
    --channels 16 --class-conditional --eval-examples 0 --sample-count 20 --checkpoint-minutes 5 --out "$out"
fi

# 1. The bound on the first BOUND_EXAMPLES test images: 1 + 50 network passes per image (50 strata of the 999 denoising terms).
npx genlab eval "$out" --limit "$boundExamples" --json | tee "$out/eval-bound.json"

# 2. Sample quality and time per sample: DDPM over all 1000 steps, DDIM (eta 0) over 50, 20, 10.
npx genlab eval "$out" --samples "$samples" --no-likelihood --json | tee "$out/eval-ddpm1000.json"
for steps in 50 20 10; do
  npx genlab eval "$out" --samples "$samples" --no-likelihood --steps "$steps" --json | tee "$out/eval-ddim$steps.json"
done

# 3. Guided: DDIM 50 with guidance weights 1 and 3; grids of 10 per class (rows: classes 0-9) at w = 0, 1, 3.
for w in 1 3; do
  npx genlab eval "$out" --samples "$samples" --no-likelihood --steps 50 --guidance "$w" --json | tee "$out/eval-ddim50-guidance$w.json"
done
for w in 0 1 3; do
  npx genlab sample "$out" -n 100 --steps 50 --guidance "$w" --out "$out/guided-w$w.png"
done
