"""The pix2pix and CycleGAN objectives: which terms, what they measure, and inpainting's paste-back."""

from __future__ import annotations

import torch
from torch import nn

from duelo.degrade import build_degradation
from duelo.losses import LOSSES
from duelo.tasks.cyclegan.objective import CycleObjective
from duelo.tasks.image2image.objective import PairedObjective


def terms(objective, phase: str, batch):
    """The Terms of the objective's phase called `phase`, as the trainer computes them."""
    chosen = next(p for p in objective.phases if p.name == phase)
    return chosen.terms(batch, torch.Generator(), 4)


class Constant(nn.Module):
    """A 'translator' that outputs a constant image of `channels` channels (ignores its input)."""

    def __init__(self, channels: int, value: float = 0.25):
        super().__init__()
        self.channels, self.value = channels, nn.Parameter(torch.tensor(value))

    def forward(self, x):
        return self.value.expand(x.shape[0], self.channels, *x.shape[2:])


class Identity(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x):
        return x * self.scale


class MeanCritic(nn.Module):
    def forward(self, x):
        return x.mean(1)                                   # (N, H, W) "patch" logits


def test_inpainting_output_keeps_known_pixels_exactly():
    images = torch.rand(6, 3, 16, 16) * 2 - 1
    G = Constant(3, value=0.123)
    objective = PairedObjective(G, MeanCritic(), LOSSES.get("bce"), degradation=build_degradation("boxes"),
                                paste_back=True)
    example = objective.example((images, None), torch.Generator().manual_seed(0))
    assert example.condition.shape == (6, 4, 16, 16) and example.mask.shape == (6, 1, 16, 16)
    out = objective.output(example)
    known = example.mask.expand_as(out) < 0.5
    assert torch.equal(out[known], images[known])                  # bit for bit
    assert torch.all(out[~known] == 0.123)
    assert known.float().mean() < 0.95                             # there are holes


def test_without_paste_back_the_raw_output_is_used():
    images = torch.rand(2, 1, 16, 16)
    objective = PairedObjective(Constant(1), MeanCritic(), LOSSES.get("bce"),
                                degradation=build_degradation("boxes"), paste_back=False)
    out = objective.output(objective.example((images, None), torch.Generator().manual_seed(0)))
    assert torch.all(out == 0.25)


def test_paired_terms_l1_is_weighted_and_d_sees_pairs():
    source, target = torch.zeros(4, 1, 8, 8), torch.full((4, 1, 8, 8), 0.75)
    objective = PairedObjective(Constant(1, 0.25), MeanCritic(), LOSSES.get("lsgan"), l1_weight=100.0)
    g = terms(objective, "G", (source, target))
    assert torch.isclose(g.stats["G_l1"], torch.tensor(0.5)) and torch.isclose(g.losses["G_l1"], torch.tensor(50.0))
    d = terms(objective, "D", (source, target))
    # D's input is cat(source, image): the mean over 2 channels of (0, 0.75) and (0, 0.25)
    assert torch.isclose(d.stats["D_real"], torch.tensor(0.375))
    assert torch.isclose(d.stats["D_fake"], torch.tensor(0.125))


def test_cycle_terms_vanish_for_identity_translators_and_not_for_constants():
    a, b = torch.rand(4, 1, 8, 8) * 2 - 1, torch.rand(4, 1, 8, 8) * 2 - 1
    loss = LOSSES.get("lsgan")
    same = CycleObjective(Identity(), Identity(), MeanCritic(), MeanCritic(), loss)
    g = terms(same, "G", (a, b)).stats
    assert g["G_cycle_a"] == 0 and g["G_cycle_b"] == 0 and g["G_identity"] == 0
    other = CycleObjective(Constant(1), Constant(1), MeanCritic(), MeanCritic(), loss, cycle_weight=10.0,
                           identity_weight=0.5)
    g = terms(other, "G", (a, b))
    expected = (0.25 - a).abs().mean()
    assert torch.isclose(g.stats["G_cycle_a"], expected)
    assert torch.isclose(g.losses["G_cycle"], 10 * (expected + (0.25 - b).abs().mean()))
    assert torch.isclose(g.losses["G_identity"], 5 * g.stats["G_identity"])
    assert {"D_a", "D_b"} <= set(terms(other, "D", (a, b)).losses)
    assert [p.players for p in other.phases] == [("D_a", "D_b"), ("G_ab", "G_ba")]


def test_a_residual_g_that_outputs_zero_returns_its_input_and_blur_prefill_fills_the_holes():
    """residual + blur pre-fill: an untrained-like G (zero correction) already gives the smooth fill, and the
    known pixels stay exact."""
    from duelo.degrade.baselines import blur_fill

    ramp = torch.linspace(-1, 1, 16).view(1, 1, 1, 16).expand(3, 1, 16, 16).contiguous()
    objective = PairedObjective(Constant(1, value=0.0), MeanCritic(), LOSSES.get("bce"),
                                degradation=build_degradation("boxes"), paste_back=True, residual=True,
                                hole_fill="blur")
    example = objective.example((ramp, None), torch.Generator().manual_seed(1))
    holes = example.mask > 0.5
    assert torch.all(example.condition[:, :1][holes] != 0)            # G sees a fill, not mid-grey
    out = objective.output(example)
    assert torch.equal(out[~holes], ramp[~holes])
    assert torch.allclose(out, blur_fill(example.source, example.mask, iterations=8))
    assert (out - ramp).abs().max() < 0.2                              # a ramp is filled nearly exactly


def test_residual_output_is_clamped_and_grey_fill_leaves_holes_at_zero():
    from duelo.degrade.model_io import finish_output, network_input

    source = torch.full((1, 1, 4, 4), 0.9)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :2, :2] = 1
    condition, base = network_input(torch.where(mask > 0.5, 0.0, source), mask, "grey")
    assert condition.shape == (1, 2, 4, 4) and torch.all(base[mask > 0.5] == 0)
    out = finish_output(torch.full((1, 1, 4, 4), 0.5), source, source, None, residual=True)
    assert torch.all(out == 1.0)                                       # 0.9 + 0.5 clamped
