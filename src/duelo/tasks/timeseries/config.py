"""The configuration sections of the time-series task: the data (a named source or a file, cut into windows) and
the networks (a dilated convolutional G and D on windows)."""

from __future__ import annotations

from dataclasses import dataclass

from duelo.config.fields import at_least, from_registry, positive_int, setting


@dataclass(frozen=True)
class SeriesDataConfig:
    dataset:      str = setting("sines", "sines (TimeGAN's synthetic benchmark), a registered series source "
                                "(`duelo datasets`), a .csv file or folder of them (rows = time steps, numeric "
                                "columns = channels), or an .npz of windows (N, T, C)", cli="--dataset")
    window:       int = setting(24, "time steps per window (TimeGAN's benchmarks: 24)", cli="--window",
                                check=at_least(2, integer=True))
    stride:       int = setting(1, "steps between the starts of two windows cut from one series", cli="--stride",
                                check=positive_int)
    columns:      tuple[str, ...] = setting((), "CSV columns to use (comma-separated); empty = every numeric one",
                                            cli="--columns", metavar="COLS")
    label_column: str = setting("", "CSV column whose value at a window's last step is its class (empty: none)",
                                cli="--label-column")
    max_windows:  int = setting(0, "keep at most this many windows (a seeded sample); 0 = all", check=at_least(0,
                                integer=True))
    conditional:  bool = setting(False, "class-conditional G and D (needs labelled data)",
                                 cli="--conditional/--unconditional")
    value_range:  tuple[float, ...] = setting((), "LOW,HIGH: scale every channel from this range, values outside "
                                              "it clipped, instead of from the data's own min and max; a private "
                                              "run needs it (the records' extremes would leak) unless the source "
                                              "declares one (sines: 0,1)", metavar="LOW,HIGH")


@dataclass(frozen=True)
class SeriesModelConfig:
    model:        str = setting("conv", "the model: conv (dilated convolutions, the shared GAN objective) or timegan "
                                "(Yoon et al. 2019; `--preset timegan` sets its optimiser and loss)",
                                cli="--series-model",
                                choices=from_registry("duelo.tasks.timeseries.parts:SERIES_MODELS"))
    z_dim:        int = setting(32, "conv: size of the latent shared by every step of a window; timegan: noise "
                                "per step", cli="--z-dim", check=positive_int)
    step_noise:   int = setting(4, "noise channels drawn fresh at every step", check=at_least(0, integer=True))
    positions:    int = setting(4, "conv: pairs of fixed position features (sin/cos of pi k t) G reads at every "
                                "step, its clock; 0 = none", check=at_least(0, integer=True))
    activation:   str = setting("silu", "conv: G's activation (silu: smooth curves; relu: kinks)",
                                choices=("relu", "silu"))
    d_pooling:    str = setting("mean+max", "conv: how D pools over time (mean alone averages local flaws away)",
                                choices=("mean", "mean+max"))
    width:        int = setting(64, "channels of the hidden layers of G and D (timegan: the latent and GRU size)",
                                cli="--width", check=positive_int)
    blocks:       int = setting(0, "conv: dilated residual blocks in G and in D (dilations 1, 2, 4, ...); 0 = "
                                "enough for every step to see the whole window (4 for 24 steps, 7 for 150)",
                                check=at_least(0, integer=True))
    layers:       int = setting(3, "timegan: GRU layers of each network (the supervisor has one fewer)",
                                check=positive_int)
    pretrain_steps: int = setting(2000, "timegan: iterations of each pre-training stage (the autoencoder, then the "
                                  "supervisor) before the joint game; the paper: 10,000",
                                  check=at_least(0, integer=True))
    embed_dim:    int = setting(8, "size of the class code in G (conditional models)", check=positive_int)
    eval_samples: int = setting(1000, "generated windows behind the scores of the summary",
                                check=at_least(16, integer=True))
    discriminative_on: str = setting("heldout", "the real windows the discriminative scores read: heldout (the "
                                     "default), or all (training and held-out, as TimeGAN's protocol: more test "
                                     "windows, less noise; give eval_samples as many)", choices=("heldout", "all"))
    score_steps:  int = setting(0, "training steps of each post-hoc scoring network; 0 = the TimeGAN protocol "
                                "(2,000 for the discriminative score, 5,000 for the predictive one, 300 for the "
                                "context-FID embedding: about 90 s on 2 CPU cores, seconds on a GPU)",
                                check=at_least(0, integer=True))
