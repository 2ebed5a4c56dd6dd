"""Benchmark: does `duelo tune` beat the preset? (issue 21, part 2) One data set per call, two phases.

    python benchmarks/tune.py search --set fashion --minutes 6 --work /tmp/tune --out SEARCH.json
    python benchmarks/tune.py final --set fashion --search SEARCH.json --work /tmp/tune --out FINAL.json
    python benchmarks/tune.py merge FINAL-seed0.json FINAL-seed1.json --out FINAL.json

search  `duelo tune` (duelo.tasks.tuning.tune: TPE, successive halving, the task's proxy score at each rung) for
        --minutes; writes the study's best settings and every trial.
final   the preset and the tuned settings side by side at the same training length (FULL_KIMG, --seeds seeds
        each), judged on the full score, not the proxy:
          fashion   Fashion-MNIST (10,000 training images, class-conditional demo recipe): domain FD of 10,000
                    samples (`duelo eval --metrics fd_domain`), class accuracy beside it
          adult     UCI Adult (.bench/adult from benchmarks/tabular.py prepare): ML efficacy (TSTR / TRTR macro F1
                    of a gradient-boosted classifier of income, tested on Adult's test table), column shapes beside
          gunpoint  GunPoint (200 series of 150 steps, one window each): the discriminative score (|accuracy -
                    0.5| of a post-hoc classifier, every real window against as many generated: 80 test windows
                    where the held-out ones alone gave 16), predictive MAE and context FID beside it
        GunPoint's search scores its rungs with 300-step post-hoc networks (series.score_steps), the final phase
        with the protocol's 2,000. The search's cost is reported beside it (its minutes and trials): the comparison
        is at an equal training budget for the final model, with the search spent on top. `--arms
        preset,tuned,preset_equal_total` adds the preset trained for the search's kimg (every trial to its last
        rung) plus the final length: the comparison at an equal total budget. `--final-kimg K` trains the final
        arms K kimg instead of the set's length (the search's kimg stays what it was: a longer final run makes the
        search a smaller share of the total budget).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from duelo.io.provenance import write_result

ADULT = Path(".bench/adult")


@dataclass(frozen=True)
class Setup:
    base: dict               # --set overrides on the task's defaults (or the preset)
    preset: str | None
    task: str
    knobs: str
    rungs: tuple[float, ...]
    full_kimg: float
    full_score: str          # the headline of the final phase
    lower_is_better: bool
    search_only: dict = field(default_factory=dict)   # overrides of the search's trials alone (a cheaper proxy)
    warm_up: bool = False    # train one short run before the search's clock starts (its one-time scorer: a judge)


SETS = {
    # Fashion-MNIST's final length: 1,000 kimg since 2026-12-06 (a 2-minute search trains ~1,550 kimg, eight times
    # the 200 used before, so the search dwarfed the run it tunes); the rungs stay short (the proxy is cheap there)
    "fashion": Setup({"model.conditional": True}, "demo", "image-gan", "g_lr,d_lr,beta1,batch,r1_gamma,augment,width",
                     (20, 50, 100), 1000, "fd_domain", True, warm_up=True),
    # Adult's final length: the tabular task's default since 2026-12-06 (its preset's curve flattens there), and
    # rungs at a quarter, half and all of it (settings found at 100-600 kimg learned fast early and ended lower);
    # the results before used rungs 100/300/600 and 1,000 (each file records its rungs and full_kimg)
    "adult": Setup({}, None, "tabular", "g_lr,d_lr,beta1", (1000, 2000, 4000), 4000, "ml_efficacy", False),
    "gunpoint": Setup({"data.dataset": "gunpoint", "series.discriminative_on": "all"}, None, "timeseries",
                      "g_lr,d_lr,beta1,batch",
                      (50, 100, 200), 300, "discriminative", True,
                      {"series.score_steps": 300}),      # the rungs' proxy: 300-step post-hoc GRUs, not 2,000
}


def prepare(name: str, work: Path) -> dict:
    """The data overrides of a set (files written under work)."""
    work.mkdir(parents=True, exist_ok=True)
    if name == "fashion":
        path = work / "fashion-10k.npz"
        if not path.is_file():
            from duelo.data.loading import load_dataset

            data = load_dataset("fashion-mnist")
            index = np.random.default_rng(0).permutation(len(data.labels))[:10000]
            np.savez_compressed(path, images=data.images.numpy()[index], labels=data.labels.numpy()[index],
                                class_names=np.array(data.class_names))
        return {"data.dataset": str(path)}
    if name == "adult":
        if not (ADULT / "train.csv").is_file():
            raise SystemExit(f"{ADULT}/train.csv is missing: run `python benchmarks/tabular.py prepare --out {ADULT}`")
        return {"data.dataset": str((ADULT / "train.csv").resolve())}
    return {}


def base_config(name: str, work: Path, device: str, full_kimg: float | None = None):
    """The set's base settings on `device`; snapshots every max(final length, 1,000) kimg (full_kimg: the final
    length where it is not the set's)."""
    from duelo.tasks import task_config
    from duelo.tasks.presets import load_preset

    setup = SETS[name]
    base = load_preset(setup.preset) if setup.preset else task_config(setup.task)
    return base.with_overrides({**setup.base, **prepare(name, work), "train.device": device,
                                "run.snapshot_kimg": max(full_kimg or setup.full_kimg, 1000.0)})


def warm_up(base, work: Path) -> float:
    """A 1-kimg run of the base settings before the search's clock starts, so that the first trial does not pay
    the one-time cost of the proxy's scorer (the image sets' judge, trained once per data set, on the CPU, and
    cached; ~2 minutes on 2 cores for 10,000 images). On the GPU machine (2026-12-06) a Fashion-MNIST search's
    only trial took 213 s for seconds of training. Returns its seconds."""
    from duelo.tasks.runner import train

    started = time.perf_counter()
    train(base.with_overrides({"train.total_kimg": 1, "run.out": str(work / "warm-up"), "run.name": "run"}),
          stream=io.StringIO(), live_progress=False)
    seconds = round(time.perf_counter() - started, 1)
    print(f"warm-up: {seconds} s (a 1-kimg run: the scorer trained and cached before the search's clock)", flush=True)
    return seconds


def search(args) -> dict:
    from duelo.tasks.tuning import PROXIES, tune, usable_knobs

    setup = SETS[args.set]
    base = base_config(args.set, Path(args.work), args.device).with_overrides(setup.search_only)
    score, direction = PROXIES[setup.task]
    study = Path(args.work) / f"{args.set}.db"
    warm_up_s = warm_up(base, Path(args.work)) if setup.warm_up else 0.0
    started = time.perf_counter()
    rungs = [kimg * args.scale for kimg in setup.rungs]
    fixed = {**setup.base, **prepare(args.set, Path(args.work)), **setup.search_only}
    command = " ".join([f"--preset {setup.preset}" if setup.preset else f"--task {setup.task}",
                        *(f"--set {k}={v}" for k, v in fixed.items())])
    result = tune(base, study, args.trials, rungs, usable_knobs(base, setup.knobs.split(",")), score, direction,
                  seed=args.seed, minutes=args.minutes, log=lambda text: print(text, flush=True), base_args=command)
    import optuna

    trials = optuna.load_study(study_name="duelo", storage=f"sqlite:///{study}").trials
    return {"phase": "search", "set": args.set, "proxy": score, "direction": direction, "rungs": setup.rungs,
            "minutes_limit": args.minutes, "search_s": round(time.perf_counter() - started, 1),
            "warm_up_s": warm_up_s, **result,
            "all_trials": [{"number": t.number, "state": t.state.name, "params": t.params,
                            "values": t.intermediate_values} for t in trials]}


def full_score(name: str, run: Path, summary: dict, device: str) -> dict:
    if name == "fashion":
        subprocess.run([sys.executable, "-m", "duelo", "eval", str(run), "--metrics", "fd_domain,class_accuracy",
                        "--num-samples", "10000", "--device", device], check=True, stdout=subprocess.DEVNULL)
        figures = json.loads((run / "eval.json").read_text())
        return {"fd_domain": figures.get("fd_domain"), "class_accuracy": figures.get("class_accuracy")}
    if name == "adult":
        import pandas as pd

        from duelo.tasks.tabular.gan import TabularGAN
        from duelo.tasks.tabular.report import quality_report

        train, test = pd.read_csv(ADULT / "train.csv"), pd.read_csv(ADULT / "test.csv")
        synthetic = TabularGAN.load(run, device=device).sample(len(train), random_state=0)
        report = quality_report(train, synthetic, holdout=test, target="income", random_state=0)
        return {"ml_efficacy": report["scores"]["ml_efficacy"], "column_shapes": report["scores"]["column_shapes"],
                "tstr_macro_f1": (report["ml_efficacy"].get("tstr") or {}).get("macro_f1")}
    scores = summary.get("scores", {})
    return {key: scores.get(key) for key in ("discriminative", "predictive_mae", "context_fid")}


def final(args) -> dict:
    from duelo.tasks.runner import train

    setup = SETS[args.set]
    length = args.final_kimg or setup.full_kimg
    base = base_config(args.set, Path(args.work), args.device, length)
    searched = json.loads(Path(args.search).read_text()) if args.search else {}
    settings = searched["best"]["settings"] if searched else {}
    full = length * args.scale
    extra = search_kimg(searched, args.scale) if searched else 0.0
    known = {"preset": ({}, full), "tuned": (settings, full), "preset_equal_total": ({}, full + extra)}
    wanted = args.arms.split(",")
    if unknown := [arm for arm in wanted if arm not in known]:
        raise SystemExit(f"--arms: unknown {unknown}; choose from {sorted(known)}")
    if "preset_equal_total" in wanted and not searched:
        raise SystemExit("--arms preset_equal_total needs --search (the search's kimg is its extra budget)")
    arms = {arm: known[arm] for arm in wanted}
    rows = []
    for arm, (overrides, kimg) in arms.items():
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            name = f"final-{arm}-{seed}"
            config = base.with_overrides({**overrides, "train.total_kimg": kimg,
                                          "train.seed": seed, "run.name": name,
                                          "run.out": str(Path(args.work) / f"{args.set}-final")})
            started = time.perf_counter()
            summary = train(config, stream=io.StringIO(), live_progress=False)
            run = Path(args.work) / f"{args.set}-final" / name
            row = {"arm": arm, "seed": seed, "train_s": round(time.perf_counter() - started, 1),
                   "kimg": summary.get("kimg"), **full_score(args.set, run, summary, args.device)}
            print(json.dumps(row), flush=True)
            rows.append(row)
            write_result(args.out, {"benchmark": "tune", "phase": "final", "set": args.set, "complete": False,
                                    "tuned_settings": settings, "rows": rows})      # kept if the call is cut short
    return {"phase": "final", "set": args.set, "complete": True, "full_kimg": length,
            "search_kimg": extra, "arm_kimg": {arm: kimg for arm, (_, kimg) in arms.items()},
            "full_score": setup.full_score, "lower_is_better": setup.lower_is_better, "tuned_settings": settings,
            **verdict(setup, rows)}


def verdict(setup: Setup, rows: list[dict]) -> dict:
    """The rows, each arm's mean full score and whether the tuned arm's mean beats the preset's."""
    arms = dict.fromkeys(row["arm"] for row in rows)
    means = {arm: statistics.fmean(r[setup.full_score] for r in rows if r["arm"] == arm) for arm in arms}

    def beats(arm: str) -> bool | None:
        if "tuned" not in means or arm not in means:
            return None
        return means["tuned"] < means[arm] if setup.lower_is_better else means["tuned"] > means[arm]

    return {"rows": rows, "means": means, "tuned_beats_preset": beats("preset"),
            "tuned_beats_preset_equal_total": beats("preset_equal_total")}


def merge(paths: list[str]) -> dict:
    """One final result of several final runs of the same set and search (e.g. one process per seed on one GPU):
    their rows together, the means and verdicts again; the first file's other fields; each part's provenance (the
    merged file's own is the merging machine's)."""
    parts = [json.loads(Path(path).read_text()) for path in paths]
    if len({part["set"] for part in parts}) != 1 or not all(part.get("complete") for part in parts):
        raise SystemExit("merge: the files must be complete final results of one set")
    arm_kimg: dict = {}
    for part in parts:
        for arm, kimg in part.get("arm_kimg", {}).items():
            if arm_kimg.setdefault(arm, kimg) != kimg:
                raise SystemExit(f"merge: the files trained the {arm} arm for different lengths ({arm_kimg[arm]} "
                                 f"and {kimg} kimg)")
    if len({part.get("full_kimg") for part in parts}) != 1:
        raise SystemExit("merge: the files have different final lengths (full_kimg)")
    if len({json.dumps(part.get("tuned_settings"), sort_keys=True) for part in parts}) != 1:
        raise SystemExit("merge: the files come from different searches (their tuned settings differ)")
    rows = [row for part in parts for row in part["rows"]]
    merged = {k: v for k, v in parts[0].items() if k not in ("provenance", "benchmark")}
    return {**merged, "arm_kimg": arm_kimg, "merged_from": [str(Path(p).name) for p in paths],
            "parts_provenance": [part.get("provenance") for part in parts],          # where the rows were measured
            **verdict(SETS[merged["set"]], rows)}


def search_kimg(searched: dict, scale: float) -> float:
    """The kimg the search trained, all trials together: each trial to the last rung it reported (a pruned one
    stops there). The preset_equal_total arm trains this much on top of the final length: the tuned
    configuration's whole budget (search and final run) spent on the preset instead."""
    rungs = searched["rungs"]
    return float(sum(rungs[max(int(k) for k in trial["values"])] * scale
                     for trial in searched.get("all_trials", []) if trial.get("values")))


def main_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("phase", choices=["search", "final", "merge"])
    parser.add_argument("files", nargs="*", help="merge: final result files of one set (e.g. one per seed)")
    parser.add_argument("--set", choices=sorted(SETS), help="search, final: the data set")
    parser.add_argument("--out", required=True)
    parser.add_argument("--work", default="/tmp/duelo-tune")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--minutes", type=float, default=6.0, help="search: start no trial after this")
    parser.add_argument("--trials", type=int, default=200, help="search: at most this many trials")
    parser.add_argument("--seed", type=int, default=0, help="search: the sampler's seed")
    parser.add_argument("--search", help="final: the search phase's result file (none: the preset alone)")
    parser.add_argument("--seeds", type=int, default=2, help="final: training seeds per arm")
    parser.add_argument("--first-seed", type=int, default=0, help="final: seeds from this one (one process per "
                        "seed, then merge)")
    parser.add_argument("--arms", default="preset,tuned", help="final: the arms, of preset, tuned and "
                        "preset_equal_total (the preset trained for the search's kimg plus the final length)")
    parser.add_argument("--final-kimg", type=float, help="final: the final length instead of the set's (the "
                        "preset_equal_total arm trains the search's kimg on top of it)")
    parser.add_argument("--scale", type=float, default=1.0, help="every kimg times this (1: the benchmark; "
                        "smaller: a quick check that the script runs)")
    return parser


def main() -> None:
    parser = main_parser()
    args = parser.parse_args()
    if args.phase != "merge" and not args.set:
        parser.error(f"{args.phase} needs --set")
    result = {"search": search, "final": final, "merge": lambda a: merge(a.files)}[args.phase](args)
    write_result(args.out, {"benchmark": "tune", **result})
    print(json.dumps({k: v for k, v in result.items() if k not in ("all_trials", "rows")}, indent=1))


if __name__ == "__main__":
    main()
