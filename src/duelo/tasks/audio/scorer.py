"""The classifier the audio scores read (scoring.py): a small convolutional network on log-mel spectrograms
(spectral.log_mel) that duelo trains on a dataset's real training clips, one head per label factor (a note's
instrument and pitch; a drum's kind; a word's language). Its penultimate features give a Fréchet distance, its
heads an inception-score-like figure and the accuracy with which generated clips carry the label they were asked
for — the recipe of WaveGAN's evaluation (which trained an SC09 digit classifier), applied per dataset.

The classifier hears RANGE_DB below a full-scale tone and no further: the log-mel powers are floored there (the
convention of librosa's `top_db=80`, fixed rather than per clip). Version 1 floored them 108 dB down, and read
cues no listener hears: white noise 80 dB below full scale (quieter than 13-bit quantisation) cost it 9 points of
instrument accuracy on real notes and tripled their Fréchet distance (docs/benchmarks.md, "A judge that hears
what a listener hears").

Trained once per (clips, settings) and cached in the duelo cache folder (audio-scorers/<fingerprint>/: config.json
+ model.safetensors), so every run on a dataset is judged by the same network. Training: Adam 1e-3, batches of
64, random gain (-6..0 dB) and a random delay (0..50 ms) of each clip, cross-entropy summed over the heads;
seeded, so a fresh cache trains the same network on one device.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from duelo.tasks.audio.clips import Clips
from duelo.tasks.audio.spectral import FULL_SCALE_BAND, log_mel

FORMAT, VERSION = "duelo-audio-scorer", 2
WIDTH, BATCH, LR = 16, 64, 1e-3
RANGE_DB = 80.0                 # how far below a full-scale tone the classifier hears
V1_RANGE_DB = 10 * math.log10(FULL_SCALE_BAND / 1e-6)   # version 1 floored at 1e-6 (107.8 dB): comparisons
MAX_DELAY_S = 0.05


class AudioScorer(nn.Module):
    def __init__(self, factors: tuple[int, ...], rate: int, width: int = WIDTH, range_db: float = RANGE_DB):
        super().__init__()
        self.factors, self.rate, self.range_db = tuple(int(f) for f in factors), int(rate), float(range_db)
        self.floor = FULL_SCALE_BAND * 10 ** (-self.range_db / 10)
        channels = [1, width, 2 * width, 4 * width, 8 * width]
        layers = []
        for k in range(4):
            layers += [nn.Conv2d(channels[k], channels[k + 1], 3, padding=1), nn.BatchNorm2d(channels[k + 1]),
                       nn.ReLU(), nn.MaxPool2d(2)]
        self.body = nn.Sequential(*layers)
        self.dim = channels[-1]
        self.heads = nn.ModuleList(nn.Linear(self.dim, size) for size in self.factors)

    def features(self, waves: torch.Tensor) -> torch.Tensor:
        """(N, L) waves -> (N, dim) features."""
        mel = (log_mel(waves, self.rate, self.floor) + 5.0) / 5.0
        return self.body(mel[:, None]).mean(dim=(2, 3))

    def forward(self, waves: torch.Tensor) -> list[torch.Tensor]:
        h = self.features(waves)
        return [head(F.dropout(h, 0.2, self.training)) for head in self.heads]


def fingerprint(clips: Clips, epochs: int, seed: int, range_db: float = RANGE_DB) -> str:
    digest = hashlib.sha256()
    settings = [VERSION, WIDTH, epochs, seed, clips.rate, range_db]
    for part in (clips.waves.tobytes(), clips.labels.tobytes(), json.dumps(settings).encode()):
        digest.update(part)
    return digest.hexdigest()[:20]


def _augment(waves: torch.Tensor, generator: torch.Generator, rate: int) -> torch.Tensor:
    n, length = waves.shape
    gain = 10 ** (-torch.rand(n, 1, generator=generator, device=waves.device) * 6 / 20)
    delays = torch.randint(0, int(MAX_DELAY_S * rate) + 1, (n,), generator=generator, device=waves.device)
    index = torch.arange(length, device=waves.device)[None] - delays[:, None]
    moved = waves.gather(1, index.clamp_min(0)) * (index >= 0)
    return moved * gain


def train_scorer(clips: Clips, epochs: int, seed: int, device, log=None, range_db: float = RANGE_DB) -> AudioScorer:
    """A scorer trained from `seed` (its initialisation and dropout from the global generators, seeded), which are
    given back as they were: a run that scores between its steps (audio.score_kimg, interim summaries) trains
    the same weights as one that does not."""
    cuda = torch.device(device).type == "cuda" or torch.cuda.is_initialized()     # manual_seed reseeds them all
    with torch.random.fork_rng(devices=range(torch.cuda.device_count()) if cuda else []):
        return _train_scorer(clips, epochs, seed, device, log, range_db)


def _train_scorer(clips: Clips, epochs: int, seed: int, device, log, range_db: float) -> AudioScorer:
    factors = tuple(len(names) for names in clips.class_names)
    torch.manual_seed(seed)
    model = AudioScorer(factors, clips.rate, range_db=range_db).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=LR)
    waves = torch.from_numpy(clips.floats()).to(device)
    labels = torch.from_numpy(clips.labels).to(device)
    generator = torch.Generator(device=device).manual_seed(seed)
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(waves), generator=generator, device=device)
        total = 0.0
        for batch in order.split(BATCH):
            outputs = model(_augment(waves[batch], generator, clips.rate))
            loss = sum(F.cross_entropy(out, labels[batch, f]) for f, out in enumerate(outputs))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(batch)
        if log is not None and (epoch + 1) % max(1, epochs // 5) == 0:
            log(f"scorer: epoch {epoch + 1}/{epochs}, loss {total / len(waves):.3f}")
    return model.eval()


def scorer_for(clips: Clips, epochs: int, seed: int, device, log=None, range_db: float = RANGE_DB) -> AudioScorer:
    """The cached scorer of these training clips, trained (and cached) first if there is none. range_db: how far
    below a full-scale tone it hears (RANGE_DB; V1_RANGE_DB for version 1's judgement, in comparisons)."""
    from duelo.data.sources.base import dataset_cache_dir
    from duelo.io.folders import commit_folder
    from duelo.io.model_folders import find_model_folder, load_model_folder, save_model_folder

    folder = dataset_cache_dir("audio-scorers") / fingerprint(clips, epochs, seed, range_db)
    factors = tuple(len(names) for names in clips.class_names)
    if find_model_folder(folder, FORMAT) is not None:
        with torch.random.fork_rng(devices=[]):  # the initialisation the cached weights replace: not the caller's
            model, _ = load_model_folder(folder, FORMAT, VERSION, "audio scorer",
                                         lambda meta: AudioScorer(tuple(meta["factors"]), meta["rate"],
                                                                  range_db=meta["range_db"]))
        return model.to(device).eval()
    say = log or (lambda text: print(f"duelo: {text}", file=sys.stderr, flush=True))
    say(f"scorer: training the classifier the scores use on {len(clips):,} real clips ({epochs} epochs, once per "
        f"dataset; cached in {folder.parent})")
    model = train_scorer(clips, epochs, seed, device, say, range_db)
    meta = {"format": FORMAT, "format_version": VERSION, "factors": list(factors), "rate": clips.rate,
            "range_db": range_db,
            "factor_names": list(clips.factors), "epochs": epochs, "seed": seed}
    try:
        commit_folder(folder, lambda out: save_model_folder(out, model, meta))
    except OSError as error:
        say(f"scorer: could not cache the classifier ({error}); it will be trained again next time")
    return model


@torch.no_grad()
def predict(model: AudioScorer, waves: torch.Tensor | np.ndarray, device) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """(features (N, dim), one (N, classes) probability matrix per factor), on the CPU."""
    waves = torch.as_tensor(waves, dtype=torch.float32)
    features, probabilities = [], [[] for _ in model.factors]
    for chunk in waves.split(256):
        h = model.features(chunk.to(device))
        features.append(h.cpu())
        for f, head in enumerate(model.heads):
            probabilities[f].append(head(h).softmax(dim=1).cpu())
    return torch.cat(features), [torch.cat(p) for p in probabilities]
