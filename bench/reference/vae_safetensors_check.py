"""Loads a genlab VAE export (`genlab export RUN --format safetensors`) into the same network in
PyTorch and computes the deterministic ELBO terms on the batch genlab wrote
(bench/vae-elbo-batch.ts): the reconstruction log p(x | z = mu(x)) and the analytic
KL(q(z|x) || N(0, I)) = 1/2 sum_j (mu_j^2 + sigma_j^2 - log sigma_j^2 - 1) (Kingma & Welling 2014,
Eq. 10 and Appendix B). Prints PyTorch's figures, genlab's, and their largest per-example difference;
exits 1 when they differ by more than float32 rounding.

The safetensors file is parsed by hand (struct + json + numpy: the `safetensors` package is not
needed). The network is genlab's MLP VAE (src/nn/encoderDecoder.ts, src/models/latent/vae.ts):
  encoder  x [B, D] -> (Linear, ReLU) per hidden size -> two linear heads, mu and log sigma^2
  decoder  z [B, L] -> (Linear, ReLU) per hidden size, reversed -> linear output [B, D]
  p(x|z)   bernoulli: sum_d x_d o_d - softplus(o_d)                 (o = logits)
           gaussian:  sum_d log N(x_d; o_d, sigma_d^2), sigma = minStd + exp(decoder/logStd) or decoderStd
           logistic:  discretized logistic on 0..255 (PixelCNN++ Eq. 2, one component), encoder fed x / 255
genlab stores a dense layer's W as [in, out]; nn.Linear.weight is [out, in], hence the transposes.

Usage: /usr/bin/python3 bench/reference/vae_safetensors_check.py MODEL.safetensors OUT_DIR
  (OUT_DIR holds batch.f32 and genlab.json from bench/vae-elbo-batch.ts; bench/vae-safetensors-check.sh runs all three steps)
"""
import json
import math
import struct
import sys

import numpy as np
import torch

LEVELS = 256  # 8-bit levels of the logistic decoder (src/data/dequantize.ts)


def read_safetensors(file):
    """{name: numpy array} and the string metadata, checking that the byte ranges tile the buffer."""
    with open(file, "rb") as f:
        raw = f.read()
    (header_length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + header_length].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    buffer = raw[8 + header_length:]
    dtypes = {"F32": "<f4", "I32": "<i4"}
    arrays, expected = {}, 0
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        if begin != expected:
            raise ValueError(f"{name}: starts at byte {begin}, not {expected}")
        values = np.frombuffer(buffer[begin:end], dtype=dtypes[entry["dtype"]])
        arrays[name] = values.reshape(entry["shape"])
        expected = end
    if expected != len(buffer):
        raise ValueError(f"the arrays cover {expected} of the buffer's {len(buffer)} bytes")
    return arrays, metadata


class MlpVae(torch.nn.Module):
    """genlab's MLP VAE with the exported weights (names as in the checkpoint)."""

    def __init__(self, weights, config, D):
        super().__init__()
        self.config = config
        hidden, latent = list(config["hidden"]), config["latent"]

        def linear(prefix, fan_in, fan_out):
            layer = torch.nn.Linear(fan_in, fan_out)
            W, b = weights[f"{prefix}/W"], weights[f"{prefix}/b"]
            assert W.shape == (fan_in, fan_out), f"{prefix}/W is {W.shape}, expected {(fan_in, fan_out)}"
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(W.T.copy()))  # [in, out] -> [out, in]
                layer.bias.copy_(torch.from_numpy(b.copy()))
            return layer

        sizes = [D] + hidden
        self.encoder = torch.nn.ModuleList(linear(f"encoder/dense{l}", sizes[l], sizes[l + 1]) for l in range(len(hidden)))
        width = sizes[-1]
        self.mu = linear("encoder/mu", width, latent)
        self.log_var = linear("encoder/logVar", width, latent)
        sizes = [latent] + hidden[::-1] + [D]
        names = [f"decoder/dense{l}" for l in range(len(hidden))] + ["decoder/output"]
        self.decoder = torch.nn.ModuleList(linear(names[l], sizes[l], sizes[l + 1]) for l in range(len(names)))
        theta = weights.get("decoder/logStd")
        self.register_buffer("theta", torch.from_numpy(theta.copy()) if theta is not None else torch.zeros(0))

    def posterior(self, x):
        h = x / (LEVELS - 1) if self.config["decoder"] == "logistic" else x
        for layer in self.encoder:
            h = torch.relu(layer(h))
        return self.mu(h), self.log_var(h)

    def decode(self, z):
        h = z
        for l, layer in enumerate(self.decoder):
            h = layer(h)
            if l + 1 < len(self.decoder):
                h = torch.relu(h)
        return h

    def spread(self, D, dtype):
        std = self.config["decoderStd"]
        if std == "learned":
            return self.config["minStd"] + torch.exp(self.theta.to(dtype))
        return torch.full((D,), float(std), dtype=dtype)

    def log_likelihood(self, x, out):
        kind = self.config["decoder"]
        if kind == "bernoulli":
            return (x * out - torch.nn.functional.softplus(out)).sum(1)
        s = self.spread(x.shape[1], x.dtype)
        if kind == "gaussian":
            return -0.5 * (((x - out) / s) ** 2).sum(1) - torch.log(s).sum() - 0.5 * x.shape[1] * math.log(2 * math.pi)
        # Discretized logistic: bins of half-width h around k / 255, the end bins taking the tails.
        softplus = torch.nn.functional.softplus
        h = 0.5 / (LEVELS - 1)
        centred = x / (LEVELS - 1) - out
        a, b = (centred + h) / s, (centred - h) / s
        low, high = (x == 0).to(x.dtype), (x == LEVELS - 1).to(x.dtype)
        t = torch.tanh(h / s)  # log(1 - exp(-2h/s)) = log 2 + log t - log(1 + t)
        bin_width = math.log(2) + torch.log(t) - torch.log1p(t)
        logp = -softplus(-a) * (1 - high) - softplus(b) * (1 - low) + (1 - low - high) * bin_width
        return logp.sum(1)

    def elbo_terms_at_mean(self, x):
        mu, log_var = self.posterior(x)
        reconstruction = self.log_likelihood(x, self.decode(mu))
        kl = 0.5 * (mu ** 2 + torch.exp(log_var) - log_var - 1).sum(1)
        return reconstruction, kl


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    weights, metadata = read_safetensors(sys.argv[1])
    out_dir = sys.argv[2]
    with open(f"{out_dir}/genlab.json") as f:
        genlab = json.load(f)
    config, data = json.loads(metadata["config"]), json.loads(metadata["data"])
    if metadata["model"] not in ("vae", "betavae", "iwae") or config["architecture"] != "mlp":
        sys.exit(f"{metadata['model']} ({config['architecture']}): this check covers the unconditional MLP VAEs")
    D = int(np.prod(data["shape"]))
    x = np.fromfile(f"{out_dir}/batch.f32", dtype="<f4").reshape(-1, D)
    assert x.shape[0] == genlab["n"] and D == genlab["D"], "batch.f32 and genlab.json disagree"
    print(f"export: {metadata['model']} step {metadata['step']} (EMA {metadata['ema']}), genlab {metadata['genlab_version']}, "
          f"{len(weights)} arrays, decoder {config['decoder']}; batch {x.shape[0]} x {D}; torch {torch.__version__}")

    torch.set_num_threads(1)
    model = MlpVae(weights, config, D)
    ours = {}
    for name, dtype in (("float32", torch.float32), ("float64", torch.float64)):
        with torch.no_grad():
            reconstruction, kl = model.to(dtype).elbo_terms_at_mean(torch.from_numpy(x).to(dtype))
        ours[name] = {"reconstructionAtMean": reconstruction.numpy(), "kl": kl.numpy(), "elboAtMean": (reconstruction - kl).numpy()}

    worst = 0.0
    for term in ("reconstructionAtMean", "kl", "elboAtMean"):
        theirs = np.asarray(genlab[term], dtype=np.float64)
        line = f"{term:21s} genlab {theirs.mean():12.5f}"
        for name, figures in ours.items():
            values = figures[term]
            diff = np.abs(values.astype(np.float64) - theirs)
            line += f"   pytorch {name} {values.mean():12.5f} (max |diff| {diff.max():.2e})"
            if name == "float32":
                # Tolerance 1e-4 of max(1, |value|): float32 sums of D = 784 terms round at about 1e-5 relative.
                worst = max(worst, (diff / np.maximum(1.0, np.abs(theirs))).max())
        print(line)
    agree = worst < 1e-4
    print(f"{'agree' if agree else 'DISAGREE'}: largest per-example difference (float32) relative to max(1, |value|): {worst:.2e}")
    sys.exit(0 if agree else 1)


if __name__ == "__main__":
    main()
