"""The configuration sections of the audio task: which clips (and whether to condition on their labels) and
which model draws them, with its scores."""

from __future__ import annotations

from dataclasses import dataclass

from duelo.config.fields import Check, at_least, both, fraction, from_registry, positive_int, setting

GAIN_DB = both(at_least(0.0), Check("at most 40", lambda v: v <= 40))


def _peak(value: object) -> bool:
    """Whether `value` is an audio.peak setting: auto, off or a number in (0, 1] (levels.py)."""
    if value in ("auto", "off"):
        return True
    try:
        return 0.0 < float(str(value)) <= 1.0
    except ValueError:
        return False


CUTOUT = Check("0 (off) or a fraction below 1", lambda v: isinstance(v, (int, float)) and 0 <= v < 1)
PEAK = Check("auto, off or a level in (0, 1]", _peak)
SCORE_KIMG = Check("0 (off) or at least 0.001 (one clip)", lambda v: isinstance(v, (int, float)) and not
                   isinstance(v, bool) and (v == 0 or v * 1000 >= 1))


@dataclass(frozen=True)
class AudioDataConfig:
    dataset:     str = setting("notes", "notes (instrument notes from the FluidR3 sound font), drums (Hydrogen "
                               "kits' one-shots) or spoken (KTuberling's spoken words), after `duelo datasets "
                               "fetch NAME`; or an .npz written by duelo.tasks.audio.clips.save", cli="--dataset")
    conditional: bool = setting(False, "conditional on every label factor of the clips (notes: instrument and "
                                "pitch; drums: kind; spoken: language)", cli="--conditional/--unconditional")
    split:       str = setting("classes", "how the held-out clips are drawn: classes (a seeded share of each "
                               "first-factor class) or copies (the same, but a recording's near and exact copies, "
                               "e.g. one note at several velocities as duelo clean finds them, stay on one side, so "
                               "the held-out scores do not measure how like its own copy a clip is)",
                               choices=("classes", "copies"))
    heldout:     float = setting(0.2, "share of the clips held out for the scores (and their scoring classifier's "
                                 "accuracy)", check=at_least(0.05))


@dataclass(frozen=True)
class AudioModelConfig:
    model:       str = setting("wavegan", "wavegan (the waveform), specgan (log magnitude and instantaneous "
                               "frequency), specgan-h (the same at 7.8 Hz bins and 32 ms hops), specgan-m "
                               "(15.6 Hz, 16 ms) or specgan-mel (specgan-m's picture with rows evenly spaced in mel; "
                               "decode it with audio.decode_refine 8)", cli="--model",
                               choices=from_registry("duelo.tasks.audio.models:AUDIO_MODELS"))
    z_dim:       int = setting(100, "size of the latent", check=positive_int)
    width:       int = setting(32, "channels of the narrowest layer of G and D (WaveGAN's paper: 64)",
                               cli="--width", check=at_least(2, integer=True))
    embed_dim:   int = setting(16, "size of each label factor's code in G (conditional models)", check=positive_int)
    aux_weight:  float = setting(0.0, "conditional models: weight of D's auxiliary classifier term (AC-GAN, as "
                                 "GANSynth conditions on pitch): D names the factors of real clips, G is trained "
                                 "to make clips D names as asked; 0 = projection only", check=at_least(0.0))
    aux_fakes:   bool = setting(False, "with audio.aux_weight: D's classifier also names G's clips' factors, among "
                                "classes of their own (ADC-GAN, Hou et al. 2022), and G is trained towards the real "
                                "classes: a head that G can satisfy with cues no real clip has learns to tell them")
    augment:     float = setting(0.0, "probability that D sees each clip (real or generated) delayed by up to an "
                                 "eighth of its length, and, apart, louder or softer (audio.augment_gain_db; against D "
                                 "memorising small sets); 0 = off", check=fraction(high_open=False))
    augment_gain_db: float = setting(6.0, "the augmentation's largest gain either way, in dB (0 = delay alone: "
                                     "D then judges levels as they are)", check=GAIN_DB)
    augment_cutout: float = setting(0.0, "with audio.augment: the augmentation also sets a rectangle of this fraction "
                                    "of each side of the picture (a wave: of its samples) to silence, centred at "
                                    "random, with the same probability (DiffAugment's cutout, 0.5 in its paper; "
                                    "0 = off)", check=CUTOUT)
    d_floor_db:  float = setting(0.0, "spectral models: D sees each clip's log magnitude raised to this many dB "
                                 "below its loudest cell, and the instantaneous frequency there as silence, so it "
                                 "judges the partials and not the quiet cells between them (0 = off; at 50 on the "
                                 "notes preset the run collapsed: docs/audio.md)",
                                 check=both(at_least(0.0), Check("at most 120", lambda v: v <= 120)))
    d_floor_gradient: str = setting("stopped", "with audio.d_floor_db: stopped (G gets no gradient from the cells "
                                    "under the floor: the form measured, which collapsed) or through (D sees the "
                                    "floored picture, the gradient passes every cell as if unfloored: "
                                    "straight-through)", choices=("stopped", "through"))
    start_frames: int = setting(0, "spectral models: the frames of G's first feature map, a power-of-two fraction "
                                "of the picture's (0 = frames / 32: specgan 4, specgan-m 2, specgan-h 1); more "
                                "let G draw the shape over time (a note's decay) from more than one column; its "
                                "first layer grows with it", check=at_least(0, integer=True))
    film:        bool = setting(False, "conditional models: G's label code also scales and shifts the channels of "
                                "every hidden layer (FiLM; BigGAN's class-conditional norm without the norm), not only "
                                "its input, so each layer can shape a note by its instrument")
    noise:       bool = setting(False, "spectral models: every layer of G adds a fresh picture of Gaussian noise to "
                                "its output, scaled per channel by a learnt weight that starts at 0 (StyleGAN's noise "
                                "inputs): detail without structure, such as the noise between a note's partials, "
                                "need not be drawn from z")
    upsample:    str = setting("transposed", "spectral models: how each of G's layers doubles its picture: transposed "
                               "(4 x 4 transposed convolutions, SpecGAN's), nearest (repeat each pixel, then a 3 x 3 "
                               "convolution, as GANSynth's G: no checkerboard pattern, 2.25 times the arithmetic) or "
                               "residual (a residual block: two 3 x 3 convolutions around the doubling and a 1 x 1 "
                               "shortcut, about twice the arithmetic)",
                               choices=from_registry("duelo.tasks.audio.layers:UPSAMPLERS"))
    downsample:  str = setting("strided", "spectral models: how each of D's layers halves its picture: strided (4 x 4 "
                               "convolutions of stride 2, SpecGAN's) or residual (two 3 x 3 convolutions around a "
                               "2 x 2 average and a 1 x 1 shortcut, about twice the arithmetic)",
                               choices=from_registry("duelo.tasks.audio.layers:DOWNSAMPLERS"))
    decode_refine: int = setting(0, "spectral models: Griffin-Lim rounds when G's pictures become clips (samples, "
                                 "scores, `duelo sample`): each keeps G's magnitude and makes the phases of "
                                 "overlapping frames agree; 0 = G's instantaneous frequency as drawn",
                                 check=at_least(0, integer=True))
    peak:        str = setting("auto", "bring every generated clip's loudest sample to this level when it becomes a "
                               "wave (samples, scores, `duelo sample`), as sets read with one peak were (drums, "
                               "spoken): auto = the training clips' level when they share one, else off; off; or a "
                               "level in (0, 1]. The scores of the clips as drawn are kept beside (*_as_drawn)",
                               check=PEAK, rerun=True)
    score_kimg:  float = setting(0.0, "score the averaged G every this many kimg (the summary's scores, one line "
                                 "each in eval.jsonl) and keep the model with the lowest Fréchet distance in best/; "
                                 "0 = only at the end", check=SCORE_KIMG, rerun=True)
    eval_clips:  int = setting(500, "generated clips behind the scores of the summary", check=at_least(8, integer=True))
    scorer_epochs: int = setting(30, "epochs of the classifier the scores use (trained once per dataset, cached)",
                                 check=positive_int)
