"""Tables (task "tabular"): a CTGAN-class conditional GAN (Xu et al. 2019) on a CSV/Parquet table or a
DataFrame, trained by the shared trainer, so a fit checkpoints, resumes exactly, rolls back a divergence and
respects a time budget like every other run. `duelo tabular fit` and TabularGAN.fit are front ends to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duelo.config import COMMON_SECTIONS, Config
from duelo.config.sections import PrivacyConfig
from duelo.errors import ConfigError
from duelo.tasks.base import Parts, Session, Task
from duelo.tasks.tabular.config import TableDataConfig, TableModelConfig, TableOptimConfig

# CTGAN's recipe (Xu et al. 2019): Adam(2e-4, 0.5, 0.9) with weight decay, batch 500, PacGAN with 10 rows;
# the EMA half-life of 69 kimg is a decay of 0.995 per step of 500 rows, at most a tenth of the rows seen so
# far (so a short fit on a small table does not sample from weights close to the initial ones)
# 4,000 kimg: on UCI Adult ML efficacy is 0.88 at 1,000 kimg, 0.93 at 2,000, 0.96 at 4,000 and no higher at
# 8,000 (benchmarks/results/tune-final-adult-cpu-length-*.json; 8 minutes on a 2-core CPU)
TABULAR_DEFAULTS = {"optim.beta2": 0.9, "train.batch": 500, "train.total_kimg": 4000.0,
                    "train.ema_halflife_kimg": 69.14, "train.ema_rampup": 0.1, "run.snapshot_kimg": 500.0,
                    "run.log_kimg": 50.0, "health.heldout_fraction": 0.0}


class Tabular(Task):
    name = "tabular"
    description = "synthetic tables (CTGAN class): CSV/Parquet or a DataFrame; `duelo tabular fit|sample|report`"
    data_parallel = False
    headline_figures = ("column_shapes", "column_pair_trends")
    sections = {**COMMON_SECTIONS, "optim": TableOptimConfig, "data": TableDataConfig, "model": TableModelConfig,
                "privacy": PrivacyConfig}
    defaults = TABULAR_DEFAULTS
    sample_unit = "row"

    def auto_precision(self, device) -> str:
        from duelo.tasks.tabular.objective import auto_precision

        return auto_precision(device)

    def check(self, config: Config) -> Config:
        if config.privacy.epsilon > 0:
            config = _private_config(config)
        train, pac = config.train, config.model.pac
        per_round = train.batch // train.accum_rounds
        if train.batch % train.accum_rounds or per_round % pac:
            rounds = f" / train.accum_rounds ({train.accum_rounds})" if train.accum_rounds > 1 else ""
            raise ConfigError(f"train.batch ({train.batch}){rounds} must be a multiple of model.pac ({pac}): the "
                              f"critic judges packs of pac rows")
        if per_round < 2:
            raise ConfigError(f"train.batch must give at least 2 rows per round (batch norm needs two), got "
                              f"{per_round}")
        return config

    # -- data --------------------------------------------------------------------------------------
    def load_data(self, config: Config, runtime, log) -> Any:
        from duelo.tasks.tabular.tables import read_table

        if not config.data.dataset:
            raise ConfigError("data.dataset is empty: give the table to learn with --dataset FILE.csv|.parquet")
        path = Path(config.data.dataset)
        frame = read_table(path, list(config.data.dates))
        return self.encode(frame, config, str(path), log)

    def encode(self, frame, config: Config, name: str, log=None, discrete=None):
        """A DataFrame made ready for training (the transformer fitted with the run's seed); `discrete` (the
        column labels themselves, any hashable) overrides data.discrete, which holds them as text."""
        import time

        from duelo.tasks.tabular.data import encode

        started = time.perf_counter()
        if config.privacy.epsilon > 0:
            from duelo.tasks.tabular.private import PrivateTable
            from duelo.tasks.tabular.schema import read_schema

            config = _private_config(config)                  # refusals before the data is read
            data = PrivateTable(frame, read_schema(config.data.schema), config, name, self._saved_encoding(config))
            if log is not None:
                log(f"encoded {data.rows:,} training rows of {name} by its schema into {data.width} features "
                    f"({len(data.evaluation):,} rows kept out for the run's scores) in "
                    f"{time.perf_counter() - started:.1f} s")
            return data
        columns = tuple(config.data.discrete) if discrete is None else tuple(discrete)
        data = encode(frame, columns, config.model.max_modes, config.model.rare_fraction,
                      config.train.seed, name)
        if log is not None:
            log(f"encoded {len(frame):,} rows x {frame.shape[1]} columns of {name} into {data.matrix.shape[1]} "
                f"features in {time.perf_counter() - started:.1f} s")
        return data

    def _saved_encoding(self, config: Config) -> dict | None:
        """A resumed private run's encoding (released when it started: drawing it again would spend more)."""
        from duelo.io.json_files import read_json
        from duelo.tasks.base import run_folder
        from duelo.tasks.tabular.private import ENCODING_FILE

        folder = run_folder(config, self)
        if not (folder / ENCODING_FILE).is_file():
            return None
        return read_json(folder / ENCODING_FILE, ENCODING_FILE, error=ConfigError, remedy="use a new run folder")

    def build(self, config: Config, data, runtime) -> Parts:
        from duelo.tasks.tabular.parts import assemble

        if config.privacy.epsilon > 0:
            from duelo.tasks.tabular.private import build_private

            return build_private(config, data, runtime)
        return assemble(config, data, runtime.device)

    # -- the run -----------------------------------------------------------------------------------
    def start(self, session: Session) -> None:
        data, config = session.data, session.config
        steps = max(1, data.rows // config.train.batch)
        epochs = config.train.total_kimg * 1000 / (steps * config.train.batch * config.train.d_steps)
        session.log(f"run folder {session.run_dir.path} | {data.rows:,} rows of {data.name}, "
                    f"{config.train.total_kimg:g} kimg = {epochs:.1f} epochs | {session.trainer.runtime.describe()}")
        if "privacy" in session.parts.extras:
            from duelo.io.atomic import atomic_write_json
            from duelo.tasks.tabular.private import ENCODING_FILE

            atomic_write_json(session.run_dir.path / ENCODING_FILE, data.encoding())
            session.log(session.parts.extras["privacy"].describe())

    def snapshots(self, session: Session):
        from duelo.tasks.tabular.snapshots import TableSnapshots

        return TableSnapshots(session)

    def hooks(self, session: Session) -> list:
        if not session.config.health.enabled:
            return []
        from duelo.tasks.tabular.health import table_monitor

        return [table_monitor(session, self.advise)]

    def advise(self, event: str, config: Config, signals: dict | None = None):
        from duelo.health.detectors import Advice, suggest

        if event == "gave_up":
            return Advice(f"raise model.gp_weight (now {config.model.gp_weight:g})")
        return suggest([(event == "mode_collapse", f"raise model.pac (now {config.model.pac}) so the critic sees "
                                                   f"more rows together"),
                        (True, "lower the learning rates (--g-lr 1e-4 --d-lr 1e-4)")])


def _private_config(config: Config) -> Config:
    """A private table run's configuration: refusals, then the changes it needs (noted as their source)."""
    if not config.data.schema:
        raise ConfigError("a private table run (--dp-epsilon) needs --dp-schema FILE.json: the columns' kinds, "
                          "ranges and levels as public knowledge (learning them from the data would leak); "
                          "draft one with `duelo tabular schema DATA -o schema.json`, then edit it")
    if config.train.accum_rounds > 1:
        raise ConfigError("differential privacy: accumulation rounds (train.accum_rounds) cannot be kept; set 1")
    if config.data.discrete or config.data.dates:
        raise ConfigError("a private table run takes its column kinds from --dp-schema; drop --discrete/--dates")
    return config.with_overrides({"model.pac": 1, "health.enabled": False, "train.cuda_graph": False},
                                 source="privacy (--dp-epsilon)")
