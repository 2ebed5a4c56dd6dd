"""Tokens of the text task: a vocabulary built from the training lines at character or word level, with four
special tokens, and the encoding of lines to fixed-length rows of token ids (ended by EOS, padded with PAD).

    vocab = Vocabulary.build(lines, "char")
    ids = vocab.encode_lines(lines, max_len)      # (N, max_len) int64
    vocab.decode(ids[0])                           # the line back (stops at EOS)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from duelo.registry import Registry

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
PAD_ID, BOS_ID, EOS_ID, UNK_ID = range(4)
WORD = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")


@dataclass(frozen=True)
class Level:
    split: Callable[[str], list[str]]             # a line -> its tokens
    join: str                                     # what goes between tokens when a line is written back
    description: str


LEVELS: Registry[Level] = Registry("text level")
LEVELS.add("char", Level(list, "", "one token per character (names, words)"))
LEVELS.add("word", Level(WORD.findall, " ", "words and punctuation marks (verses, sentences)"))


def _detokenise_words(text: str) -> str:
    """'hello , world !' -> 'hello, world!' (no space before closing punctuation)."""
    return re.sub(r" ([,.;:!?)\]'’])", r"\1", re.sub(r"([(\[]) ", r"\1", text))


class Vocabulary:
    def __init__(self, tokens: Sequence[str], level: str):
        if tuple(tokens[:4]) != SPECIALS:
            raise ValueError("a vocabulary starts with the four special tokens")
        self.tokens = list(tokens)
        self.level = level
        self.index = {token: k for k, token in enumerate(self.tokens)}

    @classmethod
    def build(cls, lines: Sequence[str], level: str, max_size: int = 0) -> Vocabulary:
        """The training lines' tokens, most frequent first (ties by first appearance); max_size > 0 keeps that
        many (the rest read as UNK)."""
        counts = Counter(token for line in lines for token in LEVELS.get(level).split(line))
        ranked = [token for token, _ in counts.most_common(max_size - len(SPECIALS) if max_size else None)]
        return cls([*SPECIALS, *ranked], level)

    def __len__(self) -> int:
        return len(self.tokens)

    def split(self, line: str) -> list[str]:
        return LEVELS.get(self.level).split(line)

    def encode_lines(self, lines: Sequence[str], max_len: int) -> torch.Tensor:
        """(N, max_len) ids: each line's tokens (cut at max_len - 1), EOS, then PAD."""
        rows = torch.full((len(lines), max_len), PAD_ID, dtype=torch.long)
        for row, line in enumerate(lines):
            ids = [self.index.get(token, UNK_ID) for token in self.split(line)][:max_len - 1] + [EOS_ID]
            rows[row, :len(ids)] = torch.tensor(ids)
        return rows

    def decode(self, ids) -> str:
        """A row of ids back to text, up to the first EOS (PAD and BOS skipped, UNK shown as '?')."""
        out = []
        for k in (ids.tolist() if hasattr(ids, "tolist") else ids):
            if k == EOS_ID:
                break
            if k in (PAD_ID, BOS_ID):
                continue
            out.append("?" if k == UNK_ID else self.tokens[k])
        text = LEVELS.get(self.level).join.join(out)
        return _detokenise_words(text) if self.level == "word" else text

    def state(self) -> dict:
        return {"level": self.level, "tokens": self.tokens}

    @classmethod
    def from_state(cls, state: dict) -> Vocabulary:
        return cls(state["tokens"], state["level"])
