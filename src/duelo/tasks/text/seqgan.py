"""SeqGAN (Yu et al., AAAI 2017): the generator as a policy that writes one token at a time, trained by the policy
gradient (REINFORCE) with the discriminator's judgement of whole lines as the reward.

A finished line gets one judgement, yet every token needs a reward of its own: the value of token t is estimated
by Monte-Carlo search, completing the line from its first t+1 tokens `text.rollouts` times with the generator
itself and averaging D's judgement of the completions (the paper's eq. 4; the last token's value is D's judgement
of the line). G's loss is

    -sum_t (Q_t - b_t) log G(y_t | y_<t)        over the tokens up to and including the end mark,

with b_t the batch's mean value at position t (a baseline: it leaves the gradient's expectation unchanged and its
variance smaller). D reads one-hot lines — G's own samples, not relaxed ones — and is trained by the shared
objective's D phase, with its loss and stabilisers; the rewards are D's reading of the bare lines (no
augmentation or instance noise: they judge, they are not trained). The reward is D's probability that the line is real,
sigmoid(logit); for a relativistic loss, whose logits have no fixed zero, sigmoid(logit - the mean logit of a real
batch): how far the line reads as more real than a typical real one.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from duelo.errors import ConfigError
from duelo.objectives import GANObjective
from duelo.tasks.text.networks import _until_end
from duelo.training.protocols import Phase, Terms


def rollout_values(G: nn.Module, judge, ids: torch.Tensor, labels: torch.Tensor | None, rollouts: int) -> torch.Tensor:
    """Q (N, L): for token t, the mean reward of `rollouts` completions of the line from its first t+1 tokens;
    for the last position (and every one after the end mark) the reward of the line itself."""
    n, length = ids.shape
    with torch.no_grad():
        keeps = torch.arange(1, length, device=ids.device)                       # prefixes 1..L-1
        repeated = ids.repeat(rollouts * (length - 1), 1)                       # (K*(L-1)*N, L)
        keep = keeps.repeat_interleave(n).repeat(rollouts)
        rep_labels = None if labels is None else labels.repeat(rollouts * (length - 1))
        completed = G.complete(repeated, keep, rep_labels)
        rewards = judge(torch.cat([completed, ids]), None if labels is None else torch.cat([rep_labels, labels]))
        searched = rewards[:-n].view(rollouts, length - 1, n).mean(0).T          # (N, L-1)
        whole = rewards[-n:]                                                     # (N,)
        values = torch.cat([searched, whole[:, None]], dim=1)                   # (N, L)
        ended = (_until_end(ids) == 0)                                           # positions after the end mark
        return torch.where(ended, whole[:, None].expand(-1, length), values)


def policy_loss(G: nn.Module, ids: torch.Tensor, labels: torch.Tensor | None, values: torch.Tensor) -> torch.Tensor:
    """REINFORCE with a per-position batch-mean baseline, over the tokens up to and including the end mark."""
    advantage = values - values.mean(0, keepdim=True)
    mask = _until_end(ids)
    log_probs = -F.cross_entropy(G.teacher_logits(ids, labels).float().transpose(1, 2), ids, reduction="none")
    return -(advantage * log_probs * mask).sum() / mask.sum()


class SeqGANObjective(GANObjective):
    """The shared GAN objective with one-hot sampled fakes for D and a policy-gradient G phase."""

    def __init__(self, G: nn.Module, D: nn.Module, loss, rollouts: int, **kwargs):
        super().__init__(G, D, loss, **kwargs)
        if self.mode_seeking > 0:
            raise ConfigError("stabilise.mode_seeking pairs the samples of G's differentiable batch; policy-gradient "
                              "text G (text.policy_gradient) has none: leave stabilise.mode_seeking at 0")
        self.rollouts = int(rollouts)
        phases = [p for p in self.phases if p.name != "G"]
        phases.append(Phase("G", ("G",), self._policy_terms, uses_real=loss.relativistic,
                            counted=not loss.relativistic))
        self.phases = tuple(phases)

    def _one_hot(self, ids: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        return F.one_hot(ids, self.G.vocab_size).to(dtype)

    def _fakes_like(self, real, real_labels, generator):
        with torch.no_grad():
            ids = self.G.sample(real.shape[0], real_labels)
        return self._one_hot(ids, real.dtype), real_labels

    def _judge(self, offset: torch.Tensor | float):
        def reward(ids: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
            labels = labels if self.D.c_dim else None
            out = []
            for k in range(0, len(ids), 8192):                                  # bounded memory per D call
                part = ids[k:k + 8192]
                logits = self.D.read_ids(part, None if labels is None else labels[k:k + 8192])
                out.append(torch.sigmoid(logits.float().reshape(len(part), -1).mean(1) - offset))
            return torch.cat(out)
        return reward

    def _policy_terms(self, batch, generator: torch.Generator, n: int) -> Terms:
        offset = 0.0
        if self.loss.relativistic:          # fakes take the real batch's labels, as in D's steps
            real, labels = batch
            labels = labels if self.D.c_dim else None
            with torch.no_grad():
                offset = self.D(real, labels).float().mean()                    # bare, as the rewards
            n = real.shape[0]
        else:
            _, labels = self.sample_generator_inputs(n, generator)
        with torch.no_grad():
            ids = self.G.sample(n, labels)                                       # (N, L)
        values = rollout_values(self.G, self._judge(offset), ids, labels, self.rollouts)
        return Terms({"G": policy_loss(self.G, ids, labels, values)},
                     {"G_reward": values[:, -1].mean(), "G_reward_spread": values.std()})
