"""Text (task "text"): lines of text — first names, or your own file with one sample per line — learned at
character or word level by a RelGAN-class GAN (Gumbel-softmax samples, maximum-likelihood pre-training) or by
the maximum-likelihood baseline on the same generator; the summary scores samples against held-out lines.

    duelo train --task text                                  # names, character level, relgan
    duelo train --task text --model mle                      # the language-model baseline
    duelo train --task text --conditional                    # names that follow their label (female / male)
    duelo train --task text --dataset lines.txt --level word
    duelo sample runs/names-text -n 20 --temperature 0.8
"""

from __future__ import annotations

from typing import Any

from duelo.config import COMMON_SECTIONS, Config
from duelo.config.sections import LossConfig, StabiliseConfig
from duelo.tasks.base import Parts, Session, Task, refuse_health
from duelo.tasks.text.config import TextDataConfig, TextModelConfig


class Text(Task):
    name = "text"
    description = "lines of text at character or word level: a RelGAN-class GAN and the maximum-likelihood baseline"
    sections = {**COMMON_SECTIONS, "data": TextDataConfig, "text": TextModelConfig, "loss": LossConfig,
                "stabilise": StabiliseConfig}
    defaults = {"train.batch": 64, "train.total_kimg": 200.0, "optim.g_lr": 1e-4, "optim.d_lr": 1e-4,
                "optim.beta1": 0.9, "optim.beta2": 0.999, "loss.name": "rpgan", "run.snapshot_kimg": 20.0,
                "run.log_kimg": 2.0, "health.enabled": False}
    sample_unit = "line"
    headline_figures = ("scores.bleu4", "scores.self_bleu4", "scores.novelty", "scores.nll_per_token")
    data_parallel = False

    def run_name(self, config: Config) -> str:
        from pathlib import Path

        return config.run.name or f"{Path(config.data.dataset).stem}-text"

    def check(self, config: Config) -> Config:
        from duelo.errors import ConfigError
        from duelo.stabilisers import STABILISERS
        from duelo.tasks.text.parts import TEXT_MODELS

        if not TEXT_MODELS.get(config.text.model).adversarial:
            active = [name for name in STABILISERS.names() if getattr(config.stabilise, name)]
            if active:
                raise ConfigError(f"text.model {config.text.model} trains no discriminator, so the stabilisers "
                                  f"do not apply; drop {', '.join('stabilise.' + n for n in active)}")
        refuse_health(config, "text")
        return config

    def load_data(self, config: Config, runtime, log) -> Any:
        from duelo.errors import ConfigError
        from duelo.tasks.text.data import load_text_data

        data = load_text_data(config)
        if config.data.conditional and data.train.labels is None:
            raise ConfigError(f"data.conditional: {config.data.dataset} has no labels; drop --conditional or give "
                              f"`label<TAB>text` lines")
        log(f"data: {len(data.train):,} training lines and {len(data.heldout):,} held-out ones from {data.source}; "
            f"{len(data.vocab):,} {config.data.level} tokens, {data.max_len} per sample")
        return data

    def build(self, config: Config, data, runtime) -> Parts:
        from duelo.tasks.text.parts import assemble

        return assemble(config, data, runtime)

    def start(self, session: Session) -> None:
        c = session.config
        kind = f", conditional on {'/'.join(session.data.class_names)}" if c.data.conditional else ""
        session.log(f"run folder {session.run_dir.path} | {c.text.model} on {session.data.source}{kind} | "
                    f"{session.trainer.runtime.describe()}")

    def snapshots(self, session: Session):
        from duelo.tasks.text.snapshots import TextSnapshots

        return TextSnapshots(session)
