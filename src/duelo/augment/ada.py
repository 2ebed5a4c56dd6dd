"""`ada`: Adaptive Discriminator Augmentation (Karras, Aittala, Hellsten, Laine, Lehtinen & Aila 2020,
"Training Generative Adversarial Networks with Limited Data", section 3 and appendix B).

The "bgc" pipeline (blit + geometric + colour). Each transform is applied to each sample independently
with probability p (a per-sample mask, so the step stays free of host branches):
  blit       x-flip                 i ~ U{0, 1}                    scale x by 1 - 2i
             90-degree rotations    k ~ U{0, 1, 2, 3}              rotate by k * 90 degrees
             integer translation    t ~ U(-0.125, 0.125)^2         shift by round(tx W), round(ty H) pixels
  geometric  isotropic scaling      s ~ lognormal(0, (0.2 ln 2)^2)
             rotation               theta ~ U(-pi, pi)             probability 1 - sqrt(1 - p), and again
                                                                   after the anisotropic scaling (the
                                                                   paper's way of keeping P(rotated) = p)
             anisotropic scaling    s ~ lognormal(0, (0.2 ln 2)^2) scale (s, 1/s)
             fractional translation t ~ N(0, 0.125^2)^2            shift by tx W, ty H pixels
  colour     brightness             b ~ N(0, 0.2^2)                add b
             contrast               c ~ lognormal(0, (0.5 ln 2)^2) scale by c (around 0 = mid-grey)
             luma flip              i ~ U{0, 1}                    mirror along the grey axis v = (1,1,1)/√3
             hue rotation           theta ~ U(-pi, pi)             rotate around v
             saturation             s ~ lognormal(0, (1 ln 2)^2)   scale the part orthogonal to v by s
Grey images (C = 1) get brightness, contrast and luma flip only (luma flip is then x -> -x: inversion
around mid-grey 0, exactly what the RGB luma flip does to a grey pixel); hue and saturation act on colour.

The geometric transforms are composed into one 3x3 matrix per sample in normalised coordinates and applied
with ONE affine_grid + bilinear resampling with reflection padding (align_corners=False, so the identity
samples every pixel centre; samples whose geometric transforms all missed pass through untouched, so p = 0
returns the input exactly). The sampler computes what F.grid_sample does, with gather, because R1 through the
augmentation differentiates it twice. Simplification: the paper up-samples with a wavelet (symmetric
Daubechies-4) filter before resampling to limit aliasing; plain bilinear is used here.
The colour transforms are composed into one 4x4 homogeneous matrix per sample, applied to RGB values.

Non-square images (H != W, say 48 x 64): the transforms are those of pixel space, as in the paper's code.
Translations are fractions of each side (as for a square); rotations (quarter turns included) turn the
picture rigidly about its centre, so their matrices in normalised coordinates carry the aspect ratio H/W
(a plain rotation there would shear the picture); scalings are diagonal and need nothing. A quarter turn
of a non-square picture cannot fill the frame: what it uncovers is filled by the reflection padding, as
for any other transform (and when H and W differ in parity the turned pixel centres fall half a pixel
between the input's, so the result is interpolated). Square images give exactly what they gave before.

RGBA images (4 channels, alpha last, -1 transparent .. 1 opaque): the geometric stage resamples all four
channels with the same grid, so the alpha moves with the colour, and the reflection padding fills alpha
and colour from the same mirrored pixel (no extra rule is needed: an emptied region never appears). The
colour stage applies the 4x4 matrix to RGB only and passes the alpha through unchanged. The random draws
do not depend on the alpha, so the RGB part comes out as a 3-channel call on the RGB part would give.

The controller (section 3, "adaptive discriminator augmentation"): r_t = E[sign(D(real))] over the last
`adjust_nimg` reals; p <- clamp(p + sign(r_t - target) * nimg / (speed_kimg * 1000), 0, 1), so that p can
cross [0, 1] in `speed_kimg` thousand images. r_t near 1 means D is confident on (i.e. overfits) the reals.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from duelo.augment.base import (AUGMENTS, Augment, check_channels, check_images, colour_only, integers,
                                normal, sample_bilinear_reflect, uniform)
from duelo.errors import ConfigError

Tensor = torch.Tensor

XINT_MAX = 0.125                 # integer translation: max shift as a fraction of the side
SCALE_STD = 0.2 * math.log(2)    # std of log-scale, isotropic and anisotropic
XFRAC_STD = 0.125                # fractional translation std, as a fraction of the side
BRIGHTNESS_STD = 0.2
CONTRAST_STD = 0.5 * math.log(2)
SATURATION_STD = 1.0 * math.log(2)

# The transforms in the order they are drawn and applied (the names of AdaptiveAugment._gate's calls).
GEOMETRIC = ("xflip", "rotate90", "xint", "scale", "rotate", "aniso", "rotate_again", "xfrac")
COLOUR = ("brightness", "contrast", "lumaflip", "hue", "saturation")


def _matrix(rows: list[list[Tensor]]) -> Tensor:
    """Nested lists of (N,) tensors -> (N, len(rows), len(rows[0])) tensor."""
    return torch.stack([torch.stack(row, dim=-1) for row in rows], dim=-2)


def _translate2(tx: Tensor, ty: Tensor) -> Tensor:
    one, zero = torch.ones_like(tx), torch.zeros_like(tx)
    return _matrix([[one, zero, tx], [zero, one, ty], [zero, zero, one]])


def _scale2(sx: Tensor, sy: Tensor) -> Tensor:
    one, zero = torch.ones_like(sx), torch.zeros_like(sx)
    return _matrix([[sx, zero, zero], [zero, sy, zero], [zero, zero, one]])


def _rotate2(cos: Tensor, sin: Tensor, aspect: float = 1.0) -> Tensor:
    """A rotation of pixel space in normalised coordinates, where x spans W pixels and y spans H: conjugated
    by diag(2/W, 2/H), the off-diagonal terms are scaled by aspect = H/W and W/H (x * 1.0 is exact, so a
    square image gets the plain rotation bit for bit)."""
    one, zero = torch.ones_like(cos), torch.zeros_like(cos)
    return _matrix([[cos, -sin * aspect, zero], [sin / aspect, cos, zero], [zero, zero, one]])


def _affine4(linear: Tensor, offset: Tensor) -> Tensor:
    """(N, 3, 3) linear part and (N, 3) offset -> (N, 4, 4) homogeneous colour matrix."""
    n = linear.shape[0]
    bottom = torch.zeros(n, 1, 4, dtype=linear.dtype, device=linear.device)
    bottom[:, 0, 3] = 1.0
    return torch.cat([torch.cat([linear, offset.unsqueeze(2)], dim=2), bottom], dim=1)


def hue_rotation(theta: Tensor) -> Tensor:
    """(N,) angles -> (N, 3, 3) rotations of RGB space by theta around the grey axis v = (1, 1, 1) / sqrt 3
    (Rodrigues' formula: R = cos I + sin [v]x + (1 - cos) v v^T, [v]x c = v x c)."""
    a = 1.0 / math.sqrt(3.0)
    zero = torch.zeros_like(theta)
    cross = _matrix([[zero, zero - a, zero + a], [zero + a, zero, zero - a], [zero - a, zero + a, zero]])
    eye = torch.eye(3, dtype=theta.dtype, device=theta.device)
    along = torch.full((3, 3), 1.0 / 3.0, dtype=theta.dtype, device=theta.device)   # v v^T
    cos, sin = torch.cos(theta)[:, None, None], torch.sin(theta)[:, None, None]
    return cos * eye + sin * cross + (1.0 - cos) * along


def warp(images: Tensor, inverse: Tensor) -> Tensor:
    """Resample images (N, C, H, W) at inverse (N, 3, 3) @ (output pixel centre), normalised coordinates
    (x in [-1, 1] across W, y across H); every channel with the same grid.

    Bilinear with reflection padding; align_corners=False puts the normalised grid on pixel centres, so
    flips, quarter turns and whole-pixel shifts (by 2k/W, 2k/H) land exactly on pixels. Samples whose matrix is
    exactly the identity keep their exact pixels (the sampler's grid is off by ~1e-6 at sizes like 28,
    which would blur them faintly); a per-sample select, no host branch.
    """
    grid = F.affine_grid(inverse[:, :2, :].detach(), list(images.shape), align_corners=False)
    moved = sample_bilinear_reflect(images, grid)
    identity = (inverse == torch.eye(3, dtype=inverse.dtype, device=inverse.device)).flatten(1).all(dim=1)
    return torch.where(identity[:, None, None, None], images, moved)


def apply_colour(images: Tensor, colour: Tensor) -> Tensor:
    """Apply the (N, 4, 4) homogeneous colour matrices to RGB; RGBA: to the RGB part, alpha unchanged."""
    linear, offset = colour[:, :3, :3], colour[:, :3, 3]
    if images.shape[1] == 1:                                                      # static: channel count
        # Grey: a grey pixel g is (g, g, g) in RGB; every transform used keeps the grey axis, so the
        # result is grey too: g -> g * (mean row sum of linear) + (mean of offset).
        gain = linear.sum(dim=2).mean(dim=1)                                      # (N,)
        return images * gain[:, None, None, None] + offset.mean(dim=1)[:, None, None, None]
    return colour_only(_rgb_affine, images, linear, offset)


def _rgb_affine(rgb: Tensor, linear: Tensor, offset: Tensor) -> Tensor:
    return torch.einsum("nij,njhw->nihw", linear, rgb) + offset[:, :, None, None]


@AUGMENTS.register("ada", fields=("p", "target", "speed_kimg", "adjust_nimg", "adaptive"), adaptive=True)
class AdaptiveAugment(Augment):
    """ADA (Karras et al. 2020): the bgc pipeline with a shared probability p, tuned online from r_t.

    Buffers (float32 scalars, saved in state_dict): p, rt (last r_t), rt_sum and rt_count (the sum of
    sign(D(real)) and the number of reals since the last adjustment).
    """

    def __init__(self,
        channels:    int,                  # image channels (1 grey, 3 RGB, 4 RGBA)
        p:           float = 0.0,          # initial probability of each transform
        target:      float = 0.6,          # r_t target: E[sign(D(real))] above this raises p
        speed_kimg:  float = 100.0,        # kimg for p to go from 0 to 1 at the fastest rate (paper: 500)
        adjust_nimg: int   = 256,          # real images between two adjustments (paper: 4 iters x batch 64)
        adaptive:    bool  = True,         # False = keep p fixed
    ):
        check_channels("ada", channels)
        _check_real("p", p, low=0.0, high=1.0, rule="in [0, 1]")
        _check_real("target", target, low=0.0, high=1.0, rule="strictly between 0 and 1", open_interval=True)
        _check_real("speed_kimg", speed_kimg, low=0.0, high=math.inf, rule="> 0", open_interval=True)
        if not isinstance(adjust_nimg, int) or isinstance(adjust_nimg, bool) or adjust_nimg < 1:
            raise ConfigError(f"ada: adjust_nimg must be an integer >= 1, the number of real images "
                              f"between two updates of p (got {adjust_nimg!r})")
        if not isinstance(adaptive, bool):
            raise ConfigError(f"ada: adaptive must be true or false (got {adaptive!r})")
        super().__init__()
        self.channels = channels
        self.target = float(target)
        self.speed_kimg = float(speed_kimg)
        self.adjust_nimg = adjust_nimg
        self.adaptive = adaptive
        self.register_buffer("p", torch.tensor(float(p), dtype=torch.float32))
        self.register_buffer("rt", torch.tensor(0.0, dtype=torch.float32))
        self.register_buffer("rt_sum", torch.tensor(0.0, dtype=torch.float32))
        self.register_buffer("rt_count", torch.tensor(0.0, dtype=torch.float32))

    # ---------------------------------------------------------------- augmentation

    def forward(self, images: Tensor, generator: torch.Generator) -> Tensor:
        check_images("ada", images, self.channels)
        images = warp(images, self.geometric_matrix(images, generator))
        return apply_colour(images, self.colour_matrix(images, generator))

    def _gate(self, name: str, n: int, like: Tensor, generator: torch.Generator,
              p: Tensor | None = None) -> Tensor:
        """(N,) bool: which samples get transform `name` (U[0, 1) < p, so p = 0 never and p = 1 always)."""
        p = self.p if p is None else p
        return uniform((n,), 0.0, 1.0, like, generator) < p.to(like.dtype)

    def geometric_matrix(self, images: Tensor, generator: torch.Generator) -> Tensor:
        """(N, 3, 3) map from output to input coordinates (normalised, [-1, 1] across the image).

        The content is transformed by T = T_8 ... T_1 (T_1 = x-flip first), so an output pixel q samples
        the input at T^-1 q = T_1^-1 ... T_8^-1 q: the inverses are multiplied in application order.
        """
        n, h, w = images.shape[0], images.shape[2], images.shape[3]
        like = images.new_zeros(n)
        zero, one = torch.zeros_like(like), torch.ones_like(like)
        p_rotate = 1.0 - torch.sqrt((1.0 - self.p).clamp(min=0.0))
        inverse = torch.eye(3, dtype=images.dtype, device=images.device).expand(n, 3, 3)

        flip = integers((n,), 0, 2, like, generator).to(images.dtype)
        flip = torch.where(self._gate("xflip", n, like, generator), flip, zero)
        inverse = inverse @ _scale2(1.0 - 2.0 * flip, one)

        quarter = integers((n,), 0, 4, like, generator)
        quarter = torch.where(self._gate("rotate90", n, like, generator), quarter, torch.zeros_like(quarter))
        cos = (quarter == 0).to(images.dtype) - (quarter == 2).to(images.dtype)  # exact cos(k * 90°)
        sin = (quarter == 1).to(images.dtype) - (quarter == 3).to(images.dtype)  # exact sin(k * 90°)
        inverse = inverse @ _rotate2(cos, -sin, h / w)

        draw = uniform((2, n), -XINT_MAX, XINT_MAX, like, generator)              # (x, y) fractions of a side
        shift = torch.stack([torch.round(draw[0] * w) * (2.0 / w), torch.round(draw[1] * h) * (2.0 / h)])
        shift = torch.where(self._gate("xint", n, like, generator), shift, zero)
        inverse = inverse @ _translate2(-shift[0], -shift[1])

        scale = torch.exp(normal((n,), SCALE_STD, like, generator))
        scale = torch.where(self._gate("scale", n, like, generator), scale, one)
        inverse = inverse @ _scale2(1.0 / scale, 1.0 / scale)

        theta = uniform((n,), -math.pi, math.pi, like, generator)
        theta = torch.where(self._gate("rotate", n, like, generator, p_rotate), theta, zero)
        inverse = inverse @ _rotate2(torch.cos(theta), -torch.sin(theta), h / w)

        scale = torch.exp(normal((n,), SCALE_STD, like, generator))
        scale = torch.where(self._gate("aniso", n, like, generator), scale, one)
        inverse = inverse @ _scale2(1.0 / scale, scale)

        theta = uniform((n,), -math.pi, math.pi, like, generator)
        theta = torch.where(self._gate("rotate_again", n, like, generator, p_rotate), theta, zero)
        inverse = inverse @ _rotate2(torch.cos(theta), -torch.sin(theta), h / w)

        shift = normal((2, n), XFRAC_STD, like, generator) * 2.0          # fraction of side -> [-1, 1] units
        shift = torch.where(self._gate("xfrac", n, like, generator), shift, zero)
        return inverse @ _translate2(-shift[0], -shift[1])

    def colour_matrix(self, images: Tensor, generator: torch.Generator) -> Tensor:
        """(N, 4, 4) homogeneous colour transform C = T_5 ... T_1 (brightness applied first)."""
        n = images.shape[0]
        like = images.new_zeros(n)
        zero, one = torch.zeros_like(like), torch.ones_like(like)
        eye = torch.eye(3, dtype=images.dtype, device=images.device)
        along = torch.full((3, 3), 1.0 / 3.0, dtype=images.dtype, device=images.device)  # v v^T: onto grey

        brightness = normal((n,), BRIGHTNESS_STD, like, generator)
        brightness = torch.where(self._gate("brightness", n, like, generator), brightness, zero)
        colour = _affine4(eye.expand(n, 3, 3), brightness[:, None].expand(n, 3))

        contrast = torch.exp(normal((n,), CONTRAST_STD, like, generator))
        contrast = torch.where(self._gate("contrast", n, like, generator), contrast, one)
        colour = _affine4(eye * contrast[:, None, None], like[:, None].expand(n, 3)) @ colour

        flip = integers((n,), 0, 2, like, generator).to(images.dtype)
        flip = torch.where(self._gate("lumaflip", n, like, generator), flip, zero)
        colour = _affine4(eye - 2.0 * flip[:, None, None] * along, like[:, None].expand(n, 3)) @ colour

        if self.channels != 1:                                                    # static: RGB or RGBA
            theta = uniform((n,), -math.pi, math.pi, like, generator)
            theta = torch.where(self._gate("hue", n, like, generator), theta, zero)
            colour = _affine4(hue_rotation(theta), like[:, None].expand(n, 3)) @ colour

            saturation = torch.exp(normal((n,), SATURATION_STD, like, generator))
            saturation = torch.where(self._gate("saturation", n, like, generator), saturation, one)
            linear = along + (eye - along) * saturation[:, None, None]
            colour = _affine4(linear, like[:, None].expand(n, 3)) @ colour
        return colour

    # ---------------------------------------------------------------- controller

    @torch.no_grad()
    def observe(self, real_logits: Tensor) -> None:
        """Accumulate sign(D(real)); every `adjust_nimg` reals set r_t and (if adaptive) step p."""
        signs = torch.sign(real_logits.detach()).to(torch.float32)
        total = self.rt_sum + signs.sum()
        count = self.rt_count + float(real_logits.shape[0])
        due = count >= float(self.adjust_nimg)
        rt = total / count.clamp(min=1.0)
        step = torch.sign(rt - self.target) * count / (self.speed_kimg * 1000.0)
        if self.adaptive:                                                         # static: configuration
            self.p.copy_(torch.where(due, (self.p + step).clamp(0.0, 1.0), self.p))
        self.rt.copy_(torch.where(due, rt, self.rt))
        self.rt_sum.copy_(torch.where(due, torch.zeros_like(total), total))
        self.rt_count.copy_(torch.where(due, torch.zeros_like(count), count))

    def status(self) -> dict[str, Tensor]:
        return {"augment_p": self.p.clone(), "ada_rt": self.rt.clone()}

    def extra_repr(self) -> str:
        return (f"channels={self.channels}, target={self.target}, speed_kimg={self.speed_kimg}, "
                f"adjust_nimg={self.adjust_nimg}, adaptive={self.adaptive}")


def _check_real(field: str, value: float, *, low: float, high: float, rule: str,
                open_interval: bool = False) -> None:
    """Teaching error for a real-valued argument of `ada`."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = low < value < high if open_interval else low <= value <= high
    if not ok:
        meaning = {"p": "the initial probability of each transform",
                   "target": "the r_t = E[sign(D(real))] that p is tuned towards (paper: 0.6)",
                   "speed_kimg": "thousands of images for p to cross [0, 1] (paper: 500)"}[field]
        raise ConfigError(f"ada: {field} must be {rule}; it is {meaning} (got {value!r})")
