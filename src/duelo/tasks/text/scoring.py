"""The summary's scores of a text generator against the run's held-out lines (metrics.py), each beside the
figure of real held-out lines where one applies (`*_real`): BLEU-2..5 against held-out references (quality),
self-BLEU-2..5 (repetition), novelty and the longest copy from training (memorisation), the share of
plausible-looking lines (all token trigrams seen in training), the NLL of held-out lines per token, the Fréchet
distance between MiniLM sentence embeddings of generated and held-out lines (where those weights are installed),
and for conditional models whether samples read as their class."""

from __future__ import annotations

import torch

from duelo.tasks.text import metrics

ORDERS = (2, 3, 4, 5)
MAX_REFERENCES = 5000        # BLEU references and self-BLEU lines are capped (cost grows with their number)


def _tokens(vocab, lines: list[str]) -> list[list[str]]:
    return [vocab.split(line) for line in lines]


def heldout_nll(G, data, device="cpu") -> float:
    """The held-out lines' negative log-likelihood under G, nats per token (the end mark counts as a token)."""
    ids = data.heldout.ids.to(device)
    labels = data.heldout.labels.to(device) if G.c_dim else None
    total, tokens = 0.0, 0
    with torch.no_grad():
        for k in range(0, len(ids), 512):
            part = ids[k:k + 512]
            total += float(G.nll(part, None if labels is None else labels[k:k + 512]).sum())
            tokens += int((part != 0).sum())
    return round(total / max(1, tokens), 4)


def embedding_fd(embed, fake: list[str], real_hyps: list[str], real_refs: list[str]) -> tuple[float, float]:
    """(FD of generated lines to the references, FD of as many held-out lines to the same references): the same
    count on both sides, since the distance's bias depends on it."""
    from duelo.evaluation.frechet import FeatureStats, frechet_distance

    count = min(len(fake), len(real_hyps))
    reference = FeatureStats.from_features(embed(real_refs))
    return tuple(round(frechet_distance(FeatureStats.from_features(embed(lines[:count])), reference), 4)
                 for lines in (fake, real_hyps))


def score_lines(data, lines: list[str], labels: torch.Tensor | None, G=None, device="cpu", embed=None) -> dict:
    vocab = data.vocab
    fake = _tokens(vocab, lines)
    held = _tokens(vocab, data.heldout.lines)
    train = _tokens(vocab, data.train.lines)
    refs = held[:MAX_REFERENCES]
    half = len(refs) // 2               # the real floor: held-out lines against the other held-out lines
    real_hyps, real_refs = refs[:min(half, len(fake))], refs[half:]
    scores: dict = {"samples": len(lines)}
    for n in ORDERS:
        scores[f"bleu{n}"] = round(metrics.bleu(fake, real_refs, n), 4)
        scores[f"bleu{n}_real"] = round(metrics.bleu(real_hyps, real_refs, n), 4)
    for n in ORDERS:
        scores[f"self_bleu{n}"] = round(metrics.self_bleu(fake[:len(real_hyps)], n), 4)
        scores[f"self_bleu{n}_real"] = round(metrics.self_bleu(real_hyps, n), 4)
    scores["novelty"] = round(metrics.novelty(fake, train), 4)
    scores["novelty_real"] = round(metrics.novelty(held, train), 4)
    copies = metrics.longest_copy(fake[:1000], train)
    real_copies = metrics.longest_copy(held[:1000], train)
    scores["longest_copy"] = round(sum(copies) / max(1, len(copies)), 4)
    scores["longest_copy_real"] = round(sum(real_copies) / max(1, len(real_copies)), 4)
    scores["plausible"] = round(metrics.plausible(fake, train), 4)
    scores["plausible_real"] = round(metrics.plausible(held, train), 4)
    scores["novel_plausible"] = round(metrics.novel_and_plausible(fake, train), 4)
    scores["novel_plausible_real"] = round(metrics.novel_and_plausible(held, train), 4)
    scores["length"] = round(sum(map(len, fake)) / max(1, len(fake)), 2)
    scores["length_real"] = round(sum(map(len, held)) / max(1, len(held)), 2)
    if embed is not None:
        held_lines = data.heldout.lines[:MAX_REFERENCES]
        scores["embedding_fd"], scores["embedding_fd_real"] = embedding_fd(
            embed, lines, held_lines[:len(real_hyps)], held_lines[half:])
    if G is not None:
        scores["nll_per_token"] = heldout_nll(G, data, device)
    if labels is not None and data.train.labels is not None:
        classifier = metrics.NgramClassifier(train, data.train.labels.tolist())
        scores["class_accuracy"] = round(classifier.accuracy(fake, labels.tolist()), 4)
        scores["class_accuracy_real"] = round(classifier.accuracy(held, data.heldout.labels.tolist()), 4)
    return scores
