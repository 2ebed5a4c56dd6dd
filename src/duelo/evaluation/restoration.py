"""Full-reference restoration metrics: PSNR, SSIM and PSNR over the holes, one value per image.

Input convention (one rule, read from the dtype): uint8 tensors are 8-bit images in [0, 255] (data range 255);
floating point tensors are images in [-1, 1] (data range 2). An explicit `data_range` L means images in
[0, L] of any dtype (e.g. 1.0 for float images in [0, 1]). pred and target must share shape (N, C, H, W) and
dtype. Values are not range-checked (that would read the device).

Why the offset matters: PSNR depends on differences only, but SSIM's luminance term (2 mu_x mu_y + C1) /
(mu_x^2 + mu_y^2 + C1) assumes non-negative intensities. Float images in [-1, 1] are therefore shifted to
[0, 2] first, so that a uint8 image and its float version get the same SSIM (to 1e-12), as they do PSNR.
Passing [-1, 1] images to an SSIM that does not shift them (torchmetrics with data_range=2) gives lower,
different numbers. All arithmetic is float64 and vectorised; results are float64 (N,)
tensors on the inputs' device. Per-image values feed means, confidence intervals and worst-case listings.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from duelo.errors import ConfigError

Tensor = torch.Tensor

SSIM_WINDOW = 11        # Wang et al. 2004, section III.C: 11 x 11 circular-symmetric Gaussian window
SSIM_SIGMA = 1.5        # its standard deviation, in pixels
SSIM_K1 = 0.01          # C1 = (K1 L)^2
SSIM_K2 = 0.03          # C2 = (K2 L)^2


def _prepare(owner: str, pred: Tensor, target: Tensor,
             data_range: float | None) -> tuple[Tensor, Tensor, float]:
    """Checks the pair, infers the data range from the dtype and returns float64 copies in [0, range]."""
    if not isinstance(pred, Tensor) or not isinstance(target, Tensor):
        raise ConfigError(f"{owner}: pred and target must be tensors")
    if pred.shape != target.shape or pred.dim() != 4:
        raise ConfigError(f"{owner}: pred and target must both be (N, C, H, W) of the same shape; got "
                          f"{tuple(pred.shape)} and {tuple(target.shape)}")
    if pred.dtype != target.dtype:
        raise ConfigError(f"{owner}: pred is {pred.dtype} but target is {target.dtype}; convert both to "
                          "uint8 "
                          "(range 255) or both to float in [-1, 1] (range 2)")
    if data_range is None:
        if pred.dtype == torch.uint8:
            data_range = 255.0
        elif pred.is_floating_point():
            pred, target = pred.to(torch.float64) + 1.0, target.to(torch.float64) + 1.0    # [-1, 1] -> [0, 2]
            data_range = 2.0
        else:
            raise ConfigError(f"{owner}: images must be uint8 or floating point in [-1, 1] "
                              f"(got {pred.dtype})")
    elif not (isinstance(data_range, (int, float)) and data_range > 0):
        raise ConfigError(f"{owner}: data_range must be a positive number (got {data_range!r})")
    return pred.to(torch.float64), target.to(torch.float64), float(data_range)


def psnr(pred: Tensor, target: Tensor, data_range: float | None = None) -> Tensor:
    """Peak signal-to-noise ratio per image, 10 log10(range^2 / MSE), MSE over all pixels and channels, in dB.
    Identical images give +inf (use mean_psnr to summarise). -> (N,) float64."""
    pred, target, data_range = _prepare("psnr", pred, target, data_range)
    mse = (pred - target).square().flatten(1).mean(dim=1)                        # (N,)
    return 10.0 * torch.log10(data_range ** 2 / mse)


def masked_psnr(pred: Tensor, target: Tensor, mask: Tensor, data_range: float | None = None) -> Tensor:
    """PSNR over the hole pixels only: mask (N, 1, H, W), 1 = hole, broadcast over channels. This is the
    number that judges an inpainting model (the known pixels are copied and would inflate plain PSNR).
    An image without hole pixels gives NaN (no data), a perfect fill +inf. -> (N,) float64."""
    pred, target, data_range = _prepare("masked_psnr", pred, target, data_range)
    if mask.dim() != 4 or mask.shape[1] != 1 or mask.shape[0] != pred.shape[0] \
            or mask.shape[2:] != pred.shape[2:]:
        raise ConfigError(f"masked_psnr: mask must be (N, 1, H, W) = ({pred.shape[0]}, 1, {pred.shape[2]}, "
                          f"{pred.shape[3]}) with 1 on hole pixels; got {tuple(mask.shape)}")
    weights = mask.to(torch.float64)
    squared = ((pred - target).square() * weights).sum(dim=(1, 2, 3))            # (N,)
    count = weights.sum(dim=(1, 2, 3)) * pred.shape[1]
    return 10.0 * torch.log10(data_range ** 2 / (squared / count))


def mean_psnr(values: Tensor, cap_db: float = 100.0) -> float:
    """Mean of per-image PSNRs with +inf (identical images) counted as cap_db, so summaries stay finite.
    100 dB is an MSE of 1e-10 range^2, below float32 rounding of [-1, 1] images: effectively exact. NaN is
    not hidden: it propagates (a NaN prediction must show up)."""
    return float(values.to(torch.float64).clamp(max=cap_db).mean())


def _gaussian_window(dtype: torch.dtype, device: torch.device) -> Tensor:
    """1-D normalised Gaussian taps (SSIM_WINDOW,), the separable factor of the 2-D window."""
    offsets = torch.arange(SSIM_WINDOW, dtype=dtype, device=device) - (SSIM_WINDOW - 1) / 2
    taps = torch.exp(-0.5 * (offsets / SSIM_SIGMA) ** 2)
    return taps / taps.sum()


def _filter_valid(x: Tensor, taps: Tensor) -> Tensor:
    """Separable Gaussian filter without padding (the valid region): (M, 1, H, W) -> (M, 1, H-10, W-10)."""
    x = F.conv2d(x, taps.view(1, 1, 1, -1))
    return F.conv2d(x, taps.view(1, 1, -1, 1))


def ssim(pred: Tensor, target: Tensor, data_range: float | None = None) -> Tensor:
    """Structural similarity (Wang, Bovik, Sheikh & Simoncelli 2004, "Image Quality Assessment: From Error
    Visibility to Structural Similarity", eq. 13 with the section III.C settings): local means, variances
    and covariance under an 11 x 11 Gaussian window (sigma 1.5), C1 = (0.01 L)^2, C2 = (0.03 L)^2; the map
    over the valid region (no padding, as in the authors' ssim_index.m) is averaged over positions and
    channels; torchmetrics 1.9 instead pads by reflection and averages the border positions too, which
    differs by ~1e-2 on 24 x 24 images. Images need sides >= 11.
    Symmetric in pred and target; 1 for identical images. -> (N,) float64."""
    pred, target, data_range = _prepare("ssim", pred, target, data_range)
    n, c, height, width = pred.shape
    if min(height, width) < SSIM_WINDOW:
        raise ConfigError(f"ssim: images must be at least {SSIM_WINDOW} x {SSIM_WINDOW} (the Gaussian "
                          "window); "
                          f"got {height} x {width}")
    taps = _gaussian_window(pred.dtype, pred.device)
    x = pred.reshape(n * c, 1, height, width)
    y = target.reshape(n * c, 1, height, width)
    stats = _filter_valid(torch.cat([x, y, x * x, y * y, x * y]), taps)           # (5 N C, 1, h, w)
    mu_x, mu_y, xx, yy, xy = stats.chunk(5)
    var_x = xx - mu_x * mu_x
    var_y = yy - mu_y * mu_y
    cov = xy - mu_x * mu_y
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    index = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))
    return index.view(n, -1).mean(dim=1)                     # (N,): mean over channels and positions


__all__ = ["masked_psnr", "mean_psnr", "psnr", "ssim"]
