"""`duelo train --gpus N`: start N training processes, one per GPU, through torchrun (elastic restarts
included), each running the same `duelo train` command. Every process trains its share of the global
batch (duelo.training.distributed); the first one writes the run folder."""

from __future__ import annotations

import os
import subprocess
import sys

from duelo.errors import ConfigError

OWN_OPTIONS = {"--gpus": 1, "--max-restarts": 1}     # options this launcher consumes, with their value counts


def worker_arguments(argv: list[str]) -> list[str]:
    """`argv` (the words after `train`) without the launcher's own options."""
    kept: list[str] = []
    skip = 0
    for word in argv:
        if skip:
            skip -= 1
            continue
        name, _, value = word.partition("=")
        if name in OWN_OPTIONS:
            skip = 0 if value else OWN_OPTIONS[name]
            continue
        kept.append(word)
    return kept


def torchrun_command(argv: list[str], gpus: int, max_restarts: int) -> list[str]:
    """The torchrun command line: a standalone rendezvous on this machine, `gpus` workers, restarts allowed."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={gpus}",
            f"--max-restarts={max_restarts}", "-m", "duelo", "train", *worker_arguments(argv)]


def launched_by_torchrun() -> bool:
    return "TORCHELASTIC_RUN_ID" in os.environ or int(os.environ.get("WORLD_SIZE", "1")) > 1


def launch(argv: list[str], gpus: int, max_restarts: int) -> int:
    """Run the workers and return torchrun's exit status."""
    import torch

    if gpus > torch.cuda.device_count():
        raise ConfigError(f"--gpus {gpus}: this machine has {torch.cuda.device_count()} usable CUDA GPU(s); for "
                          f"processes on the CPU run `torchrun --nproc-per-node N -m duelo train --device cpu ...`")
    command = torchrun_command(argv, gpus, max_restarts)
    print(f"launching {gpus} processes: {' '.join(command[1:])}", file=sys.stderr, flush=True)
    return subprocess.call(command)


def argv_after_train() -> list[str]:
    """The words the user typed after `train` (the console script and `python -m duelo` alike)."""
    args = sys.argv[1:]
    return args[args.index("train") + 1:] if "train" in args else args
