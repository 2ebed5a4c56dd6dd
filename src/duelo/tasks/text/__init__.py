"""Text: lines at character or word level learned by a RelGAN-class GAN or the maximum-likelihood baseline
(task "text")."""

from duelo.tasks.registry import TASKS
from duelo.tasks.text.task import Text

TASKS.add("text", Text())
