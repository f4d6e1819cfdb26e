"""Same-architecture PyTorch references for genlab's exact-likelihood models on binarized MNIST, at
equal epochs: MADE, NADE and PixelCNN as bench/reference/models_torch.py builds them (genlab's
defaults), trained on the very bits genlab trains on (bench/export-binarized-mnist.ts: the
stochastic binarization of --data-seed 0) with genlab's optimizer (Adam, betas 0.9 / 0.999) and
epoch protocol (a fresh shuffle per epoch, the last partial batch kept). Only the initial weights
and the shuffles differ from a genlab run. Not a dependency: Debian's python3-torch, when present.

Usage:
  node dist/bench/export-binarized-mnist.js .cache/genlab/binarized-mnist
  /usr/bin/python3 bench/reference/train_torch.py MODEL DATA_DIR EPOCHS [--threads T] [--batch B]
                                                  [--lr LR] [--seed S] [--test-limit N]
  MODEL: made, nade, pixelcnn (batch default 100, 100, 64: genlab's bench settings)
Prints one JSON line per epoch: epoch, train NLL (the epoch's mean minibatch loss), test NLL
with its standard error over the test images (exact: these models' log-likelihoods are exact),
bits/dim, seconds for the epoch's training and for its test pass.
"""
import argparse
import json
import math
import time

import numpy as np
import torch

from models_torch import Made, Nade, PixelCnn, Update, trainable_count

MODELS = {"made": (Made, 100), "nade": (Nade, 100), "pixelcnn": (PixelCnn, 64)}
D = 784


def load(data_dir, split, image):
    x = np.fromfile(f"{data_dir}/{split}-x.u8", dtype=np.uint8).reshape(-1, D).astype(np.float32)
    x = torch.from_numpy(x)
    return x.view(-1, 1, 28, 28) if image else x


@torch.no_grad()
def test_nll(model, x, chunk=500):
    values = torch.cat([model.nll(x[i : i + chunk]) for i in range(0, x.shape[0], chunk)])
    return values.mean().item(), values.std().item() / math.sqrt(values.shape[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("data_dir")
    parser.add_argument("epochs", type=int)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-limit", type=int, default=0, help="score the first N test images (0: all)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    build, default_batch = MODELS[args.model]
    batch = args.batch or default_batch
    image = args.model == "pixelcnn"
    train, test = load(args.data_dir, "train", image), load(args.data_dir, "test", image)
    if args.test_limit:
        test = test[: args.test_limit]
    model = build()
    update = Update(model.parameters(), lr=args.lr)  # genlab's Adam step, its gradient norm included
    print(json.dumps({"model": args.model, "params": trainable_count(model), "batch": batch, "lr": args.lr, "threads": args.threads, "torch": torch.__version__}), flush=True)

    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(train.shape[0])
        total = 0.0
        for i in range(0, train.shape[0], batch):
            x = train[order[i : i + batch]]
            loss, _ = update(model.nll(x).mean())
            total += loss * x.shape[0]
        trained = time.perf_counter() - start
        model.eval()
        nll, se = test_nll(model, test)
        print(json.dumps({
            "epoch": epoch,
            "train_nll": round(total / train.shape[0], 3),
            "test_nll": round(nll, 3),
            "test_se": round(se, 3),
            "test_examples": test.shape[0],
            "bits_per_dim": round(nll / (D * math.log(2)), 4),
            "train_s": round(trained, 1),
            "test_s": round(time.perf_counter() - start - trained, 1),
        }), flush=True)


if __name__ == "__main__":
    main()
