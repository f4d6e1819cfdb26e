"""Same-architecture PyTorch references for genlab's models on binarized MNIST, at equal epochs:
MADE, NADE and PixelCNN (exact likelihoods) and the VAE / IWAE (likelihood estimates) as
bench/reference/models_torch.py builds them, trained on the very data genlab trains on
(bench/export-binarized-mnist.ts, --data-seed 0) with genlab's optimizer (Adam, betas 0.9 / 0.999)
and epoch protocol (a fresh shuffle per epoch, the last partial batch kept). Only the initial
weights, the shuffles and (VAE / IWAE) the noise differ from a genlab run. Not a dependency:
Debian's python3-torch, when present.

  - made, nade, pixelcnn: the stochastic binarization (`export-binarized-mnist.js DIR`), genlab's
    bench settings (batch 100, 100, 64); the test NLL is exact.
  - vae, iwae: the protocol of bench/latent-mnist.sh (Burda et al. 2016): dynamic binarization of
    the training set (a fresh Bernoulli draw of every batch), the test split binarized once
    (`export-binarized-mnist.js DIR dynamic`); genlab's RESULTS networks, 784-200-200-50 with ReLU,
    batch 100, the IWAE trained on L_5. The test figure is the IWAE estimate of -log p(x) with
    --eval-samples importance samples (5,000, Burda et al.'s), beside the ELBO (one z per example,
    the analytic KL): an estimate and a bound, not exact values.

Usage:
  node dist/bench/export-binarized-mnist.js .cache/genlab/binarized-mnist
  node dist/bench/export-binarized-mnist.js .cache/genlab/dynamic-mnist dynamic
  /usr/bin/python3 bench/reference/train_torch.py MODEL DATA_DIR EPOCHS [--threads T] [--batch B]
        [--lr LR] [--seed S] [--test-limit N] [--eval-at E1,E2,...] [--eval-samples K] [--checkpoint FILE]
With --checkpoint, the model, optimizer and random state are saved after every epoch and a run
that finds the file continues from it (for references longer than a session, e.g. NADE's).
Prints one JSON line per epoch: epoch, train loss (the epoch's mean minibatch loss: NLL, -ELBO
or -L_k), and at the epochs of --eval-at (default: every epoch) the test figure with its standard
error over the test images, bits/dim, seconds for the epoch's training and for its test pass.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch

from models_torch import Made, Nade, PixelCnn, Update, Vae, trainable_count, use_caching_allocator

# model -> (build, batch, training loss of a batch)
MODELS = {
    "made": (Made, 100, lambda m, x: m.nll(x).mean()),
    "nade": (Nade, 100, lambda m, x: m.nll(x).mean()),
    "pixelcnn": (PixelCnn, 64, lambda m, x: m.nll(x).mean()),
    "vae": (lambda: Vae(False, hidden=(200, 200), latent=50), 100, lambda m, x: m.loss(x)),
    "iwae": (lambda: Vae(False, hidden=(200, 200), latent=50), 100, lambda m, x: m.iwae_loss(x, 5)),
}
LATENT = ("vae", "iwae")
D = 784


def load(data_dir, split, image):
    x = np.fromfile(f"{data_dir}/{split}-x.u8", dtype=np.uint8).reshape(-1, D).astype(np.float32)
    x = torch.from_numpy(x)
    return x.view(-1, 1, 28, 28) if image else x


@torch.no_grad()
def test_nll(model, x, chunk=500):
    values = torch.cat([model.nll(x[i : i + chunk]) for i in range(0, x.shape[0], chunk)])
    return values.mean().item(), values.std().item() / math.sqrt(values.shape[0])


@torch.no_grad()
def test_latent(model, x, k, rows=20000):
    """The IWAE estimate of -log p(x) with k samples, and the ELBO, per test image; means and s.e."""
    per_pass = max(1, rows // k)
    nll = []
    for i in range(0, x.shape[0], per_pass):
        log_w = model.log_weights(x[i : i + per_pass], k)  # [k, n]
        nll.append(-(torch.logsumexp(log_w, 0) - math.log(k)))
    nll = torch.cat(nll)
    reconstruction, kl = model.elbo_terms(x)
    elbo = reconstruction - kl
    return {
        "test_nll": round(nll.mean().item(), 3),
        "test_se": round(nll.std().item() / math.sqrt(x.shape[0]), 3),
        "test_elbo": round(elbo.mean().item(), 3),
        "test_kl": round(kl.mean().item(), 3),
        "eval_samples": k,
    }


def main():
    allocator = use_caching_allocator()  # tcmalloc when installed: see models_torch.py's docstring
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("data_dir")
    parser.add_argument("epochs", type=int)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-limit", type=int, default=0, help="score the first N test images (0: all)")
    parser.add_argument("--eval-at", default="", help="epochs to score the test split after, e.g. 10,50 (default: every epoch)")
    parser.add_argument("--eval-samples", type=int, default=5000, help="vae / iwae: importance samples of the test estimate")
    parser.add_argument("--checkpoint", help="save after every epoch; continue from it when it exists")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    build, default_batch, batch_loss = MODELS[args.model]
    batch = args.batch or default_batch
    latent = args.model in LATENT
    image = args.model == "pixelcnn"
    train, test = load(args.data_dir, "train", image), load(args.data_dir, "test", image)
    if latent:
        train = train / 255  # intensities, redrawn every batch (dynamic binarization)
        assert test.max() <= 1, f"{args.data_dir}: a latent model needs the dynamic export (test bits, train intensities)"
    if args.test_limit:
        test = test[: args.test_limit]
    eval_at = {int(e) for e in args.eval_at.split(",") if e} or set(range(1, args.epochs + 1))
    model = build()
    update = Update(model.parameters(), lr=args.lr)  # genlab's Adam step, its gradient norm included
    print(json.dumps({"model": args.model, "params": trainable_count(model), "batch": batch, "lr": args.lr, "threads": args.threads, "torch": torch.__version__, "allocator": allocator}), flush=True)

    first = 1
    if args.checkpoint and os.path.exists(args.checkpoint):
        state = torch.load(args.checkpoint)
        model.load_state_dict(state["model"])
        update.optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"])
        first = state["epoch"] + 1
        print(json.dumps({"resumed_after_epoch": state["epoch"]}), flush=True)

    for epoch in range(first, args.epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(train.shape[0])
        total = 0.0
        for i in range(0, train.shape[0], batch):
            x = train[order[i : i + batch]]
            if latent:
                x = torch.bernoulli(x)
            loss, _ = update(batch_loss(model, x))
            total += loss * x.shape[0]
        trained = time.perf_counter() - start
        row = {"epoch": epoch, "train_loss": round(total / train.shape[0], 3), "train_s": round(trained, 1)}
        if epoch in eval_at:
            model.eval()
            if latent:
                row.update(test_latent(model, test, args.eval_samples))
            else:
                nll, se = test_nll(model, test)
                row.update({"test_nll": round(nll, 3), "test_se": round(se, 3)})
            row.update({
                "test_examples": test.shape[0],
                "bits_per_dim": round(row["test_nll"] / (D * math.log(2)), 4),
                "test_s": round(time.perf_counter() - start - trained, 1),
            })
        if args.checkpoint:
            state = {"model": model.state_dict(), "optimizer": update.optimizer.state_dict(), "rng": torch.get_rng_state(), "epoch": epoch}
            torch.save(state, args.checkpoint + ".tmp")
            os.replace(args.checkpoint + ".tmp", args.checkpoint)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
