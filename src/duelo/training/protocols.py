"""What the trainer and the loop ask of a task's parts: players, phases, an objective, a feed, snapshots.

    Player     a network and its optimiser (and whether the trainer keeps an EMA copy of it)
    Phase      one kind of optimisation step, as data: which players step, how often, with what data,
               and the objective's function that computes its terms
    Terms      what a phase's function returns: losses (summed and back-propagated) and statistics
               (reported only), kept apart by type rather than by a naming convention
    Objective  the phases and the modules with training state besides the players (ADA's p, pools...)
    Feed       batches of real data with an exact, resumable position
    Snapshots  the task's periodic output (checkpoint, model folder, samples) and its final summary
    Hook       anything else run between iterations every `period_nimg` images (metrics, health, eval)

Any number of players: a CycleGAN has four (two translators, two discriminators), a TimeGAN-class model
three (embedder + recovery, generator + supervisor, discriminator). A phase may step several players
at once (each with its own optimiser) and may keep gradients
flowing into others whose graph a later phase of the same iteration reuses (`keeps`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, runtime_checkable

import torch
from torch import nn

Tensor = torch.Tensor


@dataclass
class Player:
    module:    nn.Module
    optimizer: Any                       # torch.optim.Optimizer, or a wrapper with its interface (ClipGradNorm)
    ema:       bool = False              # keep an exponential moving average of its weights (sampling uses it)


@dataclass
class Terms:
    losses: dict[str, Tensor]            # scalar terms summed into the phase's loss; logged as loss_<name>
    stats:  dict[str, Tensor] = field(default_factory=dict)   # logged only (means of device tensors)


MAIN = "main"                  # a phase of the game itself
REGULARISE = "regularise"      # a lazy regulariser (R1/R2, path length): it steps a player but adds no images
PHASE_KINDS = (MAIN, REGULARISE)


@dataclass(frozen=True)
class Phase:
    """One kind of optimisation step (StyleGAN2-ADA's phases), as data."""

    name:      str                              # label in logs ("D", "D_reg", "G")
    players:   tuple[str, ...]                  # whose optimisers step; their parameters get gradients
    terms:     Callable[..., Terms] = field(compare=False)   # (batch, generator, n) -> Terms
    kind:      str = MAIN                       # MAIN or REGULARISE
    repeats:   int = 1                          # consecutive steps per iteration (n_critic for D)
    uses_real: bool = False                     # draws a batch from the feed
    interval:  int = 1                          # runs on iterations whose index is a multiple of this
    counted:   bool = True                      # its real samples count towards kimg
    keeps:     tuple[str, ...] = ()             # players whose forward graph this phase keeps for a later phase
                                                # (their parameters need gradients here; they do not step)
    starts:    int = 0                          # first iteration it runs on (a stage after pre-training)
    ends:      int = 0                          # the iteration it stops before (a pre-training stage); 0 = never

    def due(self, iteration: int) -> bool:
        """Whether it runs on this iteration (0-based): inside [starts, ends) and on its interval."""
        return (self.starts <= iteration and (not self.ends or iteration < self.ends)
                and iteration % self.interval == 0)

    def __post_init__(self) -> None:
        assert self.kind in PHASE_KINDS, self.kind
        assert self.players and not set(self.players) & set(self.keeps), (self.players, self.keeps)
        assert self.repeats >= 1 and self.interval >= 1
        assert self.starts >= 0 and (not self.ends or self.ends > self.starts), (self.starts, self.ends)
        assert not (self.kind == REGULARISE and self.uses_real and self.counted), \
            f"phase {self.name}: a regulariser's real samples do not count towards kimg (counted=False)"


@runtime_checkable
class Objective(Protocol):
    phases: tuple[Phase, ...]

    def state_modules(self) -> dict[str, nn.Module]:
        """Modules with training state besides the players (saved with every checkpoint); may be empty."""
        ...


@runtime_checkable
class Feed(Protocol):
    batch: int                                   # samples per round in this process

    def next(self, generator: torch.Generator | None = None) -> Any: ...
                                                 # the next batch, as the objective's phases take it; a feed
                                                 # that draws at random uses the round's `generator`
    def reserve(self, count: int) -> None: ...   # room for `count` staged batches (before graph capture)
    def stage(self, count: int) -> None: ...     # draw the next `count` batches' positions into that room
    def state_dict(self) -> dict: ...
    def load_state_dict(self, state: dict) -> None: ...


@runtime_checkable
class Schedule(Protocol):
    """Run on the host before every step; a function of the trainer's counters alone (so a resume repeats it)."""

    def __call__(self, trainer) -> None: ...
    def describe(self) -> str: ...


@runtime_checkable
class Hook(Protocol):
    """Called between iterations whenever the image count crosses a multiple of `period_nimg`."""

    period_nimg: int

    def __call__(self, trainer) -> None: ...
    def restart(self, nimg: int) -> None:
        """The run continues from `nimg` (a resume or a rollback): forget what was logged after it."""
        ...


@runtime_checkable
class Snapshots(Protocol):
    written_nimg: int | None                     # image count of the last full snapshot, or None

    def __call__(self, trainer) -> None: ...                 # checkpoint, model folder, samples
    def checkpoint(self, trainer) -> Path: ...               # the training state alone (Ctrl-C)
    def restore(self, trainer, checkpoint) -> bool: ...      # re-make a resumed snapshot's missing/stale files
    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]: ...   # summary.json's figures
