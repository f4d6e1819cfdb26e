"""The PyTorch side of `npm run bench` (bench/models.ts): genlab's benchmarked architectures
rebuilt in PyTorch (Debian's python3-torch), so that genlab's training step and sampler can be
timed against the same work in a mature framework, at a chosen thread count.

Written for this comparison from the papers (Kingma & Welling 2014; Germain et al. 2015;
Larochelle & Murray 2011; van den Oord et al. 2016; Radford et al. 2016; Gulrajani et al. 2017)
and from reading genlab's source (src/models, src/nn, src/train/trainer.ts); no code was copied.
Each model mirrors genlab's default configuration for the bench's data: the same layers, sizes,
activations, masks, losses, and the same number of network passes per training step and per
sample, with the optimizer genlab's registry gives the model. Only the initial weights differ.
Every difference in how the work is done, as opposed to what is computed, is noted where it occurs.

Protocol: random inputs of the data's kind (binary: Bernoulli(0.3) bits; continuous: uniform
[0, 1]), a fresh batch per step drawn outside the timer (as bench/models.ts does for genlab),
two warm-up steps, then STEPS timed steps. With --sample N: one warm-up draw of min(2, N)
examples (as genlab's side), then one timed draw of N.

Usage:
  /usr/bin/python3 bench/reference/models_torch.py MODEL [--threads T] [--batch B] [--steps S]
                                                   [--sample N] [--seed 0]
  MODEL: vae-mlp, conv-vae, made, nade, pixelcnn, rowlstm, dcgan, wgangp, glow, ddpm
Prints one JSON line: model, threads, batch, steps, step_ms (median), step_ms_min,
[sample_n, sample_ms], params (trainable), torch (version), allocator.

The allocator: with glibc's malloc, every tensor over 32 MB is a fresh mmap whose pages fault in
one by one and go back to the kernel when it is freed. On our VMs a fault is slow enough that
NADE's [100, 500, 784] intermediates cost ~500 ms each instead of ~8 (measured: 38,000 page
faults per op; NADE's step 10 s instead of 0.3). PyTorch's performance guides recommend a caching
allocator; when Debian's libtcmalloc-minimal4 is installed, the scripts here re-run themselves
with it preloaded (`use_caching_allocator`), so the reference is PyTorch at its best.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

H_IMG, W_IMG = 28, 28
D_IMG = H_IMG * W_IMG


# ---------------------------------------------------------------------------------------------
# What the models share


def bernoulli_log_prob(x, logits):
    """sum_i x_i l_i - softplus(l_i) per example, [B, D] -> [B] (genlab's bernoulliLogProb)."""
    return (x * logits - F.softplus(logits)).sum(1)


class Update:
    """One parameter group's Adam and genlab's Trainer.update: gradients, their global norm
    (genlab measures it on every update even without clipping), the step, the loss read back."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999)):
        self.params = [p for p in params if p.requires_grad]
        self.optimizer = torch.optim.Adam(self.params, lr=lr, betas=betas, eps=1e-8)

    def __call__(self, loss):
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.sqrt(sum((p.grad * p.grad).sum() for p in self.params if p.grad is not None))
        self.optimizer.step()
        return loss.item(), grad_norm.item()


def trainable_count(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def binary_bits(shape):
    return (torch.rand(shape) < 0.3).float()


def channel_group(i, n, groups):
    return (i * groups) // n


def conv_mask(kernel, in_channels, out_channels, mask_type, groups=1):
    """PixelCNN's mask (src/nn/maskedConv2d.ts) in PyTorch's [out, in, k, k] layout: taps above the
    centre row and left of the centre are open; the centre tap connects output group g to input
    groups g' < g (mask 'A') or g' <= g (mask 'B')."""
    m = (kernel - 1) // 2
    mask = torch.zeros(out_channels, in_channels, kernel, kernel)
    for r in range(kernel):
        for c in range(kernel):
            before = r < m or (r == m and c < m)
            if before:
                mask[:, :, r, c] = 1
            elif r == m and c == m:
                for o in range(out_channels):
                    go = channel_group(o, out_channels, groups)
                    for i in range(in_channels):
                        gi = channel_group(i, in_channels, groups)
                        mask[o, i, r, c] = float(gi < go if mask_type == "A" else gi <= go)
    return mask


class MaskedConv2d(nn.Module):
    """conv2d(x, W * mask) + b, stride 1, 'same' padding; the mask is applied on every pass, as genlab does."""

    def __init__(self, kernel, in_channels, out_channels, mask_type, groups=1):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        nn.init.xavier_uniform_(self.weight)
        self.register_buffer("mask", conv_mask(kernel, in_channels, out_channels, mask_type, groups))
        self.padding = kernel // 2

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


# ---------------------------------------------------------------------------------------------
# vae-mlp, conv-vae: src/models/latent/vae.ts with src/nn/encoderDecoder.ts, Bernoulli decoder


class Vae(nn.Module):
    """Kingma & Welling 2014 as genlab's `vae` builds it for binary data: hidden [500], latent 20
    (not the 784-400-20 of the issue text: genlab's default is one hidden layer of 500), ReLU,
    one z per example, the analytic KL; sampling returns the decoder's mean (sampleMode 'mean').

    genlab's parameters (encoder, decoder, no decoder/logStd for a Bernoulli decoder):
      mlp:  784*500+500 + 2*(500*20+20) + 20*500+500 + 500*784+784 = 815,824
      conv: conv0 4*4*1*32+32 = 544, conv1 4*4*32*64+64 = 32,832, dense 3136*500+500 = 1,568,500,
            heads 20,040, decoder dense 10,500, project 500*3136+3136 = 1,571,136,
            deconv1 4*4*64*32+32 = 32,800, deconv0 4*4*32*1+1 = 513: 3,236,865
    """

    def __init__(self, conv, hidden=(500,), latent=20, channels=(32, 64)):
        super().__init__()
        self.conv, self.latent = conv, latent
        width = D_IMG
        if conv:
            # Stride-2 4x4 'same' convolutions: TF pads 28 -> 14 -> 7 with one pixel each side.
            layers, cin = [], 1
            for cout in channels:
                layers += [nn.Conv2d(cin, cout, 4, stride=2, padding=1), nn.ReLU()]
                cin = cout
            self.enc_convs = nn.Sequential(*layers, nn.Flatten())
            self.map_shape = (channels[-1], H_IMG // 2 ** len(channels), W_IMG // 2 ** len(channels))
            width = self.map_shape[0] * self.map_shape[1] * self.map_shape[2]
        sizes = [width, *hidden]
        self.enc_body = nn.Sequential(*[m for l in range(len(hidden)) for m in (nn.Linear(sizes[l], sizes[l + 1]), nn.ReLU())])
        self.mu = nn.Linear(sizes[-1], latent)
        self.log_var = nn.Linear(sizes[-1], latent)
        dec_sizes = [latent, *reversed(hidden)]
        body = [m for l in range(len(hidden)) for m in (nn.Linear(dec_sizes[l], dec_sizes[l + 1]), nn.ReLU())]
        if conv:
            # A ReLU dense projection to the last feature map, then stride-2 4x4 transposed
            # convolutions ('same': k 4, s 2, padding 1 doubles the size), the last one linear.
            body += [nn.Linear(dec_sizes[-1], width), nn.ReLU()]
            deconvs = []
            for i in range(len(channels) - 1, -1, -1):
                cout = channels[i - 1] if i > 0 else 1
                deconvs.append(nn.ConvTranspose2d(channels[i], cout, 4, stride=2, padding=1))
                if i > 0:
                    deconvs.append(nn.ReLU())
            self.dec_deconvs = nn.Sequential(*deconvs)
        else:
            body.append(nn.Linear(dec_sizes[-1], D_IMG))
        self.dec_body = nn.Sequential(*body)
        # genlab's initialisation: Glorot-uniform weights (fans k*k*c for the convolutions, as
        # PyTorch's xavier_uniform_ computes them for both kinds of conv), zero biases.
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def decode(self, z):
        h = self.dec_body(z)
        if not self.conv:
            return h
        return self.dec_deconvs(h.view(-1, *self.map_shape)).flatten(1)  # [N, 784] logits

    def make_batch(self, batch):
        return binary_bits((batch, 1, H_IMG, W_IMG) if self.conv else (batch, D_IMG))

    def encode(self, x):
        """q(z|x): mu and log sigma^2, [B, L] each."""
        h = self.enc_body(self.enc_convs(x) if self.conv else x)
        return self.mu(h), self.log_var(h)

    def log_weights(self, x, k):
        """log w_j = log p(x|z_j) + log p(z_j) - log q(z_j|x), z_j ~ q(z|x): [k, B] (Burda et al. 2016,
        Eq. 8; the IWAE bound L_k is the batch mean of log mean_j w_j, and k = 5000 is its estimate of log p(x))."""
        B = x.shape[0]
        mu, log_var = self.encode(x)
        eps = torch.randn(k, B, self.latent)
        z = mu + torch.exp(0.5 * log_var) * eps
        logits = self.decode(z.view(k * B, self.latent)).view(k, B, -1)
        log_px_z = (x.reshape(1, B, -1) * logits - F.softplus(logits)).sum(2)
        # log N(z; 0, I) - log N(z; mu, sigma^2): the 2 pi terms cancel, (z - mu) / sigma = eps.
        log_prior_ratio = -0.5 * (z.square() - eps.square() - log_var).sum(2)
        return log_px_z + log_prior_ratio

    def iwae_loss(self, x, k):
        """-L_k, the batch mean (IWAE training)."""
        return -(torch.logsumexp(self.log_weights(x, k), 0) - np.log(k)).mean()

    def elbo_terms(self, x):
        """log p(x|z) for one z per example and the analytic KL (Eq. 10), [B] each: ELBO = rec - kl."""
        B = x.shape[0]
        mu, log_var = self.encode(x)
        z = mu + torch.exp(0.5 * log_var) * torch.randn(B, self.latent)  # the reparameterisation (Eq. 10)
        reconstruction = bernoulli_log_prob(x.view(B, -1), self.decode(z))
        kl = 0.5 * (mu.square() + log_var.exp() - (log_var + 1)).sum(1)
        return reconstruction, kl

    def loss(self, x):
        reconstruction, kl = self.elbo_terms(x)
        return -(reconstruction - kl).mean()

    def setup(self):
        self.update = Update(self.parameters())

    def train_step(self, x):
        self.update(self.loss(x))

    @torch.no_grad()
    def sample(self, n):
        return torch.sigmoid(self.decode(torch.randn(n, self.latent)))


# ---------------------------------------------------------------------------------------------
# made: src/models/autoregressive/made.ts


class Made(nn.Module):
    """Germain et al. 2015 with genlab's defaults: hidden [500, 500], one mask set, raster
    ordering, no direct input-output connections (genlab has none). The masks multiply the
    weights on every pass. Sampling: 784 full network passes, one per variable (fillSequentially).

    genlab's parameters: 784*500+500 + 500*500+500 + 500*784+784 = 1,035,784
    """

    def __init__(self, hidden=(500, 500), seed=0):
        super().__init__()
        D = D_IMG
        sizes = [D, *hidden, D]
        self.W = nn.ParameterList()
        self.b = nn.ParameterList()
        for l in range(len(sizes) - 1):
            w = torch.empty(sizes[l], sizes[l + 1])  # genlab's [fanIn, fanOut] layout: h @ (W * M) + b
            nn.init.xavier_uniform_(w)
            self.W.append(nn.Parameter(w))
            self.b.append(nn.Parameter(torch.zeros(sizes[l + 1])))
        # Degrees (Eqs. 11-13): inputs 1..D in raster order, hidden ~ U{min previous, ..., D - 1}.
        rng = np.random.default_rng(seed)
        inputs = np.arange(1, D + 1)
        previous, masks = inputs, []
        for units in hidden:
            degrees = rng.integers(previous.min(), D, size=units)
            masks.append(degrees[None, :] >= previous[:, None])
            previous = degrees
        masks.append(inputs[None, :] > previous[:, None])
        self.masks = [torch.from_numpy(m.astype(np.float32)) for m in masks]

    def logits(self, x):
        h = x
        for l, (W, b, M) in enumerate(zip(self.W, self.b, self.masks)):
            h = torch.addmm(b, h, W * M)
            if l + 1 < len(self.W):
                h = torch.relu(h)
        return h

    def make_batch(self, batch):
        return binary_bits((batch, D_IMG))

    def setup(self):
        self.update = Update(self.parameters())

    def nll(self, x):
        """-log p(x) per example, [B, D] -> [B] nats."""
        return -bernoulli_log_prob(x, self.logits(x))

    def train_step(self, x):
        self.update(self.nll(x).mean())

    @torch.no_grad()
    def sample(self, n):
        x = torch.zeros(n, D_IMG)
        for i in range(D_IMG):  # raster order; each draw runs the whole network, as genlab does
            p = torch.sigmoid(self.logits(x)[:, i])
            x[:, i] = torch.bernoulli(p)
        return x


# ---------------------------------------------------------------------------------------------
# nade: src/models/autoregressive/nade.ts


class Nade(nn.Module):
    """Larochelle & Murray 2011 with genlab's defaults (H = 500, raster ordering). Training mirrors
    genlab's batched form of Eq. 4: the [B, H, D] contributions x_{o(t)} W_t, their exclusive
    cumulative sum along t plus c, a sigmoid, and the sum over H against V, all in one pass.
    Sampling: the running pre-activation (Eq. 4), one step per variable; genlab runs it in plain
    JavaScript example by example, here it is one small batched tensor step per variable.

    genlab's parameters: W 500*784 + c 500 + V 500*784 + b 784 = 785,284
    """

    def __init__(self, hidden=500):
        super().__init__()
        D = D_IMG
        self.W = nn.Parameter(torch.empty(hidden, D))  # column t: input weights of variable o(t)
        self.c = nn.Parameter(torch.zeros(hidden, 1))
        self.V = nn.Parameter(torch.empty(hidden, D))  # column t: output weights of step t
        self.b = nn.Parameter(torch.zeros(D))
        nn.init.xavier_uniform_(self.W)
        nn.init.xavier_uniform_(self.V)
        self.register_buffer("order", torch.arange(D))

    def make_batch(self, batch):
        return binary_bits((batch, D_IMG))

    def nll(self, x):
        """-log p(x) per example, [B, D] -> [B] nats."""
        xo = x.index_select(1, self.order)  # into ordering order (genlab gathers too, even for raster)
        contributions = xo.unsqueeze(1) * self.W  # [B, H, D]
        a = F.pad(torch.cumsum(contributions[:, :, :-1], 2), (1, 0)) + self.c  # exclusive: a_t = c + sum_{s<t}
        logits = (torch.sigmoid(a) * self.V).sum(1) + self.b  # [B, D]
        return -bernoulli_log_prob(xo, logits)

    def setup(self):
        self.update = Update(self.parameters())

    def train_step(self, x):
        self.update(self.nll(x).mean())

    @torch.no_grad()
    def sample(self, n):
        x = torch.zeros(n, D_IMG)
        a = self.c.t().expand(n, -1).clone()  # [n, H]
        for t in range(D_IMG):
            i = int(self.order[t])
            logit = torch.sigmoid(a) @ self.V[:, t] + self.b[t]  # [n]
            x[:, i] = torch.bernoulli(torch.sigmoid(logit))
            a += x[:, i : i + 1] * self.W[:, t]
        return x


# ---------------------------------------------------------------------------------------------
# pixelcnn: src/models/autoregressive/pixelcnn.ts and images.ts


class PixelCnn(nn.Module):
    """van den Oord et al. 2016 (PixelCNN) with genlab's defaults for binary 28x28x1: h = 32,
    a 7x7 mask-A convolution 1 -> 32, 5 residual blocks h + [ReLU, 1x1 32 -> 16, ReLU, 3x3 16 -> 16,
    ReLU, 1x1 16 -> 32] (all mask B), then ReLU, 1x1 32 -> 32, ReLU, 1x1 32 -> 1 (mask B), a
    Bernoulli per pixel. Sampling mirrors genlab's window crop: one pass per pixel on rows r - R .. r,
    columns c - R .. c + R (R = 3 + 5 = 8), the only inputs the pixel's logit depends on.

    genlab's parameters (masked-out weights counted): input 7*7*1*32+32 = 1,600; per block
    528 + 2,320 + 544 = 3,392, x5 = 16,960; head 1,056 + 33: 19,649
    """

    def __init__(self, channels=32, layers=5, first_kernel=7, kernel=3):
        super().__init__()
        h = channels
        self.first = MaskedConv2d(first_kernel, 1, h, "A")
        self.blocks = nn.ModuleList(
            nn.ModuleList([MaskedConv2d(1, h, h // 2, "B"), MaskedConv2d(kernel, h // 2, h // 2, "B"), MaskedConv2d(1, h // 2, h, "B")])
            for _ in range(layers)
        )
        self.head = nn.ModuleList([MaskedConv2d(1, h, h, "B"), MaskedConv2d(1, h, 1, "B")])
        self.reach = (first_kernel - 1) // 2 + layers * (kernel - 1) // 2

    def logits(self, x):  # [B, 1, h, w] -> [B, 1, h, w]
        s = self.first(x)
        for reduce, conv, expand in self.blocks:
            s = s + expand(torch.relu(conv(torch.relu(reduce(torch.relu(s))))))
        return self.head[1](torch.relu(self.head[0](torch.relu(s))))

    def make_batch(self, batch):
        return binary_bits((batch, 1, H_IMG, W_IMG))

    def setup(self):
        self.update = Update(self.parameters())

    def nll(self, x):
        """-log p(x) per example, [B, 1, H, W] -> [B] nats."""
        B = x.shape[0]
        return -bernoulli_log_prob(x.view(B, -1), self.logits(x).view(B, -1))

    def train_step(self, x):
        self.update(self.nll(x).mean())

    @torch.no_grad()
    def sample(self, n):
        x = torch.zeros(n, 1, H_IMG, W_IMG)
        R = self.reach
        for r in range(H_IMG):
            for c in range(W_IMG):
                r0, c0, c1 = max(0, r - R), max(0, c - R), min(W_IMG - 1, c + R)
                window = x[:, :, r0 : r + 1, c0 : c1 + 1]
                logit = self.logits(window)[:, 0, r - r0, c - c0]  # [n]
                x[:, 0, r, c] = torch.bernoulli(torch.sigmoid(logit))
        return x


# ---------------------------------------------------------------------------------------------
# rowlstm: src/models/autoregressive/rowlstm.ts, pixelrnn.ts, src/nn/lstm.ts


class RowLstmLayer(nn.Module):
    """One Row LSTM layer (Sec. 3.1, Eq. 3): K^is a 1x3 convolution along the row with the middle
    row of a 3x3 mask B (left and centre taps open), 2h -> 4h gates [o | f | i | g] with a bias
    (forget gates start at 1); K^ss an unmasked 1x3 convolution of the previous row's states,
    h -> 4h, no bias; the residual output a 1x1 mask-B convolution h -> 2h."""

    def __init__(self, h, groups=1):
        super().__init__()
        self.h = h
        self.input_weight = nn.Parameter(torch.empty(4 * h, 2 * h, 1, 3))
        nn.init.xavier_uniform_(self.input_weight)
        self.input_bias = nn.Parameter(torch.cat([torch.zeros(h), torch.ones(h), torch.zeros(2 * h)]))
        middle_row = conv_mask(3, 2 * h, h, "B", groups)[:, :, 1:2, :]  # [h, 2h, 1, 3]
        self.register_buffer("input_mask", middle_row.repeat(4, 1, 1, 1))  # gate b of unit j: unit j's mask
        self.state_weight = nn.Parameter(torch.empty(4 * h, h, 1, 3))
        nn.init.xavier_uniform_(self.state_weight)
        self.output = MaskedConv2d(1, h, 2 * h, "B", groups)

    def input_to_state(self, s):  # [B, 2h, rows, W] -> [B, 4h, rows, W]
        return F.conv2d(s, self.input_weight * self.input_mask, self.input_bias, padding=(0, 1))

    def row_step(self, pre_input, above):
        """Eq. 3 for one row from its K^is pre-activations [B, 4h, 1, W] and the row above's (h, c)."""
        if above is not None:
            pre_input = pre_input + F.conv2d(above[0], self.state_weight, padding=(0, 1))
        u = self.h
        o, f, i = torch.sigmoid(pre_input[:, : 3 * u]).chunk(3, 1)
        ig = i * torch.tanh(pre_input[:, 3 * u :])
        c = ig if above is None else f * above[1] + ig
        return o * torch.tanh(c), c

    def forward(self, s):  # the residual stream [B, 2h, H, W] -> the LSTM's states [B, h, H, W]
        inputs = self.input_to_state(s)
        state, rows = None, []
        for r in range(s.shape[2]):
            state = self.row_step(inputs[:, :, r : r + 1], state)
            rows.append(state[0])
        return torch.cat(rows, 2)


class RowLstm(nn.Module):
    """PixelRNN with Row LSTM layers (van den Oord et al. 2016) with genlab's defaults for binary
    28x28x1: hiddenChannels h = 16, 2 layers, a 7x7 mask-A convolution 1 -> 2h, each layer
    s + output(RowLSTM(s)), the head ReLU, 1x1 2h -> 2h, ReLU, 1x1 2h -> 1 (mask B).
    Sampling mirrors genlab's sampler: every pixel's logits come from a pass over its whole row
    (the first convolution on rows r - 3 .. r, one LSTM step per layer from the kept states of row
    r - 1, the head), and when a row is done the same row pass runs once more to keep its states:
    784 + 28 row passes for a 28x28 image.

    genlab's parameters (masked-out weights counted): input 7*7*1*32+32 = 1,600; per layer
    K^is 1*3*32*64+64 = 6,208, K^ss 1*3*16*64 = 3,072, output 16*32+32 = 544, x2 = 19,648;
    head 1,056 + 33: 22,337
    """

    def __init__(self, hidden=16, layers=2, first_kernel=7):
        super().__init__()
        self.first = MaskedConv2d(first_kernel, 1, 2 * hidden, "A")
        self.lstms = nn.ModuleList(RowLstmLayer(hidden) for _ in range(layers))
        self.head = nn.ModuleList([MaskedConv2d(1, 2 * hidden, 2 * hidden, "B"), MaskedConv2d(1, 2 * hidden, 1, "B")])
        self.first_reach = (first_kernel - 1) // 2

    def head_logits(self, s):
        return self.head[1](torch.relu(self.head[0](torch.relu(s))))

    def logits(self, x):
        s = self.first(x)
        for layer in self.lstms:
            s = s + layer.output(layer(s))
        return self.head_logits(s)

    def make_batch(self, batch):
        return binary_bits((batch, 1, H_IMG, W_IMG))

    def setup(self):
        self.update = Update(self.parameters())

    def nll(self, x):
        """-log p(x) per example, [B, 1, H, W] -> [B] nats."""
        B = x.shape[0]
        return -bernoulli_log_prob(x.view(B, -1), self.logits(x).view(B, -1))

    def train_step(self, x):
        self.update(self.nll(x).mean())

    def row_pass(self, x, r, above):
        """Row r's logits [n, W] and each layer's states of row r, from the states of row r - 1."""
        r0 = max(0, r - self.first_reach)
        s = self.first(x[:, :, r0 : r + 1])[:, :, r - r0 : r - r0 + 1]  # [n, 2h, 1, W]
        states = []
        for l, layer in enumerate(self.lstms):
            state = layer.row_step(layer.input_to_state(s), None if above is None else above[l])
            s = s + layer.output(state[0])
            states.append(state)
        return self.head_logits(s)[:, 0, 0], states

    @torch.no_grad()
    def sample(self, n):
        x = torch.zeros(n, 1, H_IMG, W_IMG)
        above = None
        for r in range(H_IMG):
            for c in range(W_IMG):
                logits, _ = self.row_pass(x, r, above)  # genlab recomputes the row for every pixel
                x[:, 0, r, c] = torch.bernoulli(torch.sigmoid(logits[:, c]))
            _, above = self.row_pass(x, r, above)  # rowDone: the final row's states
        return x


# ---------------------------------------------------------------------------------------------
# dcgan, wgangp: src/models/adversarial/gan.ts, dcgan.ts, networks.ts, losses.ts


class Gan(nn.Module):
    """genlab's Gan.trainStep (Goodfellow et al. 2014, Algorithm 1) for the non-saturating and
    WGAN-GP losses on [0, 1] data: G ends in a sigmoid and D reads 2x - 1.

    1. k discriminator updates, each on a fresh real minibatch (the first: the step's batch) and
       new noise: G(z) in training mode (its batch norm moves its running statistics; G's forward
       is recorded but not differentiated, as genlab's tape prunes it), then D on the real and on
       the generated batch in two separate passes (separate batch-norm statistics), and for
       WGAN-GP the penalty on interpolates, differentiated through D's backward pass.
    2. one generator update on new noise: D(G(z)) with D in training mode; only G's weights get
       gradients (genlab's tape computes no gradient for D's weights here, so neither does this).
    The logged terms genlab computes (D's mean outputs, both generator losses, the Wasserstein
    estimate) are computed too: they are a few reductions.
    """

    def __init__(self, generator, discriminator, latent, k, loss, lr, betas, make_batch):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator
        self.latent, self.k, self.loss_kind = latent, k, loss
        self.make_batch = make_batch
        self.lr, self.betas = lr, betas

    def setup(self):
        self.d_update = Update(self.discriminator.parameters(), self.lr, self.betas)
        self.g_update = Update(self.generator.parameters(), self.lr, self.betas)

    def generate(self, n):
        return torch.sigmoid(self.generator(torch.randn(n, self.latent)))

    def score(self, x):
        return self.discriminator(x).view(-1)  # [B]

    def discriminator_loss(self, real):
        x_real = 2 * real - 1
        x_fake = 2 * self.generate(real.shape[0]).detach() - 1
        out_real, out_fake = self.score(x_real), self.score(x_fake)
        if self.loss_kind == "nonsaturating":
            _ = (torch.sigmoid(out_real).mean(), torch.sigmoid(out_fake).mean())  # dReal, dFake
            return F.softplus(-out_real).mean() + F.softplus(out_fake).mean()
        # wgangp (Gulrajani et al. 2017, Eq. 3): E f(G(z)) - E f(x) + lambda E (|grad f(x_hat)| - 1)^2
        d_real, d_fake = out_real.mean(), out_fake.mean()
        _ = d_real - d_fake  # the Wasserstein estimate genlab logs
        eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)))
        interpolates = (eps * x_real + (1 - eps) * x_fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(self.score(interpolates).sum(), interpolates, create_graph=True)
        norms = torch.sqrt(grad.flatten(1).square().sum(1) + 1e-12)
        penalty = (norms - 1).square().mean()
        return d_fake - d_real + 10 * penalty

    def generator_loss(self, n):
        out = self.score(2 * self.generate(n) - 1)
        if self.loss_kind == "nonsaturating":
            _ = -F.softplus(out).mean()  # generatorMinimax, logged
            return F.softplus(-out).mean()
        return -out.mean()

    def train_step(self, batch):
        for i in range(self.k):
            real = batch if i == 0 else self.make_batch(batch.shape[0])  # genlab draws it inside the step too
            self.d_update(self.discriminator_loss(real))
        for p in self.discriminator.parameters():
            p.requires_grad_(False)
        self.g_update(self.generator_loss(batch.shape[0]))
        for p in self.discriminator.parameters():
            p.requires_grad_(True)

    @torch.no_grad()
    def sample(self, n):
        self.generator.eval()  # batch norm with its running statistics
        out = torch.cat([self.generate(min(500, n - start)) for start in range(0, n, 500)])
        self.generator.train()
        return out


def dcgan():
    """Radford et al. 2016 as genlab's `dcgan` builds it on [28, 28, 1] data in [0, 1]: latent 100,
    generatorChannels [128, 64], discriminatorChannels [64, 128], batch norm (momentum 0.1, eps
    1e-5, PyTorch's convention, as genlab's), leaky ReLU 0.2, 4x4 stride-2 'same' layers
    (padding 1), non-saturating loss, k = 1, Adam 2e-4 (0.5, 0.999).
      G: dense 100 -> 7*7*128 with a bias (genlab keeps it before batch norm), BN, ReLU,
         transposed conv 128 -> 64 without bias, BN, ReLU, transposed conv 64 -> 1 with bias, sigmoid.
      D: conv 1 -> 64 with bias, leaky ReLU, conv 64 -> 128 without bias, BN, leaky ReLU,
         flatten 6272, dense -> 1 logit.
    genlab uses 0.5 (1 + a) x + 0.5 (1 - a) |x| for the leaky ReLU (twice differentiable in tfjs);
    here F.leaky_relu, the same function.

    genlab's trainable parameters: G 627,200 + 6,272 + BN 256 + 131,072 + BN 128 + 1,024 + 1
    = 765,953; D 1,024 + 64 + 131,072 + BN 256 + 6,272 + 1 = 138,689: 904,642
    (getWeights adds the BN running statistics, 2 * (128 + 64 + 128) = 640, not trainable).
    """
    generator = nn.Sequential(
        nn.Linear(100, 7 * 7 * 128),
        nn.Unflatten(1, (128, 7, 7)),
        nn.BatchNorm2d(128, eps=1e-5, momentum=0.1),
        nn.ReLU(),
        nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(64, eps=1e-5, momentum=0.1),
        nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1, bias=True),
    )
    discriminator = nn.Sequential(
        nn.Conv2d(1, 64, 4, stride=2, padding=1, bias=True),
        nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(128, eps=1e-5, momentum=0.1),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(7 * 7 * 128, 1),
    )
    for m in [*generator, *discriminator]:
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0, 0.02)  # Radford et al. Sec. 4 (genlab's DCGAN_INIT)
    return Gan(generator, discriminator, 100, k=1, loss="nonsaturating", lr=2e-4, betas=(0.5, 0.999),
               make_batch=lambda b: torch.rand(b, 1, H_IMG, W_IMG))


def wgangp():
    """Gulrajani et al. 2017 as genlab's `wgangp` builds it on 784 values in [0, 1]: GAN_OPTIONS'
    MLP players, latent 64, G 64 -> 256 -> 512 -> 784 (ReLU, then the sigmoid), D 784 -> 512 -> 256
    (leaky ReLU 0.2) -> 1 critic value, no batch norm; k = 5 critic updates each on a fresh batch,
    penalty weight 10, Adam 1e-4 (0, 0.9). F.leaky_relu for genlab's twice-differentiable form.

    genlab's parameters: G 16,640 + 131,584 + 402,192 = 550,416; D 401,920 + 131,328 + 257
    = 533,505: 1,083,921
    """
    generator = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, D_IMG))
    discriminator = nn.Sequential(nn.Linear(D_IMG, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))
    return Gan(generator, discriminator, 64, k=5, loss="wgangp", lr=1e-4, betas=(0.0, 0.9),
               make_batch=lambda b: torch.rand(b, D_IMG))


class Glow(nn.Module):
    """genlab's `glow` with its defaults on [28, 28, 1] intensities in [0, 1], as the bench builds it:
    flows_torch.py's twin (2 levels of squeeze and 4 steps of actnorm, invertible 1 x 1 conv, affine
    channel coupling with hidden [64, 64]; logit transform; its docstring lists what matches
    genlab), trained as genlab's Trainer steps a flow: dequantize (x + u / 256), actnorm's
    data-dependent initialisation on the first batch, loss -mean log p, Adam 1e-3 (the registry
    gives flows no optimizer of their own). Sampling: z ~ N(0, I) through the inverse, one pass.

    genlab's trainable parameters: 76,096 (flows_torch.GENLAB_PARAMS)
    """

    def __init__(self):
        super().__init__()
        self.flow = flows_torch().build("glow", 0)
        self.initialized = False

    def setup(self):
        self.update = Update(self.parameters())

    def make_batch(self, b):
        return torch.rand(b, 1, H_IMG, W_IMG)

    def train_step(self, x):
        x = flows_torch().dequantize(x)
        if not self.initialized:
            self.flow.initialize(x)
            self.initialized = True
        log_prior, log_det = self.flow.log_prob(x)
        return self.update(-(log_prior + log_det).mean())

    @torch.no_grad()
    def sample(self, n):
        return self.flow.inverse(torch.randn(n, D_IMG))


class TimeEmbedding(nn.Module):
    """Sinusoids of t (sin half, cos half, frequencies exp(-ln(10000) i / (half - 1))), dense, SiLU, dense."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim
        self.first = nn.Linear(dim, dim)
        self.second = nn.Linear(dim, dim)

    def forward(self, t):
        half = self.dim // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / max(1, half - 1))
        angles = t.float()[:, None] * freqs[None, :]
        return self.second(F.silu(self.first(torch.cat([angles.sin(), angles.cos()], 1))))


class UnetBlock(nn.Module):
    """Group norm, SiLU, 3 x 3 conv; the time embedding's projection added per channel; group norm,
    SiLU, 3 x 3 conv; a 1 x 1 conv on the skip path when the channels change."""

    def __init__(self, cin, cout, emb, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(math.gcd(groups, cin), cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time = nn.Linear(emb, cout)
        self.norm2 = nn.GroupNorm(math.gcd(groups, cout), cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x))) + self.time(temb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


class UnetAttention(nn.Module):
    """Single-head self-attention over the H W positions, residual."""

    def __init__(self, channels, groups):
        super().__init__()
        self.norm = nn.GroupNorm(math.gcd(groups, channels), channels, eps=1e-5)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.out = nn.Linear(channels, channels)

    def forward(self, x):
        B, C, H, W = x.shape
        h = self.norm(x).flatten(2).transpose(1, 2)  # [B, HW, C]
        q, k, v = self.qkv(h).chunk(3, dim=2)
        weights = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(C), dim=2)
        return x + self.out(weights @ v).transpose(1, 2).reshape(B, C, H, W)


class Ddpm(nn.Module):
    """genlab's `ddpm` with its defaults on [28, 28, 1] intensities, as the bench builds it (Ho et
    al. 2020, src/models/diffusion/{ddpm,unet,networks,samplers}.ts): linear betas 1e-4..0.02 over
    T = 1000 steps; the U-Net of channels 32, multipliers [1, 2], group norm of 8 groups (the
    largest divisor of the channels up to 8), attention at 14 x 14, embedding 64: a 3 x 3 input
    conv; per level a residual block kept for the skip and (but the last) a 3 x 3 stride-2 conv;
    block, attention, block; per level up, the skip concatenated, a block and (but the last)
    nearest 2x upsampling and a 3 x 3 conv; group norm, SiLU and a zero-initialised 3 x 3 output
    conv predicting eps. Training (Algorithm 1): x_0 = 2 x - 1, t uniform, eps ~ N(0, I), loss
    mean |eps - eps_theta(x_t, t)|^2, Adam 1e-3 (the registry gives no optimizer of its own).
    Sampling: ancestral over all T steps, x_0 predicted from eps and clipped to [-1, 1], the
    posterior mean plus sqrt(beta_t) z (no noise at the last step): T network passes.

    genlab's 'same' padding of the stride-2 conv puts its extra row and column after the image,
    PyTorch's padding 1 one on each side: the same output size and work. genlab's trainable
    parameters: 476,961 (the bench's count of its variables).
    """

    def __init__(self, T=1000, channels=32, mults=(1, 2), groups=8, emb=64):
        super().__init__()
        betas = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
        alpha_bar = torch.cumprod(1 - betas, 0)
        alpha_bar_prev = torch.cat([torch.ones(1, dtype=torch.float64), alpha_bar[:-1]])
        self.T = T
        self.betas = betas.float()
        self.alpha_bar = alpha_bar.float()
        # Posterior mean coefficients (Eq. 7) of x_0 and of x_t.
        self.coef_x0 = (betas * alpha_bar_prev.sqrt() / (1 - alpha_bar)).float()
        self.coef_xt = ((1 - alpha_bar_prev) * (1 - betas).sqrt() / (1 - alpha_bar)).float()
        width = [m * channels for m in mults]
        self.embedding = TimeEmbedding(emb)
        self.input = nn.Conv2d(1, channels, 3, padding=1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        ch = channels
        for l, w in enumerate(width):
            self.down.append(UnetBlock(ch, w, emb, groups))
            ch = w
            if l < len(width) - 1:
                self.downsample.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
        self.mid1 = UnetBlock(ch, ch, emb, groups)
        self.attention = UnetAttention(ch, groups)
        self.mid2 = UnetBlock(ch, ch, emb, groups)
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for l in range(len(width) - 1, -1, -1):
            self.up.append(UnetBlock(ch + width[l], width[l], emb, groups))
            ch = width[l]
            if l > 0:
                self.upsample.append(nn.Conv2d(ch, ch, 3, padding=1))
        self.out_norm = nn.GroupNorm(math.gcd(groups, ch), ch, eps=1e-5)
        self.output = nn.Conv2d(ch, 1, 3, padding=1)
        nn.init.zeros_(self.output.weight)
        nn.init.zeros_(self.output.bias)

    def eps(self, x, t):
        temb = F.silu(self.embedding(t))
        h = self.input(x)
        skips = []
        for l, block in enumerate(self.down):
            h = block(h, temb)
            skips.append(h)
            if l < len(self.downsample):
                h = self.downsample[l](h)
        h = self.mid2(self.attention(self.mid1(h, temb)), temb)
        for i, block in enumerate(self.up):
            h = block(torch.cat([h, skips[-1 - i]], 1), temb)
            if i < len(self.upsample):
                h = self.upsample[i](F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.output(F.silu(self.out_norm(h)))

    def setup(self):
        self.update = Update(self.parameters())

    def make_batch(self, b):
        return torch.rand(b, 1, H_IMG, W_IMG)

    def train_step(self, x):
        x0 = 2 * x - 1
        t = torch.randint(0, self.T, (x.shape[0],))
        noise = torch.randn_like(x0)
        ab = self.alpha_bar[t][:, None, None, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
        return self.update(((noise - self.eps(xt, t)) ** 2).mean())

    @torch.no_grad()
    def sample(self, n):
        x = torch.randn(n, 1, H_IMG, W_IMG)
        for i in range(self.T - 1, -1, -1):
            t = torch.full((n,), i, dtype=torch.long)
            ab = self.alpha_bar[i]
            x0 = ((x - (1 - ab).sqrt() * self.eps(x, t)) / ab.sqrt()).clamp(-1, 1)
            mean = self.coef_x0[i] * x0 + self.coef_xt[i] * x
            x = mean + self.betas[i].sqrt() * torch.randn_like(x) if i > 0 else mean
        return x


def flows_torch():
    """The flows' reference module beside this file (imported once, on first use)."""
    if "flows_torch" not in sys.modules:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import flows_torch as module
    return module


# ---------------------------------------------------------------------------------------------
# The benchmark

MODELS = {
    "vae-mlp": (lambda: Vae(conv=False), 128),
    "conv-vae": (lambda: Vae(conv=True), 64),
    "made": (lambda: Made(), 100),
    "nade": (lambda: Nade(), 100),
    "pixelcnn": (lambda: PixelCnn(), 64),
    "rowlstm": (lambda: RowLstm(), 16),
    "dcgan": (dcgan, 64),
    "wgangp": (wgangp, 64),
    "glow": (lambda: Glow(), 64),
    "ddpm": (lambda: Ddpm(), 64),
}


TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"


def use_caching_allocator():
    """Re-runs this script with tcmalloc preloaded when it is installed and not loaded yet (see the
    module's docstring); returns the allocator in use: "tcmalloc" or "glibc"."""
    if TCMALLOC in os.environ.get("LD_PRELOAD", ""):
        return "tcmalloc"
    if not os.path.exists(TCMALLOC):
        return "glibc"
    os.environ["LD_PRELOAD"] = ":".join(filter(None, [TCMALLOC, os.environ.get("LD_PRELOAD")]))
    # Never hand freed pages back to the kernel: a long NADE reference otherwise faulted them in
    # again (~7,700 page faults a second, its tenth epoch 4x slower than its third).
    os.environ.setdefault("TCMALLOC_RELEASE_RATE", "0")
    os.execv(sys.executable, [sys.executable] + sys.argv)


def main():
    allocator = use_caching_allocator()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, help="default: the bench's batch for the model")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--sample", type=int, help="time one draw of this many samples")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    build, default_batch = MODELS[args.model]
    batch = args.batch or default_batch
    model = build()
    model.train()
    model.setup()

    times = []
    for step in range(2 + args.steps):  # two warm-up steps, then the timed ones
        x = model.make_batch(batch)
        start = time.perf_counter()
        model.train_step(x)
        if step >= 2:
            times.append((time.perf_counter() - start) * 1000)

    out = {
        "model": args.model,
        "threads": args.threads,
        "batch": batch,
        "steps": args.steps,
        "step_ms": round(statistics.median(times), 3),
        "step_ms_min": round(min(times), 3),
    }
    if args.sample is not None:
        model.sample(min(2, args.sample))  # warm-up draw, as genlab's side does
        start = time.perf_counter()
        model.sample(args.sample)
        out["sample_n"] = args.sample
        out["sample_ms"] = round((time.perf_counter() - start) * 1000, 3)
    out["params"] = trainable_count(model)
    out["allocator"] = allocator
    out["torch"] = torch.__version__
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
