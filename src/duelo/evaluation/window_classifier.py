"""Usefulness for classification of time-series windows: a window classifier (the context-FID encoder of
sequence_models.py with a class head) and the accuracy it reaches on real test windows. Trained on synthetic
windows and on real ones with the same seed ("train on synthetic, test on real" against "train on real"), the two
accuracies say how much of the real data's usefulness the synthetic windows keep; `duelo augment-gain` also uses
the classifier's probabilities to choose synthetic windows."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from duelo.errors import ConfigError
from duelo.evaluation.sequence_models import SequenceEncoder, check_positive, index_batches, seeded_init
from duelo.evaluation.sequences import Sequences, as_sequences, check_channels


class WindowClassifier:
    """A trained window classifier (`train_window_classifier`): class probabilities of windows, in batches."""

    def __init__(self, model: SequenceEncoder, device: torch.device):
        self.model, self.device = model.eval(), device

    def logits(self, seq: Sequences, batch_size: int = 4096) -> torch.Tensor:
        with torch.no_grad():
            return torch.cat([self.model(seq.values[s:s + batch_size], seq.lengths[s:s + batch_size])
                              for s in range(0, len(seq), batch_size)])

    def probabilities(self, windows: torch.Tensor | np.ndarray, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(N, classes) softmax probabilities of windows (N, T, C) on the training windows' scale."""
        seq = as_sequences(windows, lengths, name="windows", lengths_name="lengths", device=self.device)
        if seq.values.shape[2] != self.model.channels:
            raise ConfigError(f"windows: {seq.values.shape[2]} channels, the classifier was trained on "
                              f"{self.model.channels}")
        return self.logits(seq).softmax(1).cpu()


def train_window_classifier(train: torch.Tensor | np.ndarray, train_labels: torch.Tensor, classes: int,
                            *,
                            seed: int = 0,
                            steps: int = 1000,              # optimiser steps
                            batch_size: int = 128,
                            train_lengths: torch.Tensor | None = None,
                            device: str | torch.device = "cpu",
                            init: torch.nn.Module | None = None) -> WindowClassifier:
    """A `SequenceEncoder` whose output is the class logits, trained on (train, train_labels) with cross-entropy,
    Adam 1e-3; initialised and batched from `seed` alone, or started from `init`'s weights (fine-tuning).
    `train_labels` are class indices (N,) or, as targets to match, class probabilities (N, classes): a teacher's
    soft labels (augment-gain --soft)."""
    device = torch.device(device)
    tr = as_sequences(train, train_lengths, name="train", lengths_name="train_lengths", device=device)
    classes, steps = check_positive(classes, "classes"), check_positive(steps, "steps")
    batch_size = check_positive(batch_size, "batch_size")
    y_train = torch.as_tensor(train_labels, device=device)
    if len(y_train) != len(tr):
        raise ConfigError(f"labels: {len(y_train)} labels for {len(tr)} training windows")
    with seeded_init(seed, device):
        model = SequenceEncoder(tr.values.shape[2], classes).to(device)
    if init is not None:
        model.load_state_dict(init.state_dict())
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    for i in index_batches(len(tr), batch_size, steps, seed + 1, device):
        loss = F.cross_entropy(model(tr.values[i], tr.lengths[i]), y_train[i])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    return WindowClassifier(model, device)


def classification_accuracy(train: torch.Tensor | np.ndarray, train_labels: torch.Tensor,
                            test: torch.Tensor | np.ndarray, test_labels: torch.Tensor,
                            classes: int,
                            *,
                            seed: int = 0,
                            steps: int = 1000,            # optimiser steps
                            batch_size: int = 128,
                            train_lengths: torch.Tensor | None = None,
                            test_lengths: torch.Tensor | None = None,
                            device: str | torch.device = "cpu") -> float:
    """Accuracy on (test, test_labels) of a window classifier trained on (train, train_labels)
    (`train_window_classifier`). Train it on synthetic windows and on real ones with the same seed ("train on
    synthetic, test on real" against "train on real"): the ratio says how much of the real data's usefulness for
    classification the synthetic windows keep."""
    device = torch.device(device)
    tr = as_sequences(train, train_lengths, name="train", lengths_name="train_lengths", device=device)
    te = as_sequences(test, test_lengths, name="test", lengths_name="test_lengths", device=device)
    check_channels(tr, te)
    y_test = torch.as_tensor(test_labels, device=device)
    if len(torch.as_tensor(train_labels)) != len(tr) or len(y_test) != len(te):
        raise ConfigError(f"labels: {len(train_labels)} and {len(y_test)} labels for {len(tr)} and {len(te)} "
                          f"windows")
    classifier = train_window_classifier(tr.values, train_labels, classes, seed=seed, steps=steps,
                                         batch_size=batch_size, train_lengths=tr.lengths, device=device)
    return float((classifier.logits(te).argmax(1) == y_test).double().mean())
