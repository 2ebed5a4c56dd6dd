"""TabularGAN's hyper-parameters (CTGAN's names, model.json's "params") and the tabular task's configuration
are one thing in two vocabularies; this module is the only place that translates between them.

Most parameters are a field each (PARAM_FIELDS). Two are derived: `epochs` (passes of len(table) // batch
steps) is train.total_kimg, and `ema_decay` (per step) is train.ema_halflife_kimg.
"""

from __future__ import annotations

import math
from typing import Any

PARAM_FIELDS = {
    "embedding_dim": "model.embedding_dim", "generator_dim": "model.generator_dim",
    "discriminator_dim": "model.discriminator_dim", "pac": "model.pac", "gradient_penalty": "model.gp_weight",
    "max_modes": "model.max_modes", "rare_fraction": "model.rare_fraction",
    "generator_lr": "optim.g_lr", "generator_decay": "optim.g_weight_decay",
    "discriminator_lr": "optim.d_lr", "discriminator_decay": "optim.d_weight_decay",
    "batch_size": "train.batch", "discriminator_steps": "train.d_steps", "precision": "train.precision",
    "random_state": "train.seed",
}


def epochs_to_kimg(epochs: float, rows: int, batch: int, d_steps: int = 1) -> float:
    """train.total_kimg for `epochs` passes of len(table) // batch steps (CTGAN's epochs)."""
    return epochs * max(1, rows // batch) * batch * d_steps / 1000


def _plain(value: Any) -> Any:
    """NumPy scalars and sequences as the plain Python values a configuration holds."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


def config_overrides(params: dict[str, Any], rows: int) -> dict[str, Any]:
    """{"section.field": value} for TabularGAN params on a table of `rows` rows."""
    overrides = {PARAM_FIELDS[name]: _plain(params[name]) for name in PARAM_FIELDS
                 if params.get(name) is not None}
    batch, d_steps = int(params["batch_size"]), int(params["discriminator_steps"])
    per_step_kimg = batch * d_steps / 1000
    decay = float(params["ema_decay"])
    halflife_steps = math.log(0.5) / math.log(decay) if decay > 0 else 1e-6
    overrides["train.total_kimg"] = epochs_to_kimg(int(params["epochs"]), rows, batch, d_steps)
    overrides["train.ema_halflife_kimg"] = halflife_steps * per_step_kimg
    return overrides


def params_of(config, rows: int) -> dict[str, Any]:
    """The TabularGAN params a tabular configuration amounts to on a table of `rows` rows."""
    params = {}
    for name, dotted in PARAM_FIELDS.items():
        section, _, field = dotted.partition(".")
        value = getattr(getattr(config, section), field)
        params[name] = list(value) if isinstance(value, tuple) else value
    train = config.train
    per_step_kimg = train.batch * train.d_steps / 1000
    steps = max(1, rows // train.batch)
    params["epochs"] = max(1, round(train.total_kimg / (steps * per_step_kimg)))
    params["ema_decay"] = 0.5 ** (per_step_kimg / train.ema_halflife_kimg)
    return params


def history(metrics_path, config, rows: int) -> list[dict[str, float]]:
    """TabularGAN's history_ from a run's metrics.jsonl (a line about every epoch): {epoch, kimg, loss_d,
    loss_g, seconds}; loss_g includes the conditional loss, as CTGAN reports it; a figure a line lacks is None."""

    train = config.train
    per_epoch_kimg = max(1, rows // train.batch) * train.batch * train.d_steps / 1000
    from duelo.io.json_files import json_lines

    records = []
    for record in json_lines(metrics_path):          # lines cut short by a crash are skipped
        if not isinstance(record.get("kimg"), (int, float)) or isinstance(record.get("kimg"), bool):
            continue
        loss_g = _finite(record.get("loss_G"))
        records.append({"epoch": round(record["kimg"] / per_epoch_kimg, 3), "kimg": record["kimg"],
                        "loss_d": _finite(record.get("loss_D")),
                        "loss_g": None if loss_g is None else loss_g + (_finite(record.get("loss_G_cond")) or 0.0),
                        "seconds": _finite(record.get("time_s"))})
    return records


def _finite(value: Any) -> float | None:
    """A logged figure, or None where the line has none (or a non-finite one: JSON has no NaN)."""
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None
