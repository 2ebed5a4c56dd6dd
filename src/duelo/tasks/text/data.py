"""The lines of a text run: a seeded split (80 % to train on, 20 % held out: the references of every score),
the vocabulary of the training lines, each part encoded to rows of token ids, and the feed that hands the
trainer one-hot batches."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional as F

from duelo.data.errors import DataError
from duelo.tasks.text.sources import TextLines, load_text
from duelo.tasks.text.vocab import Vocabulary
from duelo.training.feed import BatchFeed

HELDOUT_FRACTION = 0.2
SPLIT_SEED = 0
LENGTH_QUANTILE = 0.99


@dataclass
class TextPart:
    lines: list[str]
    labels: torch.Tensor | None           # (N,) int64
    ids: torch.Tensor                     # (N, max_len) int64

    def __len__(self) -> int:
        return len(self.lines)


@dataclass
class TextData:
    train: TextPart
    heldout: TextPart
    vocab: Vocabulary
    max_len: int
    class_names: list[str]
    source: str


def _pick(text: TextLines, index: list[int]) -> tuple[list[str], list[int] | None]:
    return [text.lines[k] for k in index], None if text.labels is None else [text.labels[k] for k in index]


def load_text_data(config) -> TextData:
    d = config.data
    text = load_text(d.dataset)
    order = torch.randperm(len(text.lines), generator=torch.Generator().manual_seed(SPLIT_SEED)).tolist()
    if d.max_lines:
        order = order[:d.max_lines]
    held = max(1, round(len(order) * HELDOUT_FRACTION))
    if len(order) - held < 2:
        raise DataError(f"{d.dataset}: {len(order)} lines; a text run needs at least a few dozen")
    train_lines, train_labels = _pick(text, order[held:])
    held_lines, held_labels = _pick(text, order[:held])
    vocab = Vocabulary.build(train_lines, d.level, d.max_vocab)
    lengths = torch.tensor([len(vocab.split(line)) + 1 for line in train_lines], dtype=torch.float)
    max_len = d.max_len or int(torch.quantile(lengths, LENGTH_QUANTILE).ceil())

    def part(lines, labels) -> TextPart:
        return TextPart(lines, None if labels is None else torch.tensor(labels, dtype=torch.long),
                        vocab.encode_lines(lines, max_len))

    return TextData(part(train_lines, train_labels), part(held_lines, held_labels), vocab, max_len,
                    text.class_names, text.source)


class TokenFeed(BatchFeed):
    """Batches of training lines as one-hot rows (N, max_len, V) float, with their labels."""

    def __init__(self, ids: torch.Tensor, labels: torch.Tensor | None, vocab_size: int, batch: int, seed: int,
                 device: torch.device):
        super().__init__(ids.float(), labels, batch, seed, device)
        self.vocab_size = int(vocab_size)

    def next(self, generator: torch.Generator | None = None):
        ids, labels = super().next(generator)
        return F.one_hot(ids.long(), self.vocab_size).float(), labels
