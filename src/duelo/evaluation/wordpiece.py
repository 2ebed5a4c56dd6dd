"""The uncased BERT tokenizer that MiniLM sentence embeddings expect: text -> ids of a WordPiece vocabulary.

Two steps, as described in the BERT paper (Devlin et al. 2019, §3) and its released vocabulary format:
1. basic splitting: control characters dropped, white space normalised, CJK ideographs set apart, lower case,
   accents removed (Unicode NFD without combining marks), punctuation split off as tokens of its own;
2. WordPiece: each word is cut greedily into the longest pieces found in the vocabulary, pieces after the first
   carrying the "##" prefix; a word that cannot be cut (or is longer than 100 characters) becomes [UNK].
The ids are framed as [CLS] ... [SEP] and cut to the model's length.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from duelo.errors import DataError

MAX_WORD_CHARS = 100
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True              # ASCII symbols such as $ and ^ count as punctuation for BERT too
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
            or 0x2A700 <= code <= 0x2B73F or 0x2B740 <= code <= 0x2B81F or 0x2B820 <= code <= 0x2CEAF
            or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F)


def _clean(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if char in "\t\n\r" or unicodedata.category(char) == "Zs":
            out.append(" ")
        elif code == 0 or code == 0xFFFD or unicodedata.category(char).startswith("C"):
            continue
        elif _is_cjk(code):
            out.append(f" {char} ")
        else:
            out.append(char)
    return "".join(out)


def basic_split(text: str) -> list[str]:
    """Lower-cased, accent-free words and punctuation marks, in order."""
    words = []
    for word in _clean(text).split():
        word = "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")
        current = ""
        for char in word:
            if _is_punctuation(char):
                if current:
                    words.append(current)
                words.append(char)
                current = ""
            else:
                current += char
        if current:
            words.append(current)
    return words


class WordPiece:
    """`encode(line)` -> ids framed by [CLS]/[SEP], at most `max_length` long."""

    def __init__(self, vocab: dict[str, int], max_length: int = 256):
        missing = [token for token in SPECIALS if token not in vocab]
        if missing:
            raise DataError(f"the WordPiece vocabulary has no {missing[0]} token; it is not a BERT vocabulary")
        self.vocab = vocab
        self.max_length = max_length
        self.pad, self.unk, self.cls, self.sep = (vocab[token] for token in SPECIALS)

    @classmethod
    def from_file(cls, path: Path, max_length: int = 256) -> WordPiece:
        """vocab.txt: one token per line, the line number is its id."""
        try:
            tokens = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise DataError(f"{path}: cannot read the WordPiece vocabulary ({error})") from None
        return cls({token: k for k, token in enumerate(tokens)}, max_length)

    def pieces(self, word: str) -> list[int]:
        if len(word) > MAX_WORD_CHARS:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    break
                end -= 1
            if end == start:
                return [self.unk]
            start = end
        return ids

    def encode(self, text: str) -> list[int]:
        ids = [piece for word in basic_split(text) for piece in self.pieces(word)]
        return [self.cls, *ids[:self.max_length - 2], self.sep]
