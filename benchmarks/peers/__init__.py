"""The contenders of the side-by-side training-speed benchmark, by name.

Each entry is a builder `build(task, batch, device) -> Contender` (benchmarks/peers/common.py) that raises
Unsupported for a task it cannot run. Peer packages are imported inside the builders, so listing the names
needs none of them installed. Add a duelo variant with `CONTENDERS["duelo (bf16)"] = partial(duelo_contender.build,
variant={"precision": "bf16"})`.
"""

from __future__ import annotations

from functools import partial

from benchmarks.peers import duelo_contender, lucidrains, mimicry, plain
from benchmarks.peers.common import TASKS, Builder, Contender, Unsupported

CONTENDERS: dict[str, Builder] = {
    "plain eager": plain.build,
    "torch-mimicry": mimicry.build,
    "stylegan2-pytorch (lucidrains)": lucidrains.build_stylegan2,
    "lightweight-gan (lucidrains)": lucidrains.build_lightweight_gan,
    "duelo": duelo_contender.build,
    "duelo graph": partial(duelo_contender.build, variant={"cuda_graph": True}),
    "duelo graph bf16": partial(duelo_contender.build, variant={"cuda_graph": True, "precision": "bf16"}),
    "duelo graph bf16 channels-last": partial(duelo_contender.build, variant={
        "cuda_graph": True, "precision": "bf16", "channels_last": True}),
    "duelo on mimicry's modules": duelo_contender.build_on_mimicry,
    "duelo graph on mimicry's modules": partial(duelo_contender.build_on_mimicry, variant={"cuda_graph": True}),
    "duelo graph bf16 on mimicry's modules": partial(duelo_contender.build_on_mimicry,
                                                     variant={"cuda_graph": True, "precision": "bf16"}),
    "duelo graph bf16 channels-last on mimicry's modules": partial(duelo_contender.build_on_mimicry, variant={
        "cuda_graph": True, "precision": "bf16", "channels_last": True}),
}

PLAIN = "plain eager"        # the floor every row's speed-up is measured against
DUELO_PREFIX = "duelo"       # rows whose name starts with this are duelo's; the best of them is "duelo-best"

__all__ = ["CONTENDERS", "PLAIN", "DUELO_PREFIX", "TASKS", "Builder", "Contender", "Unsupported", "partial"]
