#!/usr/bin/env bash
# The representation table: linear-probe and k-NN (k = 5) test accuracy on the codes of every
# model that encodes (the runs of bench/quality-mnist.sh), beside the raw pixels of binarized
# MNIST; codes of 10,000 training images, all 10,000 test images.
# Usage: bash bench/representation-mnist.sh
set -euo pipefail
GENLAB=${GENLAB:-npx genlab}  # e.g. GENLAB="node bin/genlab.js"
$GENLAB probe runs/quality/vae runs/quality/betavae runs/quality/iwae runs/quality/cvae runs/quality/aae runs/quality/ae --pixels --markdown
