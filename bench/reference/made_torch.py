"""Reference MADE in PyTorch (Debian's python3-torch), for a same-architecture, same-epochs
comparison with genlab's `made` on the same binarized MNIST bits (bench/export-binarized-mnist.ts).
Written for this comparison from the paper (Germain et al. 2015, Eqs. 11-13); not a dependency.

Usage: /usr/bin/python3 bench/reference/made_torch.py DATA_DIR EPOCHS [HIDDEN=500,500] [LR=0.001] [BATCH=100]
Prints one line per epoch: epoch, train NLL, test NLL (nats), seconds.
"""
import sys, time
import numpy as np
import torch

torch.set_num_threads(1)
torch.manual_seed(0)
rng = np.random.default_rng(0)
data_dir, epochs = sys.argv[1], int(sys.argv[2])
hidden = [int(h) for h in (sys.argv[3] if len(sys.argv) > 3 else "500,500").split(",")]
lr = float(sys.argv[4]) if len(sys.argv) > 4 else 1e-3
batch = int(sys.argv[5]) if len(sys.argv) > 5 else 100
D = 784
load = lambda split: torch.from_numpy(np.fromfile(f"{data_dir}/{split}-x.u8", dtype=np.uint8).reshape(-1, D).astype(np.float32))
train, test = load("train"), load("test")

# Degrees: inputs 1..D in raster order; hidden ~ U{min previous, ..., D-1}.
degrees = [np.arange(1, D + 1)]
for h in hidden:
    degrees.append(rng.integers(degrees[-1].min(), D, size=h))
masks = [torch.from_numpy((degrees[l + 1][None, :] >= degrees[l][:, None]).astype(np.float32)) for l in range(len(hidden))]
masks.append(torch.from_numpy((degrees[0][None, :] > degrees[-1][:, None]).astype(np.float32)))
sizes = [D] + hidden + [D]
layers = torch.nn.ModuleList(torch.nn.Linear(sizes[l], sizes[l + 1]) for l in range(len(sizes) - 1))
for layer in layers:
    torch.nn.init.xavier_uniform_(layer.weight)
    torch.nn.init.zeros_(layer.bias)

def logits(x):
    h = x
    for l, layer in enumerate(layers):
        h = torch.nn.functional.linear(h, layer.weight * masks[l].t(), layer.bias)
        if l + 1 < len(layers):
            h = torch.relu(h)
    return h

def nll(x):
    return torch.nn.functional.binary_cross_entropy_with_logits(logits(x), x, reduction="none").sum(1)

opt = torch.optim.Adam(layers.parameters(), lr=lr)
for epoch in range(1, epochs + 1):
    start = time.time()
    perm = torch.randperm(train.shape[0])
    total = 0.0
    for i in range(0, train.shape[0], batch):
        x = train[perm[i:i + batch]]
        loss = nll(x).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * x.shape[0]
    with torch.no_grad():
        test_nll = torch.cat([nll(test[i:i + 1000]) for i in range(0, test.shape[0], 1000)]).mean().item()
    print(f"epoch {epoch} train {total / train.shape[0]:.3f} test {test_nll:.3f} nats {time.time() - start:.1f} s", flush=True)
