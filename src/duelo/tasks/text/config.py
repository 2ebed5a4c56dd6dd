"""The configuration sections of the text task: the lines (a named source or a file, the token level, the
length) and the model (relgan, seqgan or the maximum-likelihood baseline on the same generator)."""

from __future__ import annotations

from dataclasses import dataclass

from duelo.config.fields import at_least, from_registry, positive, positive_int, setting


@dataclass(frozen=True)
class TextDataConfig:
    dataset:     str = setting("names", "names (US Census first names, labelled female/male), or a UTF-8 .txt "
                               "file with one sample per line (`label<TAB>text` lines carry labels)",
                               cli="--dataset")
    level:       str = setting("char", "tokens: char (one per character) or word (words and punctuation)",
                               cli="--level", choices=from_registry("duelo.tasks.text.vocab:LEVELS"))
    max_len:     int = setting(0, "tokens per sample, the end mark included; longer lines are cut; 0 = the "
                               "length that fits 99 % of the lines", cli="--max-len", check=at_least(0, integer=True))
    max_vocab:   int = setting(0, "keep the most frequent tokens only (the rest read as <unk>); 0 = all",
                               check=at_least(0, integer=True))
    max_lines:   int = setting(0, "keep at most this many lines (a seeded sample); 0 = all",
                               check=at_least(0, integer=True))
    conditional: bool = setting(False, "class-conditional generator and discriminator (needs labelled lines)",
                                cli="--conditional/--unconditional")


@dataclass(frozen=True)
class TextModelConfig:
    model:        str = setting("relgan", "relgan (Gumbel-softmax GAN after maximum-likelihood pre-training), seqgan "
                                "(policy gradient with Monte-Carlo rollouts, after the same pre-training) or mle "
                                "(the same generator trained by maximum likelihood only: the baseline)",
                                cli="--model", choices=from_registry("duelo.tasks.text.parts:TEXT_MODELS"))
    generator:    str = setting("gru", "G's core: gru (a recurrent network) or transformer (causal self-attention, "
                                "two pre-norm blocks; RelGAN's generator is attention-based)",
                                choices=("gru", "transformer"))
    embed:        int = setting(64, "size of the token embeddings of G and D", check=positive_int)
    hidden:       int = setting(256, "size of G's recurrent state (transformer: its width; a multiple of 32 keeps "
                                "its 32-channel heads whole)", cli="--width", check=positive_int)
    embed_dim:    int = setting(8, "size of the class code (conditional models)", check=positive_int)
    mle_lr:       float = setting(1e-3, "Adam's learning rate of maximum-likelihood training (the mle model, relgan's "
                                  "pre-training); optim.g_lr is G's rate in the adversarial stage", check=positive)
    pretrain_kimg: float = setting(20.0, "relgan, seqgan: thousands of samples of maximum-likelihood pre-training "
                                   "before the adversarial stage", check=at_least(0))
    anneal_kimg:  float = setting(0.0, "relgan: thousands of samples of the adversarial stage over which beta rises "
                                  "to beta_max; 0 = the rest of train.total_kimg (set it when --minutes ends the run)",
                                  check=at_least(0))
    beta_max:     float = setting(100.0, "relgan: the Gumbel-softmax inverse temperature rises from 1 to this "
                                  "over the adversarial stage (Nie et al. 2019: 100 or 1000)", check=positive)
    representations: int = setting(16, "relgan, seqgan: D's embeddings of its one-hot input, each read by the same "
                                   "convolutions (the paper's multiple representations)", check=positive_int)
    rollouts:     int = setting(8, "seqgan: Monte-Carlo completions of each prefix that estimate a token's reward",
                                check=positive_int)
    eval_samples: int = setting(1000, "generated lines behind the scores of the summary",
                                check=at_least(16, integer=True))
    temperature:  float = setting(1.0, "sampling temperature of the summary's samples and scores", check=positive)
