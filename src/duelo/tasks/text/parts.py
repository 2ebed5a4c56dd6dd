"""The text task's models, one registry entry each (`text.model`):

    relgan   Gumbel-softmax GAN (Nie et al., ICLR 2019): a GRU generator pre-trained by maximum likelihood, then
             trained against RelGAN's multi-representation CNN discriminator with the shared objective and
             stabilisers, the inverse temperature annealed from 1 to beta_max
    seqgan   policy-gradient GAN (Yu et al., AAAI 2017): the same generator and pre-training, then REINFORCE with
             D's judgement of Monte-Carlo completions as each token's reward (seqgan.py); D reads one-hot lines
    mle      the same generator trained by maximum likelihood only: the baseline every text GAN must beat
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from duelo.config import Config
from duelo.registry import Registry
from duelo.tasks.base import Parts


@dataclass(frozen=True)
class TextModel:
    description: str
    assemble: Callable[..., Parts]                 # (config, data, runtime) -> Parts
    adversarial: bool                              # whether D and the shared stabilisers take part


TEXT_MODELS: Registry[TextModel] = Registry("text model")


def generator_kwargs(config: Config, data) -> dict:
    t = config.text
    return {"vocab_size": len(data.vocab), "max_len": data.max_len, "embed": t.embed, "hidden": t.hidden,
            "c_dim": len(data.class_names) if config.data.conditional else 0, "embed_dim": t.embed_dim,
            "generator": t.generator}


def _feed(config: Config, data, runtime, conditional: bool):
    from duelo.tasks.text.data import TokenFeed

    per_round = config.train.batch // config.train.accum_rounds
    return TokenFeed(data.train.ids, data.train.labels if conditional else None, len(data.vocab), per_round,
                     config.train.seed, runtime.device)


def pretrain_iterations(config: Config) -> int:
    return max(1, round(config.text.pretrain_kimg * 1000 / config.train.batch))


def mle_assemble(config: Config, data, runtime) -> Parts:
    import torch

    from duelo.tasks.text.networks import TextGenerator
    from duelo.tasks.text.objective import MLEObjective
    from duelo.training.lr_schedule import lr_schedules
    from duelo.training.protocols import Player

    kwargs = generator_kwargs(config, data)
    G = TextGenerator(**kwargs).to(runtime.device)
    o = config.optim
    optimizer = torch.optim.Adam(G.parameters(), lr=config.text.mle_lr, betas=(o.beta1, o.beta2))
    return Parts({"G": Player(G, optimizer, ema=True)}, MLEObjective(G), _feed(config, data, runtime,
                 kwargs["c_dim"] > 0), lr_schedules(config, {"G": optimizer}))


def _adversarial(config: Config, data, runtime, policy_gradient: bool) -> Parts:
    """relgan and seqgan: maximum-likelihood pre-training, then the game (relaxed samples, or REINFORCE)."""
    from duelo.tasks.gan_parts import assemble_gan
    from duelo.tasks.text.networks import TextDiscriminator, TextGenerator
    from duelo.tasks.text.objective import BetaSchedule, MLEObjective, StageRate
    from duelo.tasks.text.seqgan import SeqGANObjective
    from duelo.training.lr_schedule import lr_schedules

    kwargs = generator_kwargs(config, data)
    c_dim, t = kwargs["c_dim"], config.text
    labels = data.train.labels.to(runtime.device) if c_dim else None
    gan = assemble_gan(config, lambda: TextGenerator(**kwargs),
                       lambda **extra: TextDiscriminator(kwargs["vocab_size"], data.max_len, t.embed,
                                                         t.representations, c_dim=c_dim, **extra),
                       {}, (data.max_len, kwargs["vocab_size"]), runtime.device, label_pool=labels,
                       conditional=c_dim > 0, objective_type=SeqGANObjective if policy_gradient else None,
                       objective_extra={"rollouts": t.rollouts} if policy_gradient else None)
    pretrain = pretrain_iterations(config)
    objective = MLEObjective(gan.G, ends=pretrain, after=gan.objective)
    start = pretrain * config.train.batch
    decay = lr_schedules(config, gan.optimizers)
    schedules = [*decay, StageRate(gan.optimizers["G"], start, t.mle_lr, bool(decay))]
    if not policy_gradient:
        end = start + round(t.anneal_kimg * 1000) if t.anneal_kimg else round(config.train.total_kimg * 1000)
        schedules.insert(0, BetaSchedule(gan.G, start, max(start + 1, end), t.beta_max))
    return Parts(gan.players, objective, _feed(config, data, runtime, c_dim > 0), schedules)


def relgan_assemble(config: Config, data, runtime) -> Parts:
    return _adversarial(config, data, runtime, policy_gradient=False)


def seqgan_assemble(config: Config, data, runtime) -> Parts:
    return _adversarial(config, data, runtime, policy_gradient=True)


TEXT_MODELS.add("relgan", TextModel("RelGAN-class: Gumbel-softmax relaxed samples against a multi-representation "
                                    "CNN discriminator, after maximum-likelihood pre-training", relgan_assemble,
                                    True))
TEXT_MODELS.add("seqgan", TextModel("SeqGAN-class: policy gradient with Monte-Carlo rollouts, D's judgement of "
                                    "sampled lines as the reward, after maximum-likelihood pre-training",
                                    seqgan_assemble, True))
TEXT_MODELS.add("mle", TextModel("the same generator trained by maximum likelihood only (the baseline)",
                                 mle_assemble, False))


def assemble(config: Config, data, runtime) -> Parts:
    return TEXT_MODELS.get(config.text.model).assemble(config, data, runtime)
