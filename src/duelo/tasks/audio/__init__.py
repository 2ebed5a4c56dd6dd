"""Audio: one-second sounds (instrument notes, drum hits, spoken words) learned by WaveGAN / SpecGAN (task
"audio")."""

from duelo.tasks.audio.task import Audio
from duelo.tasks.registry import TASKS

TASKS.add("audio", Audio())
