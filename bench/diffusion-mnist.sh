#!/usr/bin/env bash
# Trains DDPM (Ho et al. 2020) on 8-bit MNIST and reports (1) the variational bound in bits/dim with
# its prior, denoising and decoder terms (the discretized decoder: a bound on -log2 P of the 8-bit
# images, no dequantization; Ho et al. report 3.70 bits/dim on CIFAR-10, Table 2), and (2) sample
# quality in the reference classifier's features (Frechet distance, IS analogue, precision / recall)
# for DDPM ancestral sampling over all 1000 steps and DDIM (Song et al. 2021) over 50, 20 and 10
# steps, each with its time per sample. The default U-Net is small (32 channels, two levels, one
# attention block at 14 x 14) so that an epoch is affordable on wasm; Ho et al.'s is ~35M parameters.
# Written, not yet run: expect tens of minutes per epoch on one wasm thread (--workers N helps), and
# 1000 network passes per DDPM sample. Check the figures before quoting them.
# Usage: bash bench/diffusion-mnist.sh EPOCHS [SAMPLES] [BOUND_EXAMPLES]   e.g. bash bench/diffusion-mnist.sh 10 1000 1000
# Re-running the same command resumes the run from its last checkpoint.
set -euo pipefail
epochs=${1:?usage: bash bench/diffusion-mnist.sh EPOCHS [SAMPLES] [BOUND_EXAMPLES]}
samples=${2:-1000}
boundExamples=${3:-1000}
out=runs/bench-ddpm-mnist
if [ -f "$out/config.json" ]; then
  npx genlab train ddpm --resume --out "$out" --epochs "$epochs"
else
  # Ho et al.: Adam 2e-4, EMA 0.9999 (0.999 here: far fewer steps), batch 128. Epoch-end grids of 16 DDPM samples.
  npx genlab train ddpm --data mnist --epochs "$epochs" --batch-size 128 --lr 2e-4 --ema 0.999 \
    --eval-examples 0 --sample-count 16 --out "$out"
fi

# 1. The bound on the first BOUND_EXAMPLES test images: 1 + 50 network passes per image (50 strata of the 999 denoising terms).
start=$(date +%s)
npx genlab eval "$out" --limit "$boundExamples" --probe-examples 0 --json | tee "$out/eval-bound.json"
echo "bound eval wall time: $(( $(date +%s) - start )) s"

# 2. Sample quality and time per sample: DDPM over all 1000 steps (the run's sampler: samplerSteps 0), DDIM (eta 0) over 50, 20, 10.
npx genlab eval "$out" --samples "$samples" --no-likelihood --json | tee "$out/eval-ddpm1000.json"
for steps in 50 20 10; do
  npx genlab eval "$out" --samples "$samples" --no-likelihood --steps "$steps" --json | tee "$out/eval-ddim$steps.json"
done
npx genlab sample "$out" -n 64 --steps 50 --out "$out/ddim50.png"
