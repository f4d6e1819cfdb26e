#!/usr/bin/env bash
# Checks a VAE export against PyTorch: `genlab export` writes the run's weights as safetensors,
# bench/vae-elbo-batch.ts writes N test examples and genlab's deterministic ELBO terms on them
# (log p(x | z = mu) and the analytic KL), and bench/reference/vae_safetensors_check.py rebuilds the
# network in PyTorch (Debian's python3-torch) from the file alone and compares. Exit 1 if they disagree.
# Usage: bash bench/vae-safetensors-check.sh RUN [N=100] [--no-ema]   (after npm run build)
#   e.g. npx genlab train vae --data mnist --epochs 1 --out runs/vae && bash bench/vae-safetensors-check.sh runs/vae
set -euo pipefail
# docs/RESULTS.md quotes runs trained on one thread, the default before `--workers auto`;
# GENLAB_WORKERS=auto (or a count) trains on more.
export GENLAB_WORKERS="${GENLAB_WORKERS:-1}"
run=$1; n=${2:-100}; ema=${3:-}
out=$run/safetensors-check
mkdir -p "$out"
npx genlab export "$run" --format safetensors $ema --out "$out/model.safetensors"
node dist/bench/vae-elbo-batch.js "$run" "$out" "$n" $ema
/usr/bin/python3 bench/reference/vae_safetensors_check.py "$out/model.safetensors" "$out"
