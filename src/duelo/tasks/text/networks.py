"""The text networks, written from the papers.

TextGenerator: a language model over tokens, optionally conditioned on a class code at every step, whose core is
a GRU (`generator="gru"`) or a causal transformer (`"transformer"`: pre-norm self-attention blocks with learned
positions, as RelGAN's relational-memory generator is attention over what was written). It has no latent: its
randomness is the sampling of each next token, as in RelGAN (Nie et al., ICLR 2019).
    teacher_logits(ids, labels)   next-token logits under teacher forcing (maximum likelihood, NLL)
    complete(ids, keep, labels)   each row's first keep[i] tokens kept, the rest sampled after them (SeqGAN's
                                  Monte-Carlo rollouts)
    forward(z, labels)            the relaxed sample for D (N, L, V): at each step softmax(beta * (o + g)) with
                                  Gumbel noise g, while the next input is the token argmax(o + g) (a sample from
                                  softmax(o)); after the end mark every row is the one-hot of <pad>, as in real rows
    sample(n, labels, temperature) token ids (N, L) by ancestral sampling at a temperature
TextDiscriminator: RelGAN's discriminator: the one-hot rows are embedded R times (several representations), each
read by convolutions of widths 2-5 over time with max-pooling; one logit per representation (N, R), which the
shared objective's per-element losses average.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from duelo.nn.conditioning import ClassProjection, LabelEmbedding
from duelo.tasks.text.vocab import BOS_ID, EOS_ID, PAD_ID

WIDTHS = (2, 3, 4, 5)
GENERATORS = ("gru", "transformer")
HEAD_WIDTH, BLOCKS = 32, 2                  # the transformer core: attention heads of 32 channels, two blocks


class CausalTransformer(nn.Module):
    """The GRU's contract, (inputs (N, T, C), state) -> (outputs (N, T, H), state), for a causal transformer: the
    state is every input so far, so a step attends to the whole prefix (no cache: lines are short)."""

    def __init__(self, in_dim: int, hidden: int, max_len: int):
        super().__init__()
        self.project = nn.Linear(in_dim, hidden)
        self.positions = nn.Parameter(torch.randn(max_len, hidden) * 0.02)
        block = nn.TransformerEncoderLayer(hidden, max(1, hidden // HEAD_WIDTH), 2 * hidden, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(block, BLOCKS, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(hidden)

    def forward(self, x: torch.Tensor, state: torch.Tensor | None = None):
        seen = x if state is None else torch.cat([state, x], dim=1)                  # (N, T0 + T, C)
        length = seen.shape[1]
        mask = torch.triu(torch.full((length, length), float("-inf"), device=x.device), diagonal=1)
        y = self.blocks(self.project(seen) + self.positions[:length], mask=mask, is_causal=True)
        return self.norm(y[:, -x.shape[1]:]), seen


class TextGenerator(nn.Module):
    def __init__(self, vocab_size: int, max_len: int, embed: int = 64, hidden: int = 256, c_dim: int = 0,
                 embed_dim: int = 8, generator: str = "gru"):
        super().__init__()
        if generator not in GENERATORS:
            raise ValueError(f"generator {generator!r}: one of {', '.join(GENERATORS)}")
        self.vocab_size, self.max_len, self.c_dim = int(vocab_size), int(max_len), int(c_dim)
        self.z_dim = 0
        self.tokens = nn.Embedding(self.vocab_size, embed)
        self.label = LabelEmbedding(c_dim, embed_dim) if c_dim > 0 else None
        recurrent = generator == "gru"
        self.start = nn.Linear(embed_dim, hidden) if c_dim > 0 and recurrent else None
        in_dim = embed + (embed_dim if c_dim > 0 else 0)
        self.rnn = (nn.GRU(in_dim, hidden, batch_first=True) if recurrent
                    else CausalTransformer(in_dim, hidden, self.max_len))
        self.out = nn.Linear(hidden, self.vocab_size)
        self.register_buffer("beta", torch.ones(()))          # Gumbel-softmax inverse temperature (training)

    def sample_latents(self, n: int, generator: torch.Generator | None = None,
                       device: torch.device | str | None = None) -> torch.Tensor:
        device = device or (generator.device if generator is not None else self.out.weight.device)
        return torch.zeros(n, 0, device=device)

    def _code(self, labels: torch.Tensor | None, n: int):
        if self.label is None:
            return None, None
        if labels is None:
            raise ValueError("this generator is class-conditional: pass labels")
        code = self.label(labels)                                             # (N, embed_dim)
        if self.start is None:                                                # the transformer reads it per step
            return code, None
        return code, torch.tanh(self.start(code))[None]                      # initial state (1, N, hidden)

    def _inputs(self, ids: torch.Tensor, code: torch.Tensor | None) -> torch.Tensor:
        x = self.tokens(ids)                                                  # (N, T, embed)
        return x if code is None else torch.cat([x, code[:, None].expand(-1, x.shape[1], -1)], dim=2)

    def teacher_logits(self, ids: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """(N, L, V) logits of each token given the ones before it (ids (N, L) as in the data)."""
        code, h0 = self._code(labels, ids.shape[0])
        previous = torch.cat([torch.full_like(ids[:, :1], BOS_ID), ids[:, :-1]], dim=1)
        return self.out(self.rnn(self._inputs(previous, code), h0)[0])

    def nll(self, ids: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Per-row negative log-likelihood (N,) in nats, over the tokens up to and including the end mark."""
        logits = self.teacher_logits(ids, labels)
        mask = _until_end(ids)
        token_nll = F.cross_entropy(logits.transpose(1, 2), ids, reduction="none")      # (N, L)
        return (token_nll * mask).sum(1)

    def _steps(self, n: int, labels, choose):
        """Run the model for max_len steps; choose(logits, step) -> (next ids (N,), output row (N, V) or None)."""
        code, h = self._code(labels, n)
        ids = torch.full((n, 1), BOS_ID, dtype=torch.long, device=self.out.weight.device)
        done = torch.zeros(n, dtype=torch.bool, device=ids.device)
        chosen, rows = [], []
        for step in range(self.max_len):
            y, h = self.rnn(self._inputs(ids, code), h)
            next_ids, row = choose(self.out(y[:, 0]).float(), step)
            next_ids = torch.where(done, torch.full_like(next_ids, PAD_ID), next_ids)
            if row is not None:
                pad = F.one_hot(torch.full_like(next_ids, PAD_ID), self.vocab_size).to(row.dtype)
                rows.append(torch.where(done[:, None], pad, row))
            chosen.append(next_ids)
            done = done | (next_ids == EOS_ID)
            ids = next_ids[:, None]
        return torch.stack(chosen, 1), (torch.stack(rows, 1) if rows else None)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        def relaxed(logits, step):
            u = torch.rand_like(logits).clamp_(1e-10, 1 - 1e-7)
            noisy = logits - torch.log(-torch.log(u))                                  # o + Gumbel noise
            return noisy.argmax(1), torch.softmax(self.beta * noisy, dim=1)
        return self._steps(z.shape[0], labels, relaxed)[1]

    @torch.no_grad()
    def complete(self, ids: torch.Tensor, keep: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Rows (N, L) whose tokens from position keep[i] (1 <= keep[i] <= L) on are sampled anew at temperature 1
        given the kept prefix; tokens after a row's first end mark become <pad>, as in real rows."""
        def forced(logits, step):
            drawn = torch.multinomial(torch.softmax(logits, dim=1), 1)[:, 0]
            return torch.where(keep > step, ids[:, step], drawn), None
        return self._steps(ids.shape[0], labels, forced)[0]

    @torch.no_grad()
    def sample(self, n: int, labels: torch.Tensor | None = None, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        def ancestral(logits, step):
            probs = torch.softmax(logits / max(temperature, 1e-4), dim=1)
            return torch.multinomial(probs, 1, generator=generator)[:, 0], None
        return self._steps(n, labels, ancestral)[0]


def _until_end(ids: torch.Tensor) -> torch.Tensor:
    """(N, L) float mask: 1 up to and including each row's first end mark (rows without one: every token)."""
    ended = (ids == EOS_ID).long().cumsum(1)
    return ((ended == 0) | ((ended == 1) & (ids == EOS_ID))).float()


class TextDiscriminator(nn.Module):
    def __init__(self, vocab_size: int, max_len: int, embed: int = 64, representations: int = 16,
                 channels: int = 64, c_dim: int = 0):
        super().__init__()
        self.vocab_size, self.max_len, self.c_dim = int(vocab_size), int(max_len), int(c_dim)
        self.representations = int(representations)
        self.embeddings = nn.Parameter(torch.randn(self.representations, self.vocab_size, embed) * embed ** -0.5)
        self.convs = nn.ModuleList(nn.Conv2d(1, channels, (width, embed)) for width in WIDTHS
                                   if width <= self.max_len)
        features = channels * len(self.convs)
        self.hidden = nn.Linear(features, features)
        self.out = nn.Linear(features, 1)
        self.projection = ClassProjection(c_dim, features) if c_dim > 0 else None

    def forward(self, rows: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = torch.einsum("nlv,rve->nrle", rows, self.embeddings.to(rows.dtype))       # (N, R, L, E)
        return self._read(x, labels)

    def read_ids(self, ids: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """forward() of the one-hot rows of token ids (N, L), without making them: a look-up per representation."""
        x = self.embeddings[:, ids].transpose(0, 1)                                   # (N, R, L, E)
        return self._read(x, labels)

    def _read(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        n, _, L, _ = x.shape
        x = x.reshape(n * self.representations, 1, L, -1)
        h = torch.cat([F.leaky_relu(conv(x), 0.2).amax(dim=(2, 3)) for conv in self.convs], dim=1)
        h = F.leaky_relu(self.hidden(h), 0.2)                                         # (N*R, F)
        logits = self.out(h).view(n, self.representations)
        if self.projection is not None:
            logits = logits + self.projection(h, labels.repeat_interleave(self.representations)).view(
                n, self.representations)
        return logits
