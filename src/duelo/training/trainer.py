"""The trainer: the only place that calls backward() and step().

It owns mechanics alone: players (networks and their optimisers), phases as data (D steps per G step,
lazy regularisation), gradient accumulation, mixed precision, EMA copies of the players that ask for one,
non-finite detection, and state capture for checkpoints. What the losses are comes from the objective's
phases (duelo.training.protocols); where files go comes from the caller's hooks. The step does no host
synchronisation (losses are reported on the device and read at log intervals), uses on-device
torch.Generators for every random number and keeps shapes static, so on a GPU the whole iteration is
captured in a CUDA graph and replayed (duelo.training.graphs), and with several processes each phase's
gradients are averaged across them before its optimiser steps (duelo.training.distributed).

Random streams are per *shard*: the sub-batch at global position rank * rounds + round has its own
generator, seeded from (seed, shard). One process with two accumulation rounds of 32 and two processes
with one round of 32 each therefore draw the same latents for the same images and take the same steps.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from duelo.errors import CheckpointError, DamagedCheckpoint, NonFiniteError
from duelo.io.json_files import number, of
from duelo.training.ema import ema_beta, update_ema
from duelo.faults import fault_point, inject_nan
from duelo.training.graphs import StepGraphs
from duelo.training.protocols import Feed, Objective, Phase, Player
from duelo.training.runtime import Runtime
from duelo.training.signals import StopRequested
from duelo.training.state import MALFORMED, Counters, capture, check_state, restore
from duelo.training.stats import StepStats


TRAIN_STREAM_OFFSET = 0x5EED_0FF5   # separates the training random stream from the initialisation stream
SHARD_STREAM_STRIDE = 0x9E37_79B9   # seed distance between the random streams of two shards


@dataclass(frozen=True)
class TrainerSettings:
    batch:             int            # images per step, summed over accumulation rounds
    accum_rounds:      int = 1
    ema_halflife_kimg: float = 10.0
    ema_rampup:        float | None = 0.05


class Trainer:
    def __init__(self, objective: Objective, players: dict[str, Player], feed: Feed, runtime: Runtime,
                 settings: TrainerSettings, seed: int):
        assert settings.batch % settings.accum_rounds == 0, "batch must split evenly into rounds"
        assert feed.batch * settings.accum_rounds == settings.batch, "feed batch is the per-round batch"
        assert isinstance(objective, Objective) and isinstance(feed, Feed), (objective, feed)
        for phase in objective.phases:
            unknown = (set(phase.players) | set(phase.keeps)) - set(players)
            assert not unknown, f"phase {phase.name} names unknown players {unknown}"
        self.objective = objective
        self.players = players
        self.nets: dict[str, nn.Module] = {name: player.module for name, player in players.items()}
        self.optimizers = {name: player.optimizer for name, player in players.items()}
        # averaged copies of the players that ask for one (the generators): what sampling uses
        self.ema: dict[str, nn.Module] = {name: copy.deepcopy(player.module).eval().requires_grad_(False)
                                          for name, player in players.items() if player.ema}
        self.feed = feed
        self.runtime = runtime
        self.settings = settings
        # its own streams, one per round: not the one that initialised the weights (torch.manual_seed(seed))
        first_shard = runtime.rank * settings.accum_rounds
        self.generators = [torch.Generator(device=runtime.device).manual_seed(
            seed + TRAIN_STREAM_OFFSET + (first_shard + r) * SHARD_STREAM_STRIDE) for r in range(settings.accum_rounds)]
        self.stats = StepStats(runtime.device)
        self.counters = Counters()
        self.first_step_at: float | None = None      # perf_counter() when this process's first iteration ended
        self.lr_scale = 1.0           # product of the learning-rate cuts made after divergence rollbacks
        # state besides the players (augmentation probability, history pool): saved with the run
        self.aux: dict[str, nn.Module] = dict(objective.state_modules())
        # callables run on the host before every step with the trainer (e.g. progressive growing's level);
        # each must be a function of the counters alone, so that a resumed run repeats them exactly
        self.schedules: list[Callable[["Trainer"], None]] = []
        for optimizer in self.optimizers.values():
            runtime.configure_optimizer(optimizer)
        feed.reserve(max(self._real_batches(range(len(objective.phases))), 1))
        self.graphs: StepGraphs | None = None          # created at the first step, if the runtime asks for them
        self.graphs_off_reason: str | None = None
        self._ema_beta = torch.zeros((), device=runtime.device)   # read by captured steps at every replay

    @property
    def G_ema(self) -> nn.Module:
        """The averaged generator of a task whose generator player is called "G"."""
        return self.ema["G"]

    def saved_modules(self) -> dict[str, nn.Module]:
        """Every module whose state a checkpoint holds, by its name there: players, EMA copies, aux state."""
        return {**self.nets, **{f"{name}_ema": net for name, net in self.ema.items()}, **self.aux}

    @property
    def generator(self) -> torch.Generator:
        """The first shard's random stream."""
        return self.generators[0]

    # -- one iteration ---------------------------------------------------------------------------
    def _real_batches(self, due, counted_only: bool = False) -> int:
        """Real batches this process draws in an iteration running the phases `due` (per round each)."""
        phases = self.objective.phases
        return sum(phases[i].repeats * self.settings.accum_rounds for i in due
                   if phases[i].uses_real and (phases[i].counted or not counted_only))

    def step(self) -> None:
        """One iteration: each due phase's steps in order, then the EMA update. The host decides what is due
        and stages the data; the device work is `_iterate`, run eagerly or replayed from a CUDA graph."""
        per_round = self.settings.batch // self.settings.accum_rounds
        for schedule in self.schedules:
            schedule(self)
        phases = self.objective.phases
        due = tuple(i for i, phase in enumerate(phases) if phase.due(self.counters.iteration))
        self.feed.stage(self._real_batches(due))
        images = self._real_batches(due, counted_only=True) * per_round * self.runtime.world_size
        self.counters.nimg += images
        self.counters.iteration += 1
        beta = ema_beta(images, self.counters.nimg, self.settings.ema_halflife_kimg, self.settings.ema_rampup)
        graphs = self._graphs()
        if graphs is None:
            self._iterate(due, beta)
            return
        self._ema_beta.fill_(beta)
        graphs.run(due, lambda: self._iterate(due, self._ema_beta))

    def _iterate(self, due: tuple[int, ...], ema_beta_value: float | torch.Tensor) -> None:
        """The device work of one iteration (captured whole in a CUDA graph on GPUs): no host reads, no
        Python decisions on tensor values."""
        rounds = self.settings.accum_rounds
        per_round = self.settings.batch // rounds
        for index in due:
            phase: Phase = self.objective.phases[index]
            with_grad = set(phase.players) | set(phase.keeps)
            for name, net in self.nets.items():
                net.requires_grad_(name in with_grad)
            optimizers = [self.optimizers[name] for name in phase.players]
            for _ in range(phase.repeats):
                for optimizer in optimizers:
                    optimizer.zero_grad(set_to_none=True)
                for generator in self.generators:
                    # a batch is whatever the feed yields (images and labels; source and target images;
                    # conditions and rows...): the phase alone interprets it
                    batch = self.feed.next(generator) if phase.uses_real else None
                    with self.runtime.autocast():
                        terms = phase.terms(batch, generator, per_round)
                    (sum(terms.losses.values()) / rounds).backward()
                    for name, value in terms.losses.items():
                        self.stats.report(f"loss_{name}", value)
                    for name, value in terms.stats.items():
                        self.stats.report(name, value)
                for optimizer in optimizers:
                    self.runtime.average_gradients(optimizer)             # across processes; no-op alone
                    optimizer.step()
        for name, ema in self.ema.items():
            update_ema(ema, self.nets[name], ema_beta_value)

    def step_mode(self) -> str:
        """How iterations run, for logs and summaries: "CUDA graph (N captures)" or "eager (why)"."""
        if self.graphs is not None:
            return f"CUDA graph ({self.graphs.captures} capture{'s' if self.graphs.captures != 1 else ''})"
        return f"eager ({self.graphs_off_reason})" if self.graphs_off_reason else "eager"

    def _graphs(self) -> StepGraphs | None:
        """The graph runner, made at the first step when the runtime wants graphs and this trainer allows them
        (no per-step host schedules, a feed that stages its batches)."""
        if self.graphs is not None or self.graphs_off_reason is not None:
            return self.graphs
        reason = self.runtime.graphs_off_reason()
        if reason is None and self.schedules:
            reason = "a schedule changes the networks or learning rates between steps"
        if reason is not None:
            self.graphs_off_reason = reason
            return None
        self.graphs = StepGraphs(self.runtime.device, self.generators)
        return self.graphs

    def check_weights_finite(self) -> None:
        """Raise NonFiniteError when any weight or buffer of a player, an EMA copy or the auxiliary state is
        NaN/Inf (one host read). Runs before every checkpoint write, so a non-finite state is never committed."""
        nets = self.saved_modules()
        floating = {name: [t for t in net.state_dict().values() if t.is_floating_point()] for name, net in nets.items()}
        names = [name for name, tensors in floating.items() if tensors]
        flags = torch.stack([torch.stack([t.isfinite().all() for t in floating[n]]).all() for n in names])
        bad = [name for name, ok in zip(names, flags.cpu().tolist()) if not ok]
        if self.runtime.any_true(bool(bad)) and not bad:
            bad = ["another process's networks"]
        if bad:
            raise NonFiniteError(f"non-finite weights in {', '.join(bad)} at {self.counters.nimg / 1000:.1f} kimg "
                                 f"(iteration {self.counters.iteration}); no checkpoint was written from this state")

    def scale_learning_rates(self, lr_scale: float) -> None:
        """Set every optimiser's learning rate to (its rate at lr_scale 1) * lr_scale."""
        for optimizer in self.optimizers.values():
            for group in optimizer.param_groups:
                group["lr"] = group["lr"] / self.lr_scale * lr_scale
        self.lr_scale = lr_scale
        if self.graphs is not None:
            self.graphs.reset()                 # the captured optimiser steps hold the old rates

    def check_finite(self) -> None:
        """Raise NonFiniteError naming the term(s) that went NaN/Inf since the last check (one host read).
        With several processes all of them raise together (a NaN in one shard reaches every replica through
        the averaged gradients anyway), so that they roll back together."""
        bad = self.stats.nonfinite_names()
        if self.runtime.any_true(bool(bad)) and not bad:
            bad = ["a loss of another process"]
        if bad:
            raise NonFiniteError(
                f"non-finite {', '.join(bad)} at {self.counters.nimg / 1000:.1f} kimg "
                f"(iteration {self.counters.iteration}); nothing was written from this state")

    # -- the loop --------------------------------------------------------------------------------
    def fit(self, total_nimg: int, every: list[tuple[int, Callable[["Trainer"], None]]],
            stop_requested: Callable[[], bool] = lambda: False,
            on_stop: Callable[["Trainer"], None] | None = None) -> bool:
        """Iterate until `total_nimg` images; call each hook whenever nimg crosses a multiple of its period.

        Hooks run on the host between iterations (logging, snapshots); the finite check precedes them.
        `stop_requested` is polled between iterations (a signal handler sets it): then `on_stop` runs at that
        iteration boundary, where the state is whole, and fit returns False. Returns True when finished.
        """
        next_due = [(self.counters.nimg // period + 1) * period for period, _ in every]
        started = time.perf_counter()
        elapsed_before = self.counters.elapsed_s
        while self.counters.nimg < total_nimg:
            self.step()
            if self.first_step_at is None:
                self.runtime.synchronize()
                self.first_step_at = time.perf_counter()
            fault_point("iteration")
            inject_nan(self.counters.iteration, self.nets[self.objective.phases[0].players[0]])
            polled = self.counters.iteration % self.runtime.check_every == 0
            if polled:
                self.check_finite()
            done = self.counters.nimg >= total_nimg
            due = [i for i, when in enumerate(next_due) if self.counters.nimg >= when or done]
            if self.runtime.world_size == 1:
                stop = stop_requested()
            else:   # a signal or the clock may reach one process first: decide together, at fixed iterations
                stop = (polled or bool(due)) and self.runtime.any_true(stop_requested())
            if due or stop:
                self.check_finite()
                self.counters.elapsed_s = elapsed_before + time.perf_counter() - started
            for i in due:                      # hooks first: a stop never skips a due snapshot
                try:
                    every[i][1](self)
                except StopRequested:          # a stop signal cut long work short: the others still run
                    stop = True
                period = every[i][0]
                next_due[i] = (self.counters.nimg // period + 1) * period
            if stop and not done:
                if on_stop is not None:
                    on_stop(self)
                return False
        return True

    # -- state -----------------------------------------------------------------------------------
    def state(self, extra: dict) -> tuple[dict[str, torch.Tensor], dict]:
        self.check_finite()
        self.check_weights_finite()
        stats_tensors, stats_counts = self.stats.state()
        tensors, meta = capture(self.saved_modules(), self.optimizers, self._shard_generators(), self.counters,
                                {"feed": self.feed.state_dict(), "stats_counts": stats_counts,
                                 "runtime": self.runtime_signature(), "lr_scale": self.lr_scale, **extra})
        return {**tensors, **stats_tensors}, meta

    def runtime_signature(self) -> dict[str, str]:
        return {"device_type": self.runtime.device.type, "precision": self.runtime.precision}

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict) -> None:
        check_state(meta, {"feed": of(dict), "lr_scale": number(0, required=False),
                           "runtime": of(dict, required=False)})
        saved = meta.get("runtime", {})
        if saved and saved != self.runtime_signature():
            raise CheckpointError(
                f"this run was trained on {saved['device_type']} in {saved['precision']}, but this session "
                f"uses {self.runtime.device.type} in {self.runtime.precision}; resume it with the same "
                f"--device/--precision (an exact resume needs the same random streams), or start a new run "
                f"folder (--name NEW_NAME or another --out)")
        self._check_shards(tensors)
        self.counters = restore(tensors, meta, self.saved_modules(), self.optimizers, self._own_generators())
        for optimizer in self.optimizers.values():
            self.runtime.configure_optimizer(optimizer)
        try:
            self.feed.load_state_dict(meta["feed"])
            self.stats.load_state(tensors, meta.get("stats_counts", {}))
        except MALFORMED as error:
            raise DamagedCheckpoint(f"the checkpoint's data position or statistics are malformed "
                                    f"({type(error).__name__}: {str(error)[:120]})") from None
        self.lr_scale = float(meta.get("lr_scale", 1.0))
        if self.graphs is not None:
            self.graphs.reset()                 # the optimisers' state tensors were replaced

    # -- random streams by shard: "train" is shard 0 (the name single-round runs always used) -------------
    @staticmethod
    def _shard_name(shard: int) -> str:
        return "train" if shard == 0 else f"train.{shard}"

    def _own_generators(self) -> dict[str, torch.Generator]:
        first = self.runtime.rank * self.settings.accum_rounds
        return {self._shard_name(first + r): g for r, g in enumerate(self.generators)}

    def _shard_generators(self) -> dict[str, torch.Generator]:
        """Every shard's generator, all processes' (gathered, so that the main process can save them)."""
        if self.runtime.world_size == 1:
            return self._own_generators()
        states = self.runtime.all_gather([g.get_state() for g in self.generators])
        shards: dict[str, torch.Generator] = {}
        for rank, rank_states in enumerate(states):
            for r, state in enumerate(rank_states):
                holder = torch.Generator(device=self.runtime.device)
                holder.set_state(state)
                shards[self._shard_name(rank * self.settings.accum_rounds + r)] = holder
        return shards

    def _check_shards(self, tensors: dict[str, torch.Tensor]) -> None:
        missing = [name for name in self._own_generators() if f"rng.{name}" not in tensors]
        if missing:
            saved = sum(1 for k in tensors if k == "rng.train" or k.startswith("rng.train."))
            raise CheckpointError(
                f"the checkpoint holds the random streams of {saved} sub-batch(es) (processes x accumulation "
                f"rounds), but this session has {self.runtime.world_size * self.settings.accum_rounds}; resume "
                f"with the same number of GPUs times --accum, or start a new run folder (--name or another --out)")
