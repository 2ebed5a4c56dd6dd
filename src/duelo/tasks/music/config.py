"""The configuration sections of the music task: the chorales (windows of bars, the common key) and the
MuseGAN-class networks with their scores."""

from __future__ import annotations

from dataclasses import dataclass

from duelo.config.fields import at_least, positive_int, setting


@dataclass(frozen=True)
class MusicDataConfig:
    dataset:     str = setting("chorales", "chorales (Bach's four-part chorales), folk (Essen folk melodies) or irish "
                               "(O'Neill's reels and hornpipes), "
                               "from music21's corpus (`duelo datasets fetch NAME` first), or an .npz written by "
                               "duelo.tasks.music.corpus.save", cli="--dataset")
    bars:        int = setting(4, "bars of sixteenths per sample (2 or more)", cli="--bars",
                               check=at_least(2, integer=True))
    transpose:   str = setting("tonic", "tonic: every chorale moved to C major / A minor (the mode is left to the "
                               "condition); none: Bach's keys", choices=("tonic", "none"))
    conditional: bool = setting(False, "conditional on the mode (major / minor)",
                                cli="--conditional/--unconditional")


@dataclass(frozen=True)
class MusicModelConfig:
    z_dim:       int = setting(32, "size of each of MuseGAN's latents (shared, per track, and their per-bar codes)",
                               check=positive_int)
    width:       int = setting(128, "channels of G's bar generator at its start (D: half, doubling)",
                               cli="--width", check=at_least(8, integer=True))
    embed_dim:   int = setting(8, "size of the mode code in G (conditional models)", check=positive_int)
    eval_pieces: int = setting(500, "generated samples behind the scores of the summary",
                               check=at_least(8, integer=True))
