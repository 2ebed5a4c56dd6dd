"""The trainer: the only place that calls backward() and step().

It owns mechanics alone: phases as data (D steps per G step), gradient accumulation, mixed precision,
the EMA generator, non-finite detection, and state capture for checkpoints. What the losses are comes
from the objective; where files go comes from the caller's hooks. The step does no host
synchronisation (losses are reported on the device and read at log intervals), uses an on-device
torch.Generator for every random number and keeps shapes static, so it can later be captured whole
in a CUDA graph and wrapped in DDP without a rewrite.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from duelo.errors import CheckpointError, NonFiniteError
from duelo.training.ema import ema_beta, update_ema
from duelo.training.faults import fault_point, inject_nan
from duelo.training.feed import BatchFeed
from duelo.training.runtime import Runtime
from duelo.training.state import Counters, capture, restore
from duelo.training.stats import StepStats


TRAIN_STREAM_OFFSET = 0x5EED_0FF5   # separates the training random stream from the initialisation stream


@dataclass(frozen=True)
class TrainerSettings:
    batch:             int            # images per step, summed over accumulation rounds
    accum_rounds:      int = 1
    ema_halflife_kimg: float = 10.0
    ema_rampup:        float | None = 0.05


class Trainer:
    def __init__(self, objective, G: nn.Module, D: nn.Module, optimizers: dict[str, torch.optim.Optimizer],
                 feed: BatchFeed, runtime: Runtime, settings: TrainerSettings, seed: int):
        assert settings.batch % settings.accum_rounds == 0, "batch must split evenly into rounds"
        assert feed.batch * settings.accum_rounds == settings.batch, "feed batch is the per-round batch"
        self.objective = objective
        self.nets: dict[str, nn.Module] = {"G": G, "D": D}
        self.G_ema = copy.deepcopy(G).eval().requires_grad_(False)
        self.optimizers = optimizers
        self.feed = feed
        self.runtime = runtime
        self.settings = settings
        # its own stream: not the one that initialised the weights (torch.manual_seed(seed) elsewhere)
        self.generator = torch.Generator(device=runtime.device).manual_seed(seed + TRAIN_STREAM_OFFSET)
        self.stats = StepStats(runtime.device)
        self.counters = Counters()
        self.lr_scale = 1.0           # product of the learning-rate cuts made after divergence rollbacks
        # state that is neither G nor D (augmentation probability, history pool): saved with the run
        self.aux: dict[str, nn.Module] = dict(getattr(objective, "state_modules", dict)())
        # callables run on the host before every step with the trainer (e.g. progressive growing's level);
        # each must be a function of the counters alone, so that a resumed run repeats them exactly
        self.schedules: list[Callable[["Trainer"], None]] = []

    # -- one iteration ---------------------------------------------------------------------------
    def step(self) -> None:
        """One iteration: each phase's steps in order, then the EMA update."""
        rounds = self.settings.accum_rounds
        per_round = self.settings.batch // rounds
        images_this_iteration = 0
        for schedule in self.schedules:
            schedule(self)
        for phase in self.objective.phases:
            if self.counters.iteration % phase.interval:
                continue                                  # lazy phase, not due this iteration
            net = self.nets[phase.module]
            other = self.nets["D" if phase.module == "G" else "G"]
            net.requires_grad_(True)
            other.requires_grad_(False)
            optimizer = self.optimizers[phase.module]
            for _ in range(phase.repeats):
                optimizer.zero_grad(set_to_none=True)
                for _ in range(rounds):
                    # a batch is whatever the feed yields (images and labels; source and target images...):
                    # the objective alone interprets it
                    batch = self.feed.next() if phase.uses_real else None
                    with self.runtime.autocast():
                        terms = self.objective.terms(phase, batch, self.generator, per_round)
                    total = sum(v for k, v in terms.items() if k.startswith("loss/"))
                    (total / rounds).backward()
                    for name, value in terms.items():
                        self.stats.report(name.replace("/", "_"), value)   # loss/D -> loss_D
                    if phase.uses_real and phase.counted:
                        images_this_iteration += per_round
                optimizer.step()
        self.counters.nimg += images_this_iteration
        self.counters.iteration += 1
        beta = ema_beta(images_this_iteration, self.counters.nimg, self.settings.ema_halflife_kimg,
                        self.settings.ema_rampup)
        update_ema(self.G_ema, self.nets["G"], beta)

    def check_weights_finite(self) -> None:
        """Raise NonFiniteError when any weight or buffer of G, D or G_ema is NaN/Inf (one host read).
        Runs before every checkpoint write, so a non-finite state is never committed."""
        nets = {**self.nets, "G_ema": self.G_ema, **self.aux}
        floating = {name: [t for t in net.state_dict().values() if t.is_floating_point()] for name, net in nets.items()}
        names = [name for name, tensors in floating.items() if tensors]
        flags = torch.stack([torch.stack([t.isfinite().all() for t in floating[n]]).all() for n in names])
        bad = [name for name, ok in zip(names, flags.cpu().tolist()) if not ok]
        if bad:
            raise NonFiniteError(f"non-finite weights in {', '.join(bad)} at {self.counters.nimg / 1000:.1f} kimg "
                                 f"(iteration {self.counters.iteration}); no checkpoint was written from this state")

    def scale_learning_rates(self, lr_scale: float) -> None:
        """Set every optimiser's learning rate to (its rate at lr_scale 1) * lr_scale."""
        for optimizer in self.optimizers.values():
            for group in optimizer.param_groups:
                group["lr"] = group["lr"] / self.lr_scale * lr_scale
        self.lr_scale = lr_scale

    def check_finite(self) -> None:
        """Raise NonFiniteError naming the term(s) that went NaN/Inf since the last check (one host read)."""
        bad = self.stats.nonfinite_names()
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
            fault_point("iteration")
            inject_nan(self.counters.iteration, self.nets["D"])
            if self.counters.iteration % self.runtime.check_every == 0:
                self.check_finite()
            done = self.counters.nimg >= total_nimg
            due = [i for i, when in enumerate(next_due) if self.counters.nimg >= when or done]
            stop = stop_requested()
            if due or stop:
                self.check_finite()
                self.counters.elapsed_s = elapsed_before + time.perf_counter() - started
            for i in due:                      # hooks first: a stop never skips a due snapshot
                every[i][1](self)
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
        nets = {**self.nets, "G_ema": self.G_ema, **self.aux}
        stats_tensors, stats_counts = self.stats.state()
        tensors, meta = capture(nets, self.optimizers, {"train": self.generator}, self.counters,
                                {"feed": self.feed.state_dict(), "stats_counts": stats_counts,
                                 "runtime": self.runtime_signature(), "lr_scale": self.lr_scale, **extra})
        return {**tensors, **stats_tensors}, meta

    def runtime_signature(self) -> dict[str, str]:
        return {"device_type": self.runtime.device.type, "precision": self.runtime.precision}

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict) -> None:
        saved = meta.get("runtime", {})
        if saved and saved != self.runtime_signature():
            raise CheckpointError(
                f"this run was trained on {saved['device_type']} in {saved['precision']}, but this session "
                f"uses {self.runtime.device.type} in {self.runtime.precision}; resume it with the same "
                f"--device/--precision (an exact resume needs the same random streams), or start a new run "
                f"with --name")
        nets = {**self.nets, "G_ema": self.G_ema, **self.aux}
        self.counters = restore(tensors, meta, nets, self.optimizers, {"train": self.generator})
        self.feed.load_state_dict(meta["feed"])
        self.stats.load_state(tensors, meta.get("stats_counts", {}))
        self.lr_scale = float(meta.get("lr_scale", 1.0))
