"""audio.aux_fakes (ADC-GAN): D's classifier head has a real and a generated class per label, D learns to name G's
clips among the generated ones, G is still trained towards the real ones; without aux_weight it is refused."""

from __future__ import annotations

import json
import math

import pytest
import torch

from duelo.cli.main import main
from duelo.losses.adversarial import LOSSES
from duelo.nn.conditioning import ClassifierHead
from duelo.objectives.gan import GANObjective
from duelo.tasks.audio.networks import SpecDiscriminator, SpecGenerator
from tests.audio.made_up import made_up_clips

FACTORS = (3, 4)


def test_a_twin_head_names_generated_samples_among_classes_of_their_own():
    torch.manual_seed(0)
    head = ClassifierHead(FACTORS, 5, twin=True)
    assert head.head.out_features == 2 * sum(FACTORS)
    labels = torch.tensor([0, 5, 11])                       # (instrument, pitch): (0, 0), (1, 1), (2, 3)
    instrument, pitch = torch.tensor([0, 1, 2]), torch.tensor([0, 1, 3])
    features = torch.randn(3, 5)
    logits = head.head(features)
    by_factor = logits[:, :6], logits[:, 6:]                # [3 real | 3 generated], [4 real | 4 generated]
    ce = torch.nn.functional.cross_entropy
    for fake, shift in ((False, (0, 0)), (True, (3, 4))):
        expected = (ce(by_factor[0], instrument + shift[0], reduction="none")
                    + ce(by_factor[1], pitch + shift[1], reduction="none"))
        assert torch.allclose(head(features, labels, fake=fake), expected, atol=1e-6)
    with pytest.raises(ValueError, match="twin"):
        ClassifierHead(FACTORS, 5)(features, labels, fake=True)


def _objective(twin: bool):
    torch.manual_seed(0)
    G = SpecGenerator(64, 32, z_dim=8, width=4, factors=FACTORS, embed_dim=4)
    D = SpecDiscriminator(64, 32, width=4, factors=FACTORS, classify=True, twin=twin)
    labels = torch.arange(12)
    return GANObjective(G, D, LOSSES.get("hinge"), label_pool=labels, aux_weight=1.0), D, labels


def test_d_learns_the_fakes_classes_and_g_is_trained_towards_the_real_ones():
    objective, D, labels = _objective(twin=True)
    real = torch.randn(12, 2, 64, 32)
    terms = objective._discriminator_terms((real, labels), torch.Generator().manual_seed(1), 12)
    assert {"D_aux", "D_aux_fake"} <= set(terms.losses) and "D_class_ce_fake" in terms.stats
    D.zero_grad()
    terms.losses["D_aux_fake"].backward()
    grad = D.classifier.head.weight.grad.abs().sum(dim=1)           # rows: inst real 3, inst fake 3, pitch 4 + 4
    assert grad[3:6].sum() > 0 and grad[10:14].sum() > 0           # the generated classes learn
    g_terms = objective._generator_terms(None, torch.Generator().manual_seed(2), 12)
    assert "G_aux" in g_terms.losses and "D_aux_fake" not in g_terms.losses
    # G is trained towards the real classes: its term falls to log 3 + log 4 (the real classes alike) when the
    # head's real logits rise, and grows when the generated ones do
    def g_aux(classes):
        with torch.no_grad():
            D.classifier.head.weight.zero_()                # the logits are the biases alone
            D.classifier.head.bias.zero_()
            D.classifier.head.bias[classes] = 20.0
        return float(objective._generator_terms(None, torch.Generator().manual_seed(2), 12).losses["G_aux"])

    assert g_aux([0, 1, 2, 6, 7, 8, 9]) == pytest.approx(math.log(3) + math.log(4), abs=1e-4)
    assert g_aux([3, 4, 5, 10, 11, 12, 13]) > 35
    plain, _, _ = _objective(twin=False)
    plain_terms = plain._discriminator_terms((real, labels), torch.Generator().manual_seed(1), 12)
    assert "D_aux_fake" not in plain_terms.losses


def test_a_run_trains_with_it_and_without_the_classifier_term_it_is_refused_by_name(tmp_path, monkeypatch,
                                                                                     capsys):
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    tones = made_up_clips(tmp_path / "tones.npz")
    common = ["train", "--task", "audio", "--model", "specgan-m", "--width", "4", "--batch", "8", "--dataset",
              str(tones), "--kimg", "0.02", "--out", str(tmp_path), "--set", "audio.eval_clips=8", "--set",
              "audio.scorer_epochs=1", "--set", "audio.aux_fakes=true", "--device", "cpu", "--conditional"]
    assert main([*common, "--name", "no-term"]) != 0
    assert "audio.aux_fakes" in capsys.readouterr().err
    assert not (tmp_path / "no-term" / "model").exists()
    assert main([*common, "--set", "audio.aux_weight=1", "--name", "adc"]) == 0
    rows = [json.loads(line) for line in (tmp_path / "adc" / "metrics.jsonl").read_text().splitlines()]
    assert any("D_class_ce_fake" in row for row in rows)
