"""Music: Bach chorales as four-voice piano rolls learned by a MuseGAN-class GAN (task "music")."""

from duelo.tasks.music.task import Music
from duelo.tasks.registry import TASKS

TASKS.add("music", Music())
