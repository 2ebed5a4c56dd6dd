"""The configuration sections of the video task: the clips (Moving MNIST rendered from real digits) and the
networks (a MoCoGAN-class generator, an image and a video discriminator) with their scores."""

from __future__ import annotations

from dataclasses import dataclass

from duelo.config.fields import at_least, positive_int, setting


@dataclass(frozen=True)
class VideoDataConfig:
    dataset:     str = setting("moving-mnist", "moving-mnist: MNIST digits bouncing in a square canvas, rendered "
                               "on the fly (the only source today)", cli="--dataset", choices=("moving-mnist",))
    digits:      str = setting("mnist-5k", "where the digits come from: mnist-5k (embedded, 5,000 real MNIST "
                               "digits) or mnist (all 70,000, fetched once)")
    frames:      int = setting(16, "frames per clip", cli="--frames", check=at_least(2, integer=True))
    size:        int = setting(64, "canvas side in pixels (the benchmark: 64; digits scale with it)",
                               cli="--resolution", check=at_least(16, integer=True))
    per_clip:    int = setting(2, "digits moving in each clip", check=positive_int)
    conditional: bool = setting(False, "class-conditional: every digit of a clip is of one class, its label",
                                cli="--conditional/--unconditional")


@dataclass(frozen=True)
class VideoModelConfig:
    z_content:   int = setting(64, "latent shared by every frame of a clip (what is shown)", check=positive_int)
    z_motion:    int = setting(16, "motion code per frame, from a GRU over per-frame noise (how it moves)",
                               check=positive_int)
    width:       int = setting(32, "channels of the narrowest layer of G and D (the widest has 8x)", cli="--width",
                               check=positive_int)
    embed_dim:   int = setting(16, "size of the class code in G (conditional models)", check=positive_int)
    eval_clips:  int = setting(500, "generated clips behind the scores of the summary",
                               check=at_least(16, integer=True))
    score_steps: int = setting(400, "training steps of the clip classifier whose features the video scores use",
                               check=at_least(1, integer=True))
