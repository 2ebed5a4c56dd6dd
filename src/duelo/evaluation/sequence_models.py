"""Scores for synthetic time series that train a small network: TimeGAN's two scores and a context-FID.

* `discriminative_score` — Yoon, Jarrett & van der Schaar 2019, "Time-series Generative Adversarial Networks"
  (TimeGAN), section 5: a post-hoc GRU classifier learns to tell real from synthetic windows on 80 % of an
  equal mix; the score is |held-out accuracy − 0.5|: 0 when it cannot tell them apart, 0.5 when it always can.
* `predictive_score` — the same paper's "train on synthetic, test on real": a post-hoc GRU reads channels
  0..C−2 at steps 0..T−2 and predicts channel C−1 at steps 1..T−1; trained on the synthetic windows, its mean
  absolute error (MAE) is measured on the real ones. Compare with the same recipe trained on real data.
* `context_fid` — Jeha et al. 2022, "PSA-GAN: Progressive Self Attention GANs for Synthetic Time Series",
  section 5: the Fréchet distance (Heusel et al. 2017) between window embeddings of a network trained on the
  real data only. The paper's network is TS2Vec (Yue et al. 2022, contrastive); duelo does not ship it and
  trains instead a small dilated-convolution encoder as an autoencoder (`train_sequence_encoder`), in seconds
  on a CPU. Values are therefore comparable between models scored with one encoder, not with the paper's.

The post-hoc networks follow TimeGAN's reference code: one GRU layer of int(C / 2) units (at least 1), a linear
read-out, Adam (learning rate 1e-3), batches of 128, 2000 steps (classifier, 128 real + 128 synthetic windows a
step) and 5000 steps (predictor, read-out through tanh as the data lie in [-1, 1]; the paper's sigmoid matched
its [0, 1] data, so its MAEs are half of duelo's). Unlike the reference, padding steps are left out of the MAE.
Every function is deterministic given `seed` on one device and thread count, and leaves the global random state
as it was. Cost: on a CPU a GRU step is bound by its per-time-step loop, not by arithmetic (~5 ms per optimiser
step at T = 24 on one core whatever the batch), so the defaults take about 10-20 s (discriminative) and 25-30 s
(predictive) there; `steps` trades the protocol's fidelity for time.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from duelo.errors import ConfigError
from duelo.evaluation.frechet import FeatureStats, frechet_distance
from duelo.evaluation.sequences import Sequences, as_sequences, check_channels, pad_steps

MIN_SPLIT_SAMPLES = 10       # windows per set the discriminative score needs for a 80/20 split (8 + 2)
TEST_SHARE = 0.2             # TimeGAN's held-out share for the classifier


def check_positive(value: int, what: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{what}: must be a positive integer, got {value!r}")
    return int(value)


@contextlib.contextmanager
def seeded_init(seed: int, device: torch.device):
    """Initialise networks from `seed` without touching the caller's global random state."""
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        yield


class PostHocGRU(nn.Module):
    """TimeGAN's post-hoc network: one GRU layer and a linear read-out (of the last valid step, or of every step)."""

    def __init__(self, in_channels: int, hidden: int, out_features: int = 1):
        super().__init__()
        self.gru = nn.GRU(in_channels, hidden, batch_first=True)
        self.head = nn.Linear(hidden, out_features)

    def every_step(self, x: torch.Tensor) -> torch.Tensor:
        """(N, T, C) -> (N, T, out): causal, so step t sees steps 0..t only and padding never leaks backwards."""
        return self.head(self.gru(x)[0])

    def last_step(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(N, T, C), (N,) -> (N, out): the read-out of each window's last valid step."""
        states = self.gru(x)[0]                                                   # (N, T, H)
        last = states[torch.arange(len(x), device=x.device), lengths - 1]        # (N, H)
        return self.head(last)


def index_batches(n: int, size: int, steps: int, seed: int, device: torch.device):
    """`steps` index batches of min(size, n) distinct windows, drawn from a private generator."""
    generator = torch.Generator().manual_seed(seed)
    size = min(size, n)
    for _ in range(steps):
        yield torch.randperm(n, generator=generator)[:size].to(device)


# --- TimeGAN's discriminative score ---------------------------------------------------------------------------

def discriminative_score(real: torch.Tensor | np.ndarray,
                         fake: torch.Tensor | np.ndarray,
                         *,
                         lengths_real: torch.Tensor | None = None,
                         lengths_fake: torch.Tensor | None = None,
                         seed: int = 0,
                         steps: int = 2000,            # optimiser steps (TimeGAN: 2000)
                         batch_size: int = 128,        # windows per class and step (TimeGAN: 128)
                         network: str = "gru",         # "gru": TimeGAN's; "conv": a capacity that does not
                                                       # shrink with the channel count (see POST_HOC_CLASSIFIERS)
                         device: str | torch.device = "cpu") -> dict:
    """|accuracy − 0.5| of a post-hoc classifier on held-out real vs. synthetic windows (TimeGAN, sec. 5).

    The larger set is subsampled to the smaller one's size n; each set is split 80/20 and the classifier trains
    on the 80 % parts. Returns {"score", "accuracy", "train_n", "test_n"} (counts of both sets together). With
    few test windows the score is noisy: its standard error is about 0.5 / sqrt(test_n).
    """
    device = torch.device(device)
    r = as_sequences(real, lengths_real, name="real", lengths_name="lengths_real", device=device)
    f = as_sequences(fake, lengths_fake, name="fake", lengths_name="lengths_fake", device=device)
    channels = check_channels(r, f)
    steps, batch_size = check_positive(steps, "steps"), check_positive(batch_size, "batch_size")
    n = min(len(r), len(f))
    if n < MIN_SPLIT_SAMPLES:
        smaller = "real" if len(r) <= len(f) else "fake"
        raise ConfigError(f"{smaller}: has {n} windows; the discriminative score splits each set 80/20 and needs at "
                          f"least {MIN_SPLIT_SAMPLES} (use hundreds: the score's standard error is ~0.5/sqrt(test_n))")
    test_n = max(1, round(TEST_SHARE * n))
    train_n = n - test_n
    length = max(r.values.shape[1], f.values.shape[1])
    generator = torch.Generator().manual_seed(seed)
    sets = []
    for seq in (r, f):                                                        # equal counts, then 80/20
        pick = torch.randperm(len(seq), generator=generator)[:n].to(device)
        sets.append((pad_steps(seq.values, length)[pick], seq.lengths[pick]))
    (x_real, len_real), (x_fake, len_fake) = sets

    if network not in POST_HOC_CLASSIFIERS:
        raise ConfigError(f"network: {network!r} is not one of {', '.join(POST_HOC_CLASSIFIERS)}")
    with seeded_init(seed, device):
        model, classify = POST_HOC_CLASSIFIERS[network](channels, device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = zip(index_batches(train_n, batch_size, steps, seed + 1, device),
                  index_batches(train_n, batch_size, steps, seed + 2, device))
    for i, j in batches:                                  # one GRU call for both halves: the loop's cost is per call
        logits = classify(torch.cat([x_real[i], x_fake[j]]), torch.cat([len_real[i], len_fake[j]]))
        labels = torch.cat([torch.ones(len(i), 1, device=device), torch.zeros(len(j), 1, device=device)])
        loss = 2 * F.binary_cross_entropy_with_logits(logits, labels)    # = mean loss on real + mean on fake
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    with torch.no_grad():
        right_real = (classify(x_real[train_n:], len_real[train_n:]) > 0).sum()
        right_fake = (classify(x_fake[train_n:], len_fake[train_n:]) <= 0).sum()
    accuracy = float(right_real + right_fake) / (2 * test_n)
    return {"score": abs(accuracy - 0.5), "accuracy": accuracy, "train_n": 2 * train_n, "test_n": 2 * test_n}


def _gru_classifier(channels: int, device: torch.device):
    model = PostHocGRU(channels, max(channels // 2, 1), 1).to(device)
    return model, model.last_step


def _conv_classifier(channels: int, device: torch.device):
    model = SequenceEncoder(channels, 1).to(device)
    return model, model


# (channels, device) -> (module, (windows, lengths) -> (N, 1) logits). TimeGAN's GRU has int(C / 2) units: one
# unit for a single channel, two for five, which can fail to learn at all and then score a perfect 0 whatever
# the samples look like (measured on GunPoint and the stock prices: docs/timeseries.md); "conv" is the dilated
# encoder of the context-FID (about 10k weights at any channel count).
POST_HOC_CLASSIFIERS = {"gru": _gru_classifier, "conv": _conv_classifier}


# --- TimeGAN's predictive score -------------------------------------------------------------------------------

def _prediction_task(seq: Sequences) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs (N, T−1, C−1 or 1), targets (N, T−1) and mask (N, T−1) of next-step prediction of the last channel."""
    channels = seq.values.shape[2]
    inputs = seq.values[:, :-1, :channels - 1] if channels > 1 else seq.values[:, :-1]
    return inputs, seq.values[:, 1:, -1], seq.mask[:, 1:]


def predictive_score(real: torch.Tensor | np.ndarray,
                     fake: torch.Tensor | np.ndarray,
                     *,
                     lengths_real: torch.Tensor | None = None,
                     lengths_fake: torch.Tensor | None = None,
                     seed: int = 0,
                     steps: int = 5000,            # optimiser steps (TimeGAN: 5000)
                     batch_size: int = 128,
                     device: str | torch.device = "cpu") -> dict:
    """Train on `fake`, test on `real`: {"mae": mean over real windows of the per-window next-step MAE}.

    The reference figure is the same recipe trained on real data: `predictive_score(real_test, real_train)`, two
    disjoint real splits. A synthetic set as useful as real data comes close to it; lower is better. With one
    channel, the channel predicts its own next value.
    """
    device = torch.device(device)
    r = as_sequences(real, lengths_real, name="real", lengths_name="lengths_real", min_length=2, device=device)
    f = as_sequences(fake, lengths_fake, name="fake", lengths_name="lengths_fake", min_length=2, device=device)
    channels = check_channels(r, f)
    steps, batch_size = check_positive(steps, "steps"), check_positive(batch_size, "batch_size")
    x_train, y_train, m_train = _prediction_task(f)

    with seeded_init(seed, device):
        model = PostHocGRU(x_train.shape[2], max(channels // 2, 1), 1).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    for i in index_batches(len(f), batch_size, steps, seed + 1, device):
        prediction = torch.tanh(model.every_step(x_train[i]))[..., 0]            # (B, T−1)
        mask = m_train[i]
        loss = ((prediction - y_train[i]).abs() * mask).sum() / mask.sum()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    x_test, y_test, m_test = _prediction_task(r)
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(r), 4096):
            part = slice(start, start + 4096)
            error = (torch.tanh(model.every_step(x_test[part]))[..., 0] - y_test[part]).abs() * m_test[part]
            total += float((error.sum(1) / m_test[part].sum(1)).double().sum())
    return {"mae": total / len(r)}


# --- context-FID ---------------------------------------------------------------------------------------------

class DilatedBlock(nn.Module):
    """Residual block h + GELU(conv(h)) with a kernel-3 convolution of dilation d, on channels-last (N, T, W) input.

    Written as one linear map of [h(t − d), h(t), h(t + d)] (zeros outside the window): the same function as
    nn.Conv1d(W, W, 3, dilation=d, padding=d), about twice as fast on a CPU at these sizes.
    """

    def __init__(self, width: int, dilation: int):
        super().__init__()
        self.dilation = dilation
        self.mix = nn.Linear(3 * width, width)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        d, steps = self.dilation, h.shape[1]
        padded = F.pad(h, (0, 0, d, d))                                           # (N, T + 2d, W)
        taps = torch.cat([padded[:, :steps], h, padded[:, 2 * d:2 * d + steps]], 2)   # (N, T, 3W)
        return h + F.gelu(self.mix(taps))


class SequenceEncoder(nn.Module):
    """Window (N, T, C) -> embedding (N, dim) for context-FID.

    A per-step linear projection to `width`, residual blocks of dilated convolutions (kernel 3, dilations 1, 2,
    4, 8, ...: with 4 blocks each step sees 31 steps, the whole of a 24-step window, as in TS2Vec's dilated
    encoder), then mean- and max-pooling over the valid steps and a linear map to `dim`. Features at padding
    steps are set to 0 after every layer, so a short window reads as if its series ended there.
    """

    def __init__(self, channels: int, dim: int = 64, width: int = 32, blocks: int = 4):
        super().__init__()
        self.channels, self.dim = channels, dim
        self.project = nn.Linear(channels, width)
        self.blocks = nn.ModuleList(DilatedBlock(width, 2 ** b) for b in range(blocks))
        self.out = nn.Linear(2 * width, dim)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if lengths is None:
            lengths = torch.full((len(x),), x.shape[1], dtype=torch.int64, device=x.device)
        mask = (torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None])[..., None]  # (N, T, 1)
        h = self.project(x) * mask                                                # (N, T, width)
        for block in self.blocks:
            h = block(h) * mask
        mean = h.sum(1) / lengths[:, None]                                        # (N, width)
        peak = h.masked_fill(~mask, -torch.inf).amax(1)                           # (N, width)
        return self.out(torch.cat([mean, peak], 1))                               # (N, dim)


def train_sequence_encoder(real: torch.Tensor | np.ndarray,
                           *,
                           lengths: torch.Tensor | None = None,
                           dim: int = 64,                # embedding size
                           seed: int = 0,
                           steps: int = 300,             # optimiser steps; ~3 s on one CPU core at T=24, C=5
                           batch_size: int = 128,
                           device: str | torch.device = "cpu") -> SequenceEncoder:
    """Train a `SequenceEncoder` on real windows only, as an autoencoder: an MLP decoder (dim -> 128 -> T·C,
    discarded afterwards) reconstructs the whole window from the pooled embedding, with mean squared error over
    the valid steps. No labels and no synthetic data are used, so the embedding only knows what distinguishes
    real windows from each other. Returned in eval mode, with `reconstruction_mse` (last 50 steps' mean) set.
    """
    device = torch.device(device)
    seq = as_sequences(real, lengths, name="real", lengths_name="lengths", device=device)
    dim, steps = check_positive(dim, "dim"), check_positive(steps, "steps")
    batch_size = check_positive(batch_size, "batch_size")
    n, length, channels = seq.values.shape
    with seeded_init(seed, device):
        encoder = SequenceEncoder(channels, dim).to(device)
        decoder = nn.Sequential(nn.Linear(dim, 128), nn.GELU(), nn.Linear(128, length * channels)).to(device)
    optimiser = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-3)
    mask = seq.mask[..., None].float()                                            # (N, T, 1)
    losses = []
    for i in index_batches(n, batch_size, steps, seed + 1, device):
        reconstruction = decoder(encoder(seq.values[i], seq.lengths[i])).view(len(i), length, channels)
        loss = ((reconstruction - seq.values[i]) ** 2 * mask[i]).sum() / (mask[i].sum() * channels)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        losses.append(loss.detach())
    encoder.reconstruction_mse = float(torch.stack(losses[-50:]).mean())
    return encoder.eval()


def embed_sequences(encoder: SequenceEncoder, seq: Sequences, batch_size: int = 4096) -> torch.Tensor:
    """Embeddings (N, dim) of checked windows, in batches, without gradients."""
    with torch.no_grad():
        return torch.cat([encoder(seq.values[s:s + batch_size], seq.lengths[s:s + batch_size])
                          for s in range(0, len(seq), batch_size)])


def context_fid(real: torch.Tensor | np.ndarray,
                fake: torch.Tensor | np.ndarray,
                encoder: SequenceEncoder,
                *,
                lengths_real: torch.Tensor | None = None,
                lengths_fake: torch.Tensor | None = None,
                device: str | torch.device = "cpu") -> float:
    """Fréchet distance between the encoder's embeddings of real and fake windows (Jeha et al. 2022); 0 for
    identical sets, lower is better. Use more windows than the embedding has dimensions (the covariance is
    singular otherwise and the value biased upwards; duelo warns). Moves `encoder` to `device`."""
    device = torch.device(device)
    if not isinstance(encoder, SequenceEncoder):
        raise ConfigError(f"encoder: expected the SequenceEncoder returned by train_sequence_encoder, got "
                          f"{type(encoder).__name__}")
    r = as_sequences(real, lengths_real, name="real", lengths_name="lengths_real", device=device)
    f = as_sequences(fake, lengths_fake, name="fake", lengths_name="lengths_fake", device=device)
    check_channels(r, f)
    if r.values.shape[2] != encoder.channels:
        raise ConfigError(f"real: has {r.values.shape[2]} channels but the encoder was trained on "
                          f"{encoder.channels}; train it on this data's real windows")
    encoder = encoder.to(device).eval()
    stats_real = FeatureStats.from_features(embed_sequences(encoder, r))
    stats_fake = FeatureStats.from_features(embed_sequences(encoder, f))
    return frechet_distance(stats_real, stats_fake)
