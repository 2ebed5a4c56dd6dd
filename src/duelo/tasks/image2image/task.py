"""Paired image-to-image tasks: translation (pix2pix) and restoration (inpainting, denoising, super-resolution).
One composition for the four: data, a registered translator and patch discriminator, the pix2pix objective,
and the shared trainer, run folder and loop.

    task       data                                      input of G                      default degradation
    translate  pairs from files, or --degrade edges      the source image                none
    inpaint    target images                             image with holes + mask         boxes
    denoise    target images                             noisy image                     gaussian
    superres   target images                             bicubic-upsampled low-res       downsample (x4)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duelo.config import COMMON_SECTIONS, Config
from duelo.config.sections import ImageDataConfig, LossNameConfig, TranslatorModelConfig
from duelo.errors import ConfigError
from duelo.tasks.base import Parts, Session, Task
from duelo.tasks.image2image.config import InpaintConfig, PairedConfig, TranslateConfig

# pix2pix's recipe (Isola et al. 2017): constant rates for half the run, then linearly to zero; the health
# monitor's checks are for image synthesis (the divergence rollback stays on)
PIX2PIX_DEFAULTS = {"optim.decay_start": 0.5, "train.total_kimg": 200, "train.batch": 32, "health.enabled": False}


@dataclass(frozen=True)
class Spec:
    from_files: bool = False     # its input may come from files (pairs); otherwise a degradation makes it
    holes:      bool = False     # its degradation must draw holes (a mask channel), and only its may
    rescale:    bool = False     # its degradation must change the scale (settings["scale"]), and only its may
    paste_back: bool = False     # the output keeps the input's known pixels


class PairedTask(Task):
    data_parallel = False
    headline_figures = ("metrics.psnr", "metrics.ssim")
    sections = {**COMMON_SECTIONS, "data": ImageDataConfig, "model": TranslatorModelConfig, "loss": LossNameConfig,
                "image2image": PairedConfig}

    def __init__(self, name: str, description: str, section: type, spec: Spec, degrade: str | None):
        self.name, self.description, self.spec = name, description, spec
        self.sections = {**PairedTask.sections, "image2image": section}
        self.defaults = {**PIX2PIX_DEFAULTS, **({"image2image.degrade": degrade} if degrade else {})}
        if spec.rescale or spec.holes:
            self.defaults["image2image.residual"] = True      # G learns a correction to its input
        if spec.holes:
            self.defaults["image2image.hole_fill"] = "blur"   # ... of a smooth fill of the holes

    # -- configuration -----------------------------------------------------------------------------
    def upgrade_previous(self, previous: dict[str, Any]) -> dict[str, Any]:
        """Older run folders named the patch discriminator under image2image and left degrade at null for the
        task's default degradation."""
        from duelo.tasks.translators import TRANSLATOR_MOVES, move_fields

        upgraded = move_fields(previous, TRANSLATOR_MOVES)
        section = upgraded.get("image2image")
        default = self.defaults.get("image2image.degrade")
        if isinstance(section, dict) and section.get("degrade", default) is None and default is not None:
            section["degrade"] = default
        return upgraded

    def check(self, config: Config) -> Config:
        from duelo.tasks.translators import check_loss

        check_loss(config)
        if not self.spec.from_files and config.image2image.degrade is None:
            raise ConfigError(f"task {self.name} makes its input from the target with a degradation: set "
                              f"image2image.degrade (--degrade), e.g. {self.defaults['image2image.degrade']}")
        self.degradation(config)                       # refuses an unsuitable one before any data is read
        return config

    def degradation(self, config: Config):
        """The degradation op that makes G's input, or None when the input comes from the data."""
        from duelo.degrade import DEGRADATIONS, build_degradation

        t = config.image2image
        if t.degrade is None:
            if t.degrade_kwargs:
                raise ConfigError("image2image.degrade_kwargs is set but no degradation is used; set "
                                  "image2image.degrade (--degrade) too")
            return None
        op = build_degradation(t.degrade, **t.degrade_kwargs)
        if not self._fits(t.degrade):
            suitable = [other for other in DEGRADATIONS.names() if self._fits(other)]
            need = "it must draw holes" if self.spec.holes else "it must down-sample" if self.spec.rescale else ""
            info = DEGRADATIONS.info(t.degrade)
            meant = "inpaint" if info.holes else "superres" if info.rescale else "denoise"
            raise ConfigError(f"task {self.name} cannot use --degrade {t.degrade}: {need + ' (' if need else ''}the "
                              f"model's input would not be what `duelo inpaint|restore` give it{')' if need else ''};"
                              f" use one of {', '.join(suitable)}, or the task made for {t.degrade} ({meant})")
        return op

    def _fits(self, degradation: str) -> bool:
        """Does this registered degradation make the input this task's model and commands expect?"""
        from duelo.degrade import DEGRADATIONS

        info = DEGRADATIONS.info(degradation)
        return info.holes == self.spec.holes and info.rescale == self.spec.rescale

    # -- building ----------------------------------------------------------------------------------
    def load_data(self, config: Config, runtime, log) -> Any:
        from duelo.data.translation import load_pairs, load_targets

        d, t = config.data, config.image2image
        options = {"resolution": d.resolution, "resize": d.resize, "bad_files": d.bad_files, "alpha": d.alpha}
        if t.degrade is not None:
            if self.spec.from_files and t.source:
                raise ConfigError(f"image2image.source ({t.source}) is for paired data; with --degrade the input "
                                  f"is made from data.dataset: leave --source out")
            return load_targets(d.dataset, options, t.eval_images, d.channels)
        return load_pairs(t.source, d.dataset, t.layout, options, t.eval_images, t.source_channels, d.channels,
                          self.name)

    def build(self, config: Config, data, runtime) -> Parts:
        from duelo.tasks.image2image.parts import assemble

        return assemble(config, self, data, self.degradation(config), runtime.device)

    # -- the run -----------------------------------------------------------------------------------
    def start(self, session: Session) -> None:
        from duelo.tasks.translators import start_translation

        start_translation(session, session.parts.objective.degradation)

    def snapshots(self, session: Session):
        from duelo.tasks.image2image.snapshots import PairedSnapshots

        return PairedSnapshots(session)


TASKS_HERE = (
    PairedTask("translate", "paired translation (pix2pix): pairs from files, or an input made by --degrade",
               TranslateConfig, Spec(from_files=True), None),
    PairedTask("inpaint", "fill holes (boxes or free-form strokes); known pixels kept exactly", InpaintConfig,
               Spec(holes=True, paste_back=True), "boxes"),
    PairedTask("denoise", "remove noise (Gaussian by default; salt-pepper, jpeg)", PairedConfig, Spec(), "gaussian"),
    PairedTask("superres", "super-resolution of a down-sampled image (x4 by default)", PairedConfig,
               Spec(rescale=True), "downsample"),
)
