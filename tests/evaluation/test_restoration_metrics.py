"""PSNR / SSIM / masked PSNR: golden values, the uint8 / float convention, inf handling, SSIM relations and a
cross-check against torchmetrics."""

import math

import pytest
import torch

from duelo.errors import ConfigError
from duelo.evaluation.restoration import masked_psnr, mean_psnr, psnr, ssim


def _images(n=4, c=3, size=32, seed=0):
    return torch.rand(n, c, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_psnr_golden_value_from_a_known_mse():
    target = torch.zeros(2, 3, 8, 8)
    pred = target.clone()
    pred[0] += 0.25                                                  # MSE 1/16 on range 2 (exact in binary)
    pred[1, :, :4] += 0.5                                            # half the pixels off by 0.5: MSE 1/8
    values = psnr(pred, target)
    assert values.dtype == torch.float64 and values.shape == (2,)
    assert values[0].item() == pytest.approx(10 * math.log10(64), abs=1e-12)          # 18.0618 dB
    assert values[1].item() == pytest.approx(10 * math.log10(32), abs=1e-12)
    assert psnr(pred.double() * 0.8, target.double())[0].item() == pytest.approx(20.0, abs=1e-12)  # MSE 0.04


def test_psnr_uint8_golden_value_and_agreement_with_float():
    target = torch.randint(0, 256, (3, 3, 16, 16), generator=torch.Generator().manual_seed(1),
                           dtype=torch.uint8)
    pred = (target.int() + 5).clamp(max=255).to(torch.uint8)
    pred_f, target_f = pred.double() / 127.5 - 1, target.double() / 127.5 - 1
    assert torch.allclose(psnr(pred, target), psnr(pred_f, target_f), atol=1e-9)
    flat = torch.full((1, 1, 4, 4), 100, dtype=torch.uint8)
    assert psnr(flat + 10, flat).item() == pytest.approx(10 * math.log10(255 ** 2 / 100), abs=1e-9)
    assert torch.allclose(ssim(pred, target), ssim(pred_f, target_f), atol=1e-12)   # floats shifted to [0, 2]
    unit = ssim(pred_f / 2 + 0.5, target_f / 2 + 0.5, data_range=1.0)             # [0, 1] floats, range given
    assert torch.allclose(unit, ssim(pred, target), atol=1e-12)
    assert psnr(pred_f / 2 + 0.5, target_f / 2 + 0.5, data_range=1.0).allclose(psnr(pred, target))


def test_identical_images_give_inf_and_the_cap_keeps_summaries_finite():
    x = _images()
    y = x.clone()
    y[0] += 0.1
    values = psnr(y, x)
    assert math.isinf(values[1].item()) and values[1] > 0 and math.isfinite(values[0].item())
    summary = mean_psnr(values, cap_db=100.0)
    assert math.isfinite(summary)
    assert summary == pytest.approx((values[0].item() + 3 * 100.0) / 4)
    assert mean_psnr(torch.tensor([float("nan"), 20.0])) != mean_psnr(torch.tensor([20.0]))   # NaN not hidden


def test_masked_psnr_counts_only_the_holes():
    target = torch.zeros(2, 3, 8, 8)
    mask = torch.zeros(2, 1, 8, 8)
    mask[:, :, :2, :] = 1                                            # 16 hole pixels per image
    pred = target.clone()
    pred[:, :, :2, :] = 0.2                                          # error only inside the holes
    pred[1, :, 5:, :] = 0.9                                          # error outside: ignored
    values = masked_psnr(pred, target, mask)
    assert torch.allclose(values, torch.full((2,), 20.0, dtype=torch.float64))
    assert psnr(pred, target)[0] > values[0]                         # the same error spread over all pixels
    assert torch.isinf(masked_psnr(target, target, mask)).all()
    assert torch.isnan(masked_psnr(pred, target, torch.zeros(2, 1, 8, 8))).all()   # no hole pixels: no data
    with pytest.raises(ConfigError, match="mask must be"):
        masked_psnr(pred, target, mask.expand(2, 3, 8, 8))


def test_ssim_identity_symmetry_and_noise_lowers_it():
    x = _images(seed=2)
    assert torch.allclose(ssim(x, x), torch.ones(4, dtype=torch.float64), atol=1e-12)
    generator = torch.Generator().manual_seed(3)
    little = (x + 0.05 * torch.randn(x.shape, generator=generator)).clamp(-1, 1)
    much = (x + 0.3 * torch.randn(x.shape, generator=generator)).clamp(-1, 1)
    assert torch.allclose(ssim(little, x), ssim(x, little), atol=1e-12)
    assert (ssim(much, x) < ssim(little, x)).all() and (ssim(little, x) < 1).all()


def test_ssim_is_per_image_and_refuses_small_images():
    x = _images(n=3, seed=4)
    y = _images(n=3, seed=5)
    together = ssim(x, y)
    alone = torch.cat([ssim(x[i:i + 1], y[i:i + 1]) for i in range(3)])
    assert together.shape == (3,) and torch.allclose(together, alone, atol=1e-12)
    with pytest.raises(ConfigError, match="at least 11"):
        ssim(torch.zeros(1, 1, 10, 10), torch.zeros(1, 1, 10, 10))


def test_mismatched_inputs_are_config_errors():
    with pytest.raises(ConfigError, match="uint8"):
        psnr(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4, dtype=torch.uint8))
    with pytest.raises(ConfigError, match="same shape"):
        ssim(torch.zeros(1, 1, 16, 16), torch.zeros(1, 1, 16, 15))


def test_cross_check_with_torchmetrics():
    """Same numbers as torchmetrics on the same definition. Two differences in convention, both handled here:
    torchmetrics takes images in [0, L] (ours in [-1, 1] are given to it shifted by +1, L = 2, which is what
    our float convention does), and torchmetrics 1.9 averages its SSIM map over the whole image after
    reflection padding, borders included, where Wang et al.'s reference code (and ours) keeps the valid
    region only. So the SSIM map it returns (return_full_image=True) is cropped by 5 pixels and averaged."""
    pytest.importorskip("torchmetrics")
    try:
        from torchmetrics.functional.image import (peak_signal_noise_ratio,
                                                   structural_similarity_index_measure)
    except Exception as error:                                       # e.g. an image extra needing torchvision
        pytest.skip(f"torchmetrics image functions do not import here: {error}")

    def their_ssim(a, b):
        _, full = structural_similarity_index_measure(a + 1, b + 1, data_range=2.0, reduction="none",
                                                      return_full_image=True)
        return full[..., 5:-5, 5:-5].flatten(1).mean(dim=1).double()    # (N,) over the valid region

    for channels in (1, 3):
        target = _images(n=3, c=channels, size=24, seed=6).double()
        pred = (target + 0.2 * torch.randn(target.shape, generator=torch.Generator().manual_seed(7),
                                           dtype=torch.float64)).clamp(-1, 1)
        theirs_psnr = peak_signal_noise_ratio(pred, target, data_range=2.0, reduction="none", dim=(1, 2, 3))
        assert torch.allclose(psnr(pred, target), theirs_psnr.double(), atol=1e-4)
        assert torch.allclose(ssim(pred, target), their_ssim(pred, target), atol=1e-4)
        a = _images(n=2, c=channels, size=32, seed=8)
        b = _images(n=2, c=channels, size=33, seed=9)[..., :32, :32]
        assert torch.allclose(ssim(a, b), their_ssim(a, b), atol=1e-4)          # float32, unrelated images
        assert torch.allclose(psnr(a, b), peak_signal_noise_ratio(a, b, data_range=2.0, reduction="none",
                                                                  dim=(1, 2, 3)).double(), atol=1e-4)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    x, y = _images(seed=10), _images(seed=11)
    for metric in (psnr, ssim):
        assert torch.allclose(metric(x.cuda(), y.cuda()).cpu(), metric(x, y), atol=1e-9)
