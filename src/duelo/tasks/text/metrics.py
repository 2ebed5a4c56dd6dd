"""Scores of generated lines (lists of tokens) against real ones, written from their definitions.

bleu(hyps, refs, n)       BLEU-n (Papineni et al. 2002) of each hypothesis against the whole reference set
                          (clipped n-gram precisions 1..n, uniform weights, +0.1 smoothing of zero counts, brevity
                          penalty against the closest reference length), averaged over hypotheses: the text-GAN
                          literature's quality score (Yu et al. 2017; Texygen)
self_bleu(lines, n)       BLEU-n of each line against all the others (Zhu et al. 2018): high = repetitive
novelty(lines, train)     share of lines not in the training set
longest_copy(lines, train) per line, the longest run of tokens it shares with any training line, over its length
plausible(lines, train)   share of lines all of whose token trigrams (with start and end marks) occur in training
novel_and_plausible       share of lines that are both: new lines that read as real (the names goal of issue 19)
NgramClassifier           naive Bayes on token 1-3-grams: does a conditional sample read as its class?
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

Line = Sequence[str]
SMOOTH = 0.1


def ngrams(tokens: Line, n: int) -> Counter:
    return Counter(tuple(tokens[k:k + n]) for k in range(len(tokens) - n + 1))


class _References:
    """Per n-gram order: the largest count of each n-gram in any one reference, and the runner-up with the
    index of the holder of the largest (leave-one-out for self-BLEU); the references' lengths."""

    def __init__(self, refs: Sequence[Line], n: int):
        self.best: list[dict] = [dict() for _ in range(n)]
        for index, ref in enumerate(refs):
            for order in range(1, n + 1):
                table = self.best[order - 1]
                for gram, count in ngrams(ref, order).items():
                    top, holder, second = table.get(gram, (0, -1, 0))
                    if count > top:
                        table[gram] = (count, index, top)
                    elif count > second:
                        table[gram] = (top, holder, count)
        self.lengths = sorted({len(ref) for ref in refs})

    def clip(self, order: int, gram: tuple, leave_out: int) -> int:
        top, holder, second = self.best[order - 1].get(gram, (0, -1, 0))
        return second if holder == leave_out else top

    def closest_length(self, length: int) -> int:
        return min(self.lengths, key=lambda r: (abs(r - length), r))


def _sentence_bleu(hyp: Line, refs: _References, n: int, leave_out: int = -1) -> float:
    if not hyp:
        return 0.0
    log_precision = 0.0
    for order in range(1, n + 1):
        grams = ngrams(hyp, order)
        total = sum(grams.values())
        if total == 0:
            log_precision += math.log(SMOOTH / 1.0)
            continue
        matched = sum(min(count, refs.clip(order, gram, leave_out)) for gram, count in grams.items())
        log_precision += math.log((matched or SMOOTH) / total)
    ref_length = refs.closest_length(len(hyp))
    brevity = 1.0 if len(hyp) > ref_length else math.exp(1 - ref_length / len(hyp))
    return brevity * math.exp(log_precision / n)


def bleu(hyps: Sequence[Line], refs: Sequence[Line], n: int) -> float:
    table = _References(refs, n)
    return sum(_sentence_bleu(h, table, n) for h in hyps) / max(1, len(hyps))


def self_bleu(lines: Sequence[Line], n: int) -> float:
    if len(lines) < 2:
        return 0.0
    table = _References(lines, n)
    return sum(_sentence_bleu(line, table, n, leave_out=k) for k, line in enumerate(lines)) / len(lines)


def novelty(lines: Sequence[Line], train: Sequence[Line]) -> float:
    seen = {tuple(line) for line in train}
    return sum(tuple(line) not in seen for line in lines) / max(1, len(lines))


class _Substrings:
    def __init__(self, train: Sequence[Line]):
        self.train, self.sets = train, {}

    def has(self, length: int, grams: set) -> bool:
        if length not in self.sets:
            self.sets[length] = {tuple(t[k:k + length]) for t in self.train for k in range(len(t) - length + 1)}
        return not grams.isdisjoint(self.sets[length])


def longest_copy(lines: Sequence[Line], train: Sequence[Line]) -> list[float]:
    """Per line: the longest token run it shares with a training line, as a fraction of its length."""
    index, out = _Substrings(train), []
    for line in lines:
        low, high = 0, len(line)                   # the answer lies in [low, high]; binary search on length
        while low < high:
            mid = (low + high + 1) // 2
            if index.has(mid, {tuple(line[k:k + mid]) for k in range(len(line) - mid + 1)}):
                low = mid
            else:
                high = mid - 1
        out.append(low / len(line) if line else 0.0)
    return out


def _marked(line: Line) -> list[str]:
    return ["\x02", *line, "\x03"]


def _plausible_flags(lines: Sequence[Line], train: Sequence[Line]) -> list[bool]:
    known = {gram for t in train for gram in ngrams(_marked(t), 3)}
    return [all(gram in known for gram in ngrams(_marked(line), 3)) for line in lines]


def plausible(lines: Sequence[Line], train: Sequence[Line]) -> float:
    return sum(_plausible_flags(lines, train)) / max(1, len(lines))


def novel_and_plausible(lines: Sequence[Line], train: Sequence[Line]) -> float:
    """Share of lines that are not a training line and pass the plausibility check: new lines that read as real."""
    seen = {tuple(t) for t in train}
    flags = _plausible_flags(lines, train)
    return sum(ok and tuple(line) not in seen for line, ok in zip(lines, flags)) / max(1, len(lines))


class NgramClassifier:
    """Multinomial naive Bayes on token 1-3-grams (add-one smoothing), trained on labelled lines."""

    def __init__(self, lines: Sequence[Line], labels: Sequence[int]):
        self.classes = sorted(set(labels))
        self.counts = {c: Counter() for c in self.classes}
        prior = Counter(labels)
        self.log_prior = {c: math.log(prior[c] / len(labels)) for c in self.classes}
        for line, label in zip(lines, labels):
            self.counts[label].update(self._features(line))
        self.totals = {c: sum(self.counts[c].values()) for c in self.classes}
        self.vocab = len(set().union(*self.counts.values()))

    @staticmethod
    def _features(line: Line) -> list[tuple]:
        marked = _marked(line)
        return [gram for n in (1, 2, 3) for gram in ngrams(marked, n)]

    def predict(self, line: Line) -> int:
        scores = defaultdict(float)
        features = self._features(line)
        for c in self.classes:
            denominator = math.log(self.totals[c] + self.vocab)
            scores[c] = self.log_prior[c] + sum(math.log(self.counts[c][g] + 1) - denominator for g in features)
        return max(self.classes, key=lambda c: scores[c])

    def accuracy(self, lines: Sequence[Line], labels: Sequence[int]) -> float:
        return sum(self.predict(line) == label for line, label in zip(lines, labels)) / max(1, len(lines))
