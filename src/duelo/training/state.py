"""Everything a run needs to continue exactly: networks, optimisers, counters, RNG states, data position.

`capture` flattens it into (tensors for safetensors, JSON-able metadata); `restore` puts it back.
Nothing here is pickled: optimiser states are split into tensors and plain hyper-parameters.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from duelo.errors import CheckpointError, DamagedCheckpoint
from duelo.io.json_files import Invalid, check, integer, number, of

# what `capture` writes into a checkpoint's state.json, checked before anything is restored
STATE_FIELDS = {"counters": {"nimg": integer(0), "iteration": integer(0), "elapsed_s": number(0)},
                "optimizers": of(dict), "rng": {"numpy": of(list), "python": of(list)}}
MALFORMED = (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError)


def check_state(meta: Any, extra: dict[str, Any] | None = None) -> None:
    """DamagedCheckpoint naming the first field of a checkpoint's state that is missing or malformed."""
    try:
        check(meta, {**STATE_FIELDS, **(extra or {})})
    except Invalid as problem:
        field, expected, got = problem.args
        raise DamagedCheckpoint(f"the checkpoint's state.json: {field} must be {expected}, got {got}") from None


@dataclass
class Counters:
    nimg: int = 0            # real images shown to D so far
    iteration: int = 0       # completed iterations (d_steps D steps + one G step)
    elapsed_s: float = 0.0   # training wall time accumulated over all sessions of the run


def _flatten_optimizer(prefix: str, optimizer: torch.optim.Optimizer, tensors: dict, meta: dict) -> None:
    state = optimizer.state_dict()
    for index, values in state["state"].items():
        for key, value in values.items():
            if not torch.is_tensor(value):
                raise CheckpointError(f"optimizer state {prefix}.{index}.{key} is not a tensor")
            tensors[f"{prefix}.state.{index}.{key}"] = value
    meta[prefix] = state["param_groups"]


def _unflatten_optimizer(prefix: str, optimizer: torch.optim.Optimizer, tensors: dict, meta: dict) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    marker = f"{prefix}.state."
    for name, value in tensors.items():
        if name.startswith(marker):
            index, key = name[len(marker):].split(".", 1)
            state.setdefault(int(index), {})[key] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta[prefix]})


def _first_mismatch(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor]) -> str:
    """The first key that differs between a module's state and a checkpoint's, named (not cut off)."""
    missing = [key for key in expected if key not in found]
    if missing:
        return f"missing key {missing[0]!r}, {len(missing)} in all"
    unexpected = [key for key in found if key not in expected]
    if unexpected:
        return f"unexpected key {unexpected[0]!r}, {len(unexpected)} in all"
    for key, tensor in expected.items():
        if tuple(found[key].shape) != tuple(tensor.shape):
            return f"{key!r} has shape {tuple(found[key].shape)} in the checkpoint, {tuple(tensor.shape)} here"
    return "tensors of another kind"


def capture(nets: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
            generators: dict[str, torch.Generator], counters: Counters,
            extra: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors: dict[str, torch.Tensor] = {}
    meta: dict[str, Any] = {"counters": asdict(counters), **extra}
    for name, net in nets.items():
        for key, value in net.state_dict().items():
            tensors[f"net.{name}.{key}"] = value
    optim_meta: dict[str, Any] = {}
    for name, optimizer in optimizers.items():
        _flatten_optimizer(f"opt.{name}", optimizer, tensors, optim_meta)
    meta["optimizers"] = optim_meta
    for name, generator in generators.items():
        tensors[f"rng.{name}"] = generator.get_state()
    tensors["rng.torch_cpu"] = torch.get_rng_state()
    if torch.cuda.is_available():
        for index, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{index}"] = state
    np_state = np.random.get_state()
    tensors["rng.numpy_keys"] = torch.from_numpy(np_state[1].astype(np.int64))
    py_version, py_internal, py_gauss = random.getstate()
    meta["rng"] = {"numpy": [np_state[0], int(np_state[2]), int(np_state[3]), float(np_state[4])],
                   "python": [py_version, list(py_internal), py_gauss]}
    return tensors, meta


def restore(tensors: dict[str, torch.Tensor], meta: dict[str, Any], nets: dict[str, nn.Module],
            optimizers: dict[str, torch.optim.Optimizer], generators: dict[str, torch.Generator]) -> Counters:
    check_state(meta)
    for name, net in nets.items():
        prefix = f"net.{name}."
        own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        if not own:
            held = sorted({k.split(".")[1] for k in tensors if k.startswith("net.")})
            raise CheckpointError(f"the checkpoint has no network {name!r} (it holds {', '.join(held) or 'none'}): "
                                  f"an older duelo or another task wrote it. Start a new run folder (--name NEW_NAME "
                                  f"or another --out), or resume it with the duelo version that wrote it")
        try:
            net.load_state_dict(own, strict=True)
        except RuntimeError:
            raise CheckpointError(f"the checkpoint's {name} does not match the configured model "
                                  f"({_first_mismatch(net.state_dict(), own)}); was the model changed? use a new run "
                                  f"folder (--name NEW_NAME or another --out)") from None
    for name, generator in generators.items():
        if f"rng.{name}" not in tensors:
            raise CheckpointError(f"the checkpoint has no random state for {name!r}: an older duelo or another task "
                                  f"wrote it. Start a new run folder (--name NEW_NAME or another --out)")
    try:
        for name, optimizer in optimizers.items():
            _unflatten_optimizer(f"opt.{name}", optimizer, tensors, meta["optimizers"])
        for name, generator in generators.items():
            generator.set_state(tensors[f"rng.{name}"])
        torch.set_rng_state(tensors["rng.torch_cpu"])
        if torch.cuda.is_available():
            states = [tensors[k] for k in sorted(tensors) if k.startswith("rng.cuda.")]
            if len(states) == torch.cuda.device_count():
                torch.cuda.set_rng_state_all(states)
        np_meta = meta["rng"]["numpy"]
        np.random.set_state((np_meta[0], tensors["rng.numpy_keys"].numpy().astype(np.uint32), *np_meta[1:]))
        py = meta["rng"]["python"]
        random.setstate((py[0], tuple(py[1]), py[2]))
    except MALFORMED as error:
        raise DamagedCheckpoint(f"the checkpoint's optimiser or random state is malformed ({type(error).__name__}: "
                                f"{str(error)[:120]})") from None
    return Counters(**meta["counters"])
