"""Data parallelism over processes with plain torch.distributed (launched by torchrun).

Why gradients are averaged per phase here instead of wrapping G and D in DistributedDataParallel: a GAN
iteration steps two networks in turn and runs each one in the other's phase (D judges G's images in the G
step; G makes D's fakes under no_grad), and R1/WGAN-GP differentiate D twice through autograd.grad. DDP's
reducer fires on every backward of a wrapped module and expects every parameter that requires a gradient
to receive one, which is what makes GAN training under DDP fragile (unused-parameter errors, hangs, the
need for no_sync in accumulation and a wrapper per network). Averaging the stepping network's gradients
once, after the phase's last accumulation round and right before its optimiser step, is the same
arithmetic as DDP's (mean over processes), needs no no_sync, cannot fire during a penalty's
autograd.grad, and is one collective per phase, which a CUDA graph can capture. Buffers (batch-norm
statistics) stay per process, like DDP with broadcast_buffers=False. StyleGAN2-ADA synchronises its
gradients the same way.

Every process seeds its weights identically (the config's seed), so identical averaged gradients keep the
replicas identical; `check_replicas` verifies it once at the start.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from duelo.errors import ConfigError


COLLECTIVE_TIMEOUT_MIN = 10     # longest wait for the other processes at a collective


@dataclass(frozen=True)
class ProcessGroup:
    rank:        int
    world_size:  int
    local_rank:  int


def launched_world() -> ProcessGroup | None:
    """The process group torchrun describes in the environment, or None for a single process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return None
    return ProcessGroup(rank=int(os.environ["RANK"]), world_size=world_size,
                        local_rank=int(os.environ.get("LOCAL_RANK", "0")))


def init(device_type: str, group: ProcessGroup) -> None:
    """Join the process group (NCCL between GPUs, gloo between CPU processes), once per process."""
    if dist.is_initialized():
        return
    if device_type == "cuda":
        if torch.cuda.device_count() <= group.local_rank:
            raise ConfigError(f"process {group.rank} wants GPU {group.local_rank}, but this machine has "
                              f"{torch.cuda.device_count()}; launch at most as many processes per node as GPUs")
        torch.cuda.set_device(group.local_rank)
    backend = "nccl" if device_type == "cuda" else "gloo"
    kwargs = {"device_id": torch.device("cuda", group.local_rank)} if device_type == "cuda" else {}
    # a peer that died leaves the others waiting in a collective: give up after minutes, not torch's default
    timeout = datetime.timedelta(minutes=COLLECTIVE_TIMEOUT_MIN)
    dist.init_process_group(backend=backend, store=_attempt_store(group, timeout), rank=group.rank,
                            world_size=group.world_size, timeout=timeout, **kwargs)


def _attempt_store(group: ProcessGroup, timeout: datetime.timedelta) -> dist.Store:
    """torchrun's key-value store, under a prefix of its own for each restart attempt. The store outlives the
    workers; without the prefix a restarted process can read the address a dead process of the previous
    attempt published, and fail to connect (seen with gloo on one machine)."""
    agent_hosts = os.environ.get("TORCHELASTIC_USE_AGENT_STORE", "").lower() == "true"
    store = dist.TCPStore(os.environ.get("MASTER_ADDR", "127.0.0.1"), int(os.environ["MASTER_PORT"]),
                          world_size=None if agent_hosts else group.world_size,
                          is_master=not agent_hosts and group.rank == 0, timeout=timeout)
    return dist.PrefixStore(f"duelo/attempt-{os.environ.get('TORCHELASTIC_RESTART_COUNT', '0')}", store)


def average_gradients(optimizer, world_size: int) -> None:
    """Replace each gradient of `optimizer`'s parameters by its mean over the processes: one all-reduce of
    all of them flattened together (small GAN networks: one message beats many)."""
    grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat.div_(world_size)
    torch._foreach_copy_(grads, [part.view_as(g) for part, g in zip(flat.split([g.numel() for g in grads]), grads)])


def all_gather(tensors: list[torch.Tensor], device: torch.device) -> list[list[torch.Tensor]]:
    """Every process's `tensors` (same shapes everywhere), indexed [rank][i], on the CPU."""
    world_size = dist.get_world_size()
    result: list[list[torch.Tensor]] = [[] for _ in range(world_size)]
    for tensor in tensors:
        local = tensor.to(device)
        parts = [torch.empty_like(local) for _ in range(world_size)]
        dist.all_gather(parts, local)
        for rank, part in enumerate(parts):
            result[rank].append(part.cpu())
    return result


def any_true(flag: bool, device: torch.device) -> bool:
    """True when `flag` is true on any process (a host decision every process must take together)."""
    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


def min_across(value: float, device: torch.device) -> float:
    tensor = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MIN)
    return float(tensor.item())


def check_replicas(modules: dict[str, torch.nn.Module], device: torch.device) -> None:
    """Refuse to train when the processes' networks start different (a seed or config mismatch)."""
    for name, module in modules.items():
        params = [p.detach().reshape(-1).float() for p in module.parameters()]
        if not params:
            continue
        total = torch.cat(params).double().sum().reshape(1).to(device)
        low, high = total.clone(), total.clone()
        dist.all_reduce(low, op=dist.ReduceOp.MIN)
        dist.all_reduce(high, op=dist.ReduceOp.MAX)
        if not torch.equal(low, high):
            raise ConfigError(f"the processes' {name} networks differ at the start; every process must use the "
                              f"same configuration and seed")


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()
