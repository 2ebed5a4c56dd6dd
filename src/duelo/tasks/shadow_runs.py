"""Training the shadow models of a membership audit (duelo.privacy.shadow), for any task: each shadow is the
target's own configuration (config.json: its recipe and its privacy settings) on other data, in a scratch folder,
with its own seed, without the health monitor, a time budget or external loggers, as long as asked."""

from __future__ import annotations

import io
import json
from pathlib import Path

from duelo.config import Config


def train_shadow(config: Config, data: Path, work: Path, index: int, seed: int, kimg: float | None,
                 device: str | None = None) -> Path:
    """Train shadow `index` on the data file `data`; return its run folder (under `work`)."""
    from duelo.tasks.runner import train

    overrides = {"data.dataset": str(data), "run.out": str(work), "run.name": f"shadow-{index}",
                 "train.seed": seed + 1 + index, "health.enabled": False, "train.max_minutes": None,
                 "run.loggers": ()}
    if kimg is not None:
        overrides["train.total_kimg"] = kimg
    if device is not None:
        overrides["train.device"] = device
    train(config.with_overrides(overrides, source="shadow model"), stream=io.StringIO(), live_progress=False)
    return work / f"shadow-{index}"


def trained_kimg(run: Path) -> float | None:
    """How long the target trained (summary.json's kimg; a time budget may have ended it before its plan)."""
    summary = run / "summary.json"
    try:
        kimg = json.loads(summary.read_text()).get("kimg") if summary.is_file() else None
    except (OSError, ValueError, AttributeError):
        return None
    return float(kimg) if isinstance(kimg, (int, float)) and kimg > 0 else None
