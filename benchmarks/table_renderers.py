"""The renderers of benchmarks/tables.py: one per kind of table in docs/benchmarks.md, each a function of the
result files a marker names (parsed JSON, in the marker's order) returning the markdown table.

They reproduce the tables as they were written by hand from these files: the row labels, the choice of rows
and the bold marks are the docs' own and are spelled out here; every number comes from a file. Rounding is
the docs' too: tables a script printed use Python's formatting (`fixed`), tables written by hand round half
up on the stored decimal (`half_up`). A key order is never relied on: result files are written with sorted
keys (duelo.io.atomic.atomic_write_json).
"""

from __future__ import annotations

import re
from typing import Callable

import numpy as np

from audio_tables import RENDERERS as AUDIO_RENDERERS
from clean_tables import RENDERERS as CLEAN_RENDERERS
from colour_tables import RENDERERS as COLOUR_RENDERERS
from music_tables import RENDERERS as MUSIC_RENDERERS
from privacy_tables import RENDERERS as PRIVACY_RENDERERS
from series_tables import RENDERERS as SERIES_RENDERERS
from text_tables import RENDERERS as TEXT_RENDERERS
from tune_tables import RENDERERS as TUNE_RENDERERS
from image2image_tables import RENDERERS as IMAGE2IMAGE_RENDERERS
from table_format import bold, fixed, half_up, markdown, thousands
from time_to_quality_report import table as time_to_quality_table

Renderer = Callable[..., str]
DASH = "—"


# -- training throughput (train_speed.py) and weak scaling (scaling.py) ---------------------------------------
MODEL_LABELS = {"dcgan": "dcgan (width 64)", "mlp": "mlp (width 256)"}


def _mfu_percent(row: dict, result: dict) -> float:
    if "mfu_percent" in row:                      # a transcription of a printed table: the figure as printed
        return row["mfu_percent"]
    if "mfu" in row:
        return 100 * row["mfu"]
    rate = result.get("matmul_bf16_flop_per_s") or 1e12 * result["matmul_bf16_tflop_per_s"]
    return 100 * row["tflop_per_s"] * 1e12 / rate


def train_speed(result: dict) -> str:
    rows = result["rows"]
    with_step = any("graphs" in row or "step" in row for row in rows)
    header = ["model", "batch", "precision", *(["step"] if with_step else []), "img/s", "ms/iteration",
              "GFLOP/iteration (counted)", "MFU", "peak GiB"]
    body = []
    for row in rows:
        step = [row.get("step") or ("CUDA graph" if row.get("graphs") else "eager")] if with_step else []
        peak = DASH if row.get("peak_memory_gib") is None else fixed(row["peak_memory_gib"], 2)
        body.append([MODEL_LABELS.get(row["model"], row["model"]), str(row["batch"]), row["precision"], *step,
                     thousands(row["img_per_s"]), fixed(row["ms_per_iteration"], 2),
                     fixed(row["gflop_per_iteration"], 2), fixed(_mfu_percent(row, result), 1) + "%", peak])
    return markdown(header, body)


SCALING_MODELS = {"dcgan": "DCGAN-32", "sngan": "SNGAN preset (resnet)", "stylegan2": "StyleGAN2 preset"}


def scaling(result: dict) -> str:
    groups: dict[tuple[str, str], dict[int, float]] = {}
    for row in result["rows"]:
        step = "CUDA graph" if row["step"].startswith("CUDA graph") else "eager"
        groups.setdefault((row["model"], step), {})[row["gpus"]] = row["img_per_s"]
    counts = sorted({gpus for by_gpus in groups.values() for gpus in by_gpus})
    more = [n for n in counts if n > 1]
    header = ["model", "step", *(f"{n} GPU{'s' if n > 1 else ''} img/s" for n in counts),
              *(["scaling"] if len(more) == 1 else [f"scaling x{n}" for n in more])]
    body = []
    for (model, step), by_gpus in groups.items():
        cells = [thousands(by_gpus[n]) if n in by_gpus else DASH for n in counts]
        ratios = [f"{by_gpus[n] / by_gpus[1]:.2f}x" if n in by_gpus and 1 in by_gpus else DASH for n in more]
        body.append([SCALING_MODELS.get(model, model), step, *cells, *ratios])
    return markdown(header, body)


# -- side by side with peers (side_by_side.py) -----------------------------------------------------------------
# (task, group label, [(batch, contender label, registry names, bold)]): the docs' choice of rows
SIDE_BY_SIDE = [
    ("dcgan32", "DCGAN-32 (duelo dcgan, width 64)", [
        (64, "plain eager PyTorch loop (the floor)", ["plain eager"], False),
        (64, "duelo eager", ["duelo"], False),
        (64, "duelo graph (default)", ["duelo graph"], True),
        (64, "duelo graph bf16", ["duelo graph bf16"], False),
        (64, "duelo graph bf16 channels-last", ["duelo graph bf16 channels-last"], False),
        (256, "plain eager", ["plain eager"], False),
        (256, "duelo graph / bf16 channels-last", ["duelo graph", "duelo graph bf16 channels-last"], False),
        (1024, "plain eager", ["plain eager"], False),
        (1024, "duelo graph / bf16 channels-last", ["duelo graph", "duelo graph bf16 channels-last"], False)]),
    ("dcgan32", 'torch-mimicry "DCGAN-CIFAR" (a ResNet: G 256 ch, D 128 ch)', [
        (64, None, ["torch-mimicry"], False),
        (64, "duelo graph on mimicry's modules (TF32 / bf16 / bf16 channels-last)",
         ["duelo graph on mimicry's modules", "duelo graph bf16 on mimicry's modules",
          "duelo graph bf16 channels-last on mimicry's modules"], False)]),
    ("sngan32", "SNGAN-32, hinge, n_dis 5", [
        (64, None, ["torch-mimicry"], False),
        (64, "duelo graph on mimicry's modules (TF32 / bf16 channels-last)",
         ["duelo graph on mimicry's modules", "duelo graph bf16 channels-last on mimicry's modules"], False),
        (64, "duelo resnet (sngan32 recipe; D ends at 4x4) graph (TF32 / bf16 channels-last)",
         ["duelo graph", "duelo graph bf16 channels-last"], False),
        (256, "torch-mimicry / duelo resnet graph bf16 channels-last",
         ["torch-mimicry", "duelo graph bf16 channels-last"], False)]),
]


def side_by_side(*results: dict) -> str:
    """The rows of SIDE_BY_SIDE found in the files (several runs of the harness); MFU is each row's own (its
    FLOPs over its file's measured matmul rate). A label of None is the contender's name as the file gives it."""
    found = {(r["task"], r["batch"], r["registry_name"]): r for result in results for r in result["rows"]
             if r.get("status") == "ok"}
    body = []
    for task, group, rows in SIDE_BY_SIDE:
        first = True
        for batch, label, names, strong in rows:
            picked = [found.get((task, batch, name)) for name in names]
            if not all(picked):
                continue
            ms = " / ".join(fixed(r["ms_per_iteration"], 2 if r["ms_per_iteration"] < 10 else 1) for r in picked)
            body.append([group if first else "", str(batch), bold(label or picked[0]["contender"], strong),
                         bold(" / ".join(thousands(r["img_per_s"]) for r in picked), strong), ms,
                         " / ".join(half_up(100 * r["mfu"], 1) + "%" for r in picked)])
            first = False
    return markdown(["task", "batch", "contender", "img/s", "ms/iter", "MFU"], body)


# -- small data (small_data.py): two or more repeats of one command --------------------------------------------
SMALL_DATA_RUNS = {"500-none": "500 images, no augmentation", "500-diffaugment": "500 images, DiffAugment",
                   "500-ada": "500 images, ADA", "60k-ada": "60,000 images, ADA (control)"}
REMEDIES = {"discriminator_overfitting": "ADA"}     # the remedy the monitor suggested with each verdict


def _events(run: dict) -> str:
    signals = {round(s["kimg"]): s for s in run["signals"]}
    events = [e for e in run["events"] if e["event"] != "small_dataset"]
    if not events:
        return f"none (r_v ≤ {half_up(max(s['overfit_rv'] for s in run['signals']), 2)})"
    parts = []
    for kind in dict.fromkeys(e["event"] for e in events):
        kimgs = [round(e["kimg"]) for e in events if e["event"] == kind]
        at = ", ".join(map(str, kimgs[:-1])) + (" and " if len(kimgs) > 1 else "") + str(kimgs[-1])
        text = f"**{kind.replace('_', ' ')}** at {at} kimg"
        if kind == "discriminator_overfitting":
            rv = ", ".join(half_up(signals[k]["overfit_rv"], 2) for k in kimgs)
            rt = ", ".join(dict.fromkeys(half_up(signals[k]["rt_train"], 2) for k in kimgs))
            text += f" (r_v {rv}; r_t {rt})"
        if kind in REMEDIES:
            text += f" — remedy suggested: {REMEDIES[kind]}"
        parts.append(text)
    return "; ".join(parts)


def _ada_p(runs: list[dict]) -> str:
    p = [[s["augment_p"] for s in run["signals"]] for run in runs]
    if all(v is None for values in p for v in values):
        return DASH
    if all(v == 1.0 for values in p for v in values):
        return "(p = 1 by design)"
    return (" / ".join(half_up(values[-1], 2) for values in p) + " ("
            + " / ".join(half_up(max(values), 2) for values in p) + ")")


def small_data(*repeats: dict) -> str:
    letters = " / ".join("abcdefgh"[:len(repeats)])
    last, label = repeats[-1], "abcdefgh"[len(repeats) - 1]
    names = [n for n in SMALL_DATA_RUNS if all(n in r for r in repeats)]
    names += sorted(n for n in last if n not in SMALL_DATA_RUNS and n != "provenance" and all(n in r for r in repeats))
    best = {n for n in names if all(r[n]["fid_10k"] == min(r[m]["fid_10k"] for m in names) for r in repeats)}
    end = round(last[names[0]]["signals"][-1]["kimg"])
    body = [[SMALL_DATA_RUNS.get(n, n), bold(" / ".join(half_up(r[n]["fid_10k"], 1) for r in repeats), n in best),
             " / ".join(half_up(r[n]["class_accuracy"], 3) for r in repeats), half_up(last[n]["train_time_s"], 1),
             _events(last[n]), _ada_p([r[n] for r in repeats])] for n in names]
    return markdown(["run", f"FID-10k ({letters})", f"class accuracy ({letters})", f"train time, s ({label})",
                     f"monitor events ({label})", f"ADA p at {end} kimg (peak)"], body)


# -- architectures (architectures.py train + evaluate) and their step profile (step_profile.py) ---------------
ARCH_ORDER = ("dcgan", "resnet", "stylegan2", "progan")


def _preset(meta: dict, arch: str) -> str:
    flag, value = meta["archs"][arch][:2]
    return "defaults" if flag == "--model" else value


def architectures(train: dict, evaluation: dict, *reruns: dict) -> str:
    """train.json and eval.json of the main run, then (train, eval) pairs of re-runs of single architectures,
    listed under the same architecture as "ARCH, faster step (GPU)" (the re-run after a step-speed fix)."""
    meta, every = train["_meta"], train["_meta"]["common"][train["_meta"]["common"].index("--eval-every") + 1]
    rows = []                                    # (label, train row, eval row)
    for arch in [a for a in ARCH_ORDER if a in train] + sorted(set(meta["archs"]) - set(ARCH_ORDER)):
        rows.append((f"{arch} ({_preset(meta, arch)})", train[arch], evaluation[arch]))
        for again, judged in zip(reruns[::2], reruns[1::2]):
            if arch in again:
                gpu = re.sub(r"^NVIDIA ", "", again["_meta"]["device"]).split()[0]
                rows.append((f"{arch}, faster step ({gpu})", again[arch], judged[arch]))
    columns = [("fid", min), ("kid", min), ("precision", max), ("recall", max), ("coverage", max)]
    best = {key: pick(e[key] for _, _, e in rows) for key, pick in columns}
    best["class_accuracy"] = max(t["class_accuracy"] for _, t, _ in rows)
    best["fd_domain"] = min(t["fd_domain"] for _, t, _ in rows)
    body = []
    for label, t, e in rows:
        history = " → ".join(fixed(v, 2 if v < 1 else 1) for _, v in t["fd_domain_history"] if v is not None)
        body.append([label, f"{t['g_params'] / 1e6:.1f} M", f"{t['kimg']:,.0f}", f"{t['img_per_s_median']:,.0f}",
                     bold(fixed(e["fid"], 1), e["fid"] == best["fid"]),
                     bold(fixed(e["kid"], 4), e["kid"] == best["kid"]),
                     *(bold(fixed(e[k], 2), e[k] == best[k]) for k in ("precision", "recall", "coverage")),
                     bold(fixed(t["class_accuracy"], 3), t["class_accuracy"] == best["class_accuracy"]),
                     bold(fixed(t["fd_domain"], 3), t["fd_domain"] == best["fd_domain"]), history])
    return markdown(["architecture (preset)", "G params", f"kimg in {meta['minutes']:g} min", "img/s (median)",
                     "FID-10k", "KID", "precision", "recall", "coverage", "class acc.", "fd_domain",
                     f"fd_domain every {every} kimg (2k samples)"], body)


PROFILE_LABELS = {"dcgan": "dcgan", "resnet": "resnet (sngan)", "stylegan2": "stylegan2",
                  "progan": "progan (fully grown)"}


def step_profile(*results: dict) -> str:
    """Rows of the first file; an architecture profiled again in a later file (after a fix) follows its first
    row as "ARCH, faster step". A kernel time above the wall time (the profiled window held a lazy-R1 step the
    timed mean spreads out) is shown as its order of magnitude, marked GPU-bound."""
    def cells(label: str, row: dict) -> list[str]:
        gpu = row["gpu_busy_ms_per_iteration"]
        busy = f"~{float(f'{gpu:.0e}'):g} (GPU-bound)" if row["gpu_busy_fraction"] > 1 else half_up(gpu, 1)
        return [label, half_up(row["wall_ms_per_iteration"], 1), busy, f"{row['kernels_per_iteration']:,}"]

    body = []
    for row in results[0]["rows"]:
        label = PROFILE_LABELS.get(row["arch"], row["arch"])
        again = [r for result in results[1:] for r in result["rows"] if r["arch"] == row["arch"]]
        body.append(cells(f"{row['arch']}, first" if again else label, row))
        body += [cells(f"{row['arch']}, faster step", r) for r in again]
    return markdown(["preset", "ms per iteration", "GPU kernel time per iteration (profiled)",
                     "kernel launches per iteration"], body)


# -- tabular (tabular.py) and time to quality (time_to_quality.py) ---------------------------------------------
TABULAR_SCORES = ["column_shapes", "column_pair_trends", "ml_efficacy"]
TABULAR_PRIVACY = ["exact_copy_fraction", "closer_to_training_share", "dcr_synthetic_p5", "dcr_p5_ratio"]


def tabular(results: dict) -> str:
    """Mean ± sd over seeds per model, and duelo / ctgan (the table `tabular.py table` prints)."""
    runs = results["runs"]
    models = [m for m in ("duelo", "ctgan") if any(r["model"] == m for r in runs)]
    rows = [("fit seconds", lambda r: r["fit_seconds"]),
            (f"sample seconds ({results['train_rows']:,} rows)", lambda r: r["sample_seconds"])]
    rows += [(key, lambda r, k=key: r["scores"][k]) for key in TABULAR_SCORES]
    rows += [(f"privacy: {key}", lambda r, k=key: r["privacy"][k]) for key in TABULAR_PRIVACY]
    for metric in ("macro_f1", "accuracy", "roc_auc"):
        rows += [(f"TSTR {metric}", lambda r, m=metric: r["tstr"][m]),
                 (f"TRTR {metric}", lambda r, m=metric: r["trtr"][m])]
    body = []
    for label, get in rows:
        cells, means = [], {}
        for model in models:
            values = np.array([get(r) for r in runs if r["model"] == model], dtype=float)
            mean, sd = float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0
            means[model] = mean
            cells.append(f"{mean:.4g} ± {sd:.2g}")
        ratio = f"{means['duelo'] / means['ctgan']:.3f}" if means.get("ctgan") and "duelo" in means else DASH
        body.append([label, *cells, ratio])
    return markdown(["measure", *models, "duelo / ctgan"], body)


# -- the quick-start demo and the CPU evaluation (demo_cpu.py) ------------------------------------------------
def demo(*results: dict) -> str:
    body = []
    for r in results:
        p = r["provenance"]
        body.append([r["date"], f"{r['cpu']}, torch {p['torch_version']}", fixed(r["wall_s"], 0),
                     fixed(r["train_time_s"], 0), thousands(r["img_per_s"]), bold(fixed(r["class_accuracy"], 3)),
                     fixed(r["classifier_real_accuracy"], 3), fixed(r["eval"]["wall_s"], 1) if "eval" in r else DASH,
                     f"{(p['git_commit'] or '?')[:7]}{' (dirty)' if p.get('git_dirty') else ''}"])
    return markdown(["date", "device", "wall s", "train s", "img/s", "class_accuracy", "judge on held-out real",
                     "duelo eval of 10k samples, s", "commit"], body)


# -- FID wall time (fid_speed.py) and the float16 copy of the Inception weights (inception_fp16.py) -----------
def fid_speed(result: dict) -> str:
    body = [[f"{r['count']:,}", fixed(r["generate_s"], 2), fixed(r["features_s"], 2), fixed(r["stats_s"], 2),
             bold(fixed(r["total_s"], 2)), fixed(r["fid"], 4), fixed(r["torchmetrics_s"], 2),
             fixed(r["torchmetrics_fid"], 4), f"{r['relative_difference']:.1e}"] for r in result["rows"]]
    return markdown(["generated samples", "generate s", "Inception features s", "statistics + Fréchet s",
                     "duelo total s", "FID", "torchmetrics s", "torchmetrics FID", "relative difference"], body)


def inception_fp16(result: dict) -> str:
    return markdown(["images each", "FID, original float32 weights", "FID, float16 copy upcast",
                     "relative difference"],
                    [[f"{result['images_each']:,}", fixed(result["fid_fp32"], 3), fixed(result["fid_fp16_upcast"], 3),
                      f"{100 * result['fid_relative_difference']:.2f}%"]])


# -- a table on the GPU (tabular_gpu.py) ----------------------------------------------------------------------
def tabular_gpu(result: dict) -> str:
    variants = [("fp32_graph", "fp32, CUDA graph (default)"), ("fp32_eager", "fp32, eager"),
                ("bf16_graph", "bf16 autocast, CUDA graph")]
    body = [[label, fixed(result[f"adult_{key}_epoch_s"], 3), fixed(result[f"adult_{key}_fit_s"], 1),
             result[f"adult_{key}_step"]] for key, label in variants if f"adult_{key}_epoch_s" in result]
    return markdown(["step", "s per Adult epoch (median)", "whole fit s", "as the run reports it"], body)


RENDERERS: dict[str, Renderer] = {
    "demo": demo,
    "fid_speed": fid_speed,
    "inception_fp16": inception_fp16,
    "tabular_gpu": tabular_gpu,
    "train_speed": train_speed,
    "scaling": scaling,
    "side_by_side": side_by_side,
    "small_data": small_data,
    "architectures": architectures,
    "step_profile": step_profile,
    "tabular": tabular,
    "time_to_quality": time_to_quality_table,
    **IMAGE2IMAGE_RENDERERS,
    **COLOUR_RENDERERS,
    **PRIVACY_RENDERERS,
    **TUNE_RENDERERS,
    **SERIES_RENDERERS,
    **TEXT_RENDERERS,
    **MUSIC_RENDERERS,
    **AUDIO_RENDERERS,
    **CLEAN_RENDERERS,
}
