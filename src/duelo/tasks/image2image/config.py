"""The `image2image` section of the paired tasks (translate, inpaint, denoise, superres). Each task's section
holds only the fields it uses: inpainting's hole options are not in the others', a file-pair layout is not in
a restoration task's (its input is made from the target)."""

from __future__ import annotations

from dataclasses import dataclass

from duelo.config.fields import from_registry, nonnegative, positive_int, setting


@dataclass(frozen=True)
class PairedConfig:
    """What every paired task takes: how its input is made (a degradation), the pix2pix weights, evaluation."""

    degrade:        str | None = setting(None, "registered degradation making the input from the target on the fly "
                                         "(none: the input comes from the data)", cli="--degrade",
                                         choices=from_registry("duelo.degrade:DEGRADATIONS"))
    degrade_kwargs: dict = setting({}, 'its settings, e.g. {"sigma": 0.2} or {"scale": 4}')
    l1_weight:      float = setting(100.0, "weight of the L1 reconstruction term (Isola et al. 2017)",
                                    check=nonnegative)
    residual:       bool = setting(False, "G predicts a correction added to its input (restoration)")
    eval_images:    int = setting(1000, "held-out images (pairs) behind the summary's metrics", check=positive_int)
    fid:            str = setting("auto", "target-domain FID in the summary: auto (on CUDA) | on | off",
                                  choices=("auto", "on", "off"))


@dataclass(frozen=True)
class TranslateConfig(PairedConfig):
    source:          str | None = setting(None, "the input domain: a folder of images paired by file name with "
                                          "--dataset (or one folder with A/ and B/, or side-by-side images)",
                                          cli="--source")
    layout:          str = setting("auto", "how pairs are stored",
                                   choices=from_registry("duelo.data.paired:PAIR_LAYOUTS"))
    source_channels: int | None = setting(None, "force gray (1) or colour (3) inputs; none = the data's own",
                                          choices=(1, 3))


@dataclass(frozen=True)
class InpaintConfig(PairedConfig):
    paste_back: bool = setting(True, "known pixels come from the input, exactly")
    hole_fill:  str = setting("grey", "what G sees in the holes: grey, or blur (a smooth pre-fill)",
                              choices=from_registry("duelo.degrade.model_io:HOLE_FILLS"))
