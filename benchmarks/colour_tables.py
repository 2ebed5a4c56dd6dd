"""Renderers for the colour-image tables of docs/benchmarks.md (issue 17), registered in table_renderers.RENDERERS:
the trajectory of every configuration at equal kimg (colour.py), time to the first iteration and R3GAN's
regularisation schedules (colour_speed.py), StyleGAN2 speed at 64 and 128 px against the lucidrains peer, and
where generating FID samples spends its time (generate_speed.py)."""

from __future__ import annotations

DASH = "—"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join([_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)])


# the configurations as the diagnosis run (commit 50286b5) named them, and what each one is in today's terms
LABELS = {"stylegan2": "stylegan2, linear output (the paper's; the default at that commit)",
          "stylegan2-tanh": "stylegan2, tanh output (the default now)",
          "stylegan2-old": "stylegan2 of duelo 0.1 (tanh, box downsampling, 2-layer mapping, R1 0.01)",
          "stylegan2-linear": "stylegan2, linear output (the paper's)",
          "dcgan": "dcgan (defaults)", "r3gan": "r3gan (preset: R1 + R2 every step)"}


def colour_trajectory(result: dict) -> str:
    """KID / FID of each configuration at the kimg marks that at least three of them reached (the configurations
    shared one GPU, so equal time is not equal work), then at each one's last checkpoint."""
    configs = [name for name in result["_meta"]["configs"] if "trajectory" in result.get(name, {})]
    counts: dict[float, int] = {}
    for name in configs:
        for point in result[name]["trajectory"]:
            counts[point["kimg"]] = counts.get(point["kimg"], 0) + 1
    marks = sorted(k for k, n in counts.items() if n >= 3)
    header = ["configuration", "img/s (one GPU shared by all)", "kimg in 5 min",
              *[f"KID / FID at {k:g} kimg" for k in marks], "KID / FID at its last checkpoint"]
    rows = []
    for name in configs:
        run = result[name]
        points = {p["kimg"]: p for p in run["trajectory"]}
        last = run["trajectory"][-1]
        rows.append([LABELS.get(name, f"`{name}`"), f"{run['img_per_s']:,.0f}", f"{run['kimg']:.1f}",
                     *[f"{points[k]['kid']:.3f} / {points[k]['fid']:.0f}" if k in points else DASH for k in marks],
                     f"{last['kid']:.3f} / {last['fid']:.0f} ({last['kimg']:g} kimg)"])
    floor = result["_meta"]["floor"]
    rows.append(["real vs real (floor)", DASH, DASH, *[DASH for _ in marks],
                 f"{floor['kid']:.4f} / {floor['fid']:.0f}"])
    return _table(header, rows)


def startup(result: dict) -> str:
    runs = result["startup"]
    rows = [[label, f"{runs[key]['startup_s']:.1f}", f"{runs[key]['process_s']:.1f}"]
            for key, label in (("first", "first run (decodes the 3,391 files)"),
                               ("second", "second run (decoded store)"))]
    return _table(["run", "start to end of the first iteration, s", "whole process, s"], rows)


def r3gan_regularisation(result: dict) -> str:
    runs = result["r3gan_regularisation"]
    fastest = max(run["img_per_s"] for run in runs.values())
    rows = [[name, f"{run['img_per_s']:,.0f}", f"{fastest / run['img_per_s']:.1f}x"] for name, run in runs.items()]
    return _table(["R1 + R2", "img/s", "slower than the fastest by"], rows)


def stylegan2_peers(result: dict, reference: dict | None = None) -> str:
    """duelo against stylegan2-pytorch per task; with `reference`, NVlabs' published img/s (1000 / sec per kimg)
    for the same resolution, on its own GPU and configuration (a reference line, not a measurement here)."""
    published = {row["resolution"]: row for row in (reference or {}).get("rows", [])}
    rows = []
    by_task: dict[str, dict[str, dict]] = {}
    for row in result["rows"]:
        by_task.setdefault(row["task"], {})[row["registry_name"]] = row
    for task, rows_of in by_task.items():
        ours, peer = rows_of.get("duelo graph"), rows_of.get("stylegan2-pytorch (lucidrains)")
        ours_s = f"{ours['img_per_s']:,.0f}" if ours and ours.get("status") == "ok" else DASH
        if peer and peer.get("status") == "ok":
            peer_s, ratio = f"{peer['img_per_s']:,.0f}", f"**{ours['img_per_s'] / peer['img_per_s']:.1f}x**"
        else:
            peer_s, ratio = f"not measured ({(peer or {}).get('error', 'missing')[:40]})", DASH
        cells = [task, str((ours or peer)["batch"]), ours_s, peer_s, ratio]
        if reference is not None:
            row = published.get(int(task.rsplit("-", 1)[1]))
            cells.append(f"{1000 / row['sec_per_kimg'][1]:.0f}–{1000 / row['sec_per_kimg'][0]:.0f} "
                         f"({row['gpus']} {row['gpu']})" if row else DASH)
        rows.append(cells)
    header = ["task", "batch", "duelo (CUDA graph, tf32) img/s", "stylegan2-pytorch 1.9.0 img/s", "ratio"]
    if reference is not None:
        header.append("NVlabs StyleGAN2-ADA, published img/s")
    return _table(header, rows)


EQUAL_TIME_LABELS = {"stylegan2": "duelo `--preset stylegan2`", "fastgan": "duelo `--preset fastgan`",
                     "dcgan": "duelo dcgan (defaults)", "r3gan": "duelo `--preset r3gan`",
                     "lucidrains-stylegan2": "stylegan2-pytorch 1.9.0 (lucidrains)",
                     "lightweight-gan": "lightweight-gan 1.2.1 (lucidrains)",
                     "stylegan2-nonoise": "duelo `--preset stylegan2`, noise inputs off",
                     "stylegan2-w64": "duelo `--preset stylegan2 --width 64`"}


def colour_equal_time(*results: dict) -> str:
    """Every configuration of one or more colour.py results trained alone for the same minutes: kimg, img/s and
    KID (± its standard deviation over subsets) / FID of the final generator, best KID on the way."""
    rows = []
    for result in results:
        minutes = result["_meta"]["minutes"]
        for name in result["_meta"]["configs"]:
            run = result.get(name, {})
            if "trajectory" not in run or not run["trajectory"]:
                rows.append([EQUAL_TIME_LABELS.get(name, name), f"{minutes:g}", DASH, DASH,
                             f"failed: {run.get('error', 'no samples')[:60]}", DASH, DASH])
                continue
            last = run["trajectory"][-1]
            best = min(run["trajectory"], key=lambda p: p["kid"])
            judged = f" ({run['judged_generator']} G)" if "judged_generator" in run else ""
            rows.append([EQUAL_TIME_LABELS.get(name, name) + judged, f"{minutes:g}", f"{float(run['kimg']):.1f}",
                         f"{float(run['img_per_s']):,.0f}", f"**{last['kid']:.3f}** ± {last['kid_std']:.3f}",
                         f"{last['fid']:.0f}", f"{best['kid']:.3f} ({best['kimg']:g} kimg)"])
    floor = results[0]["_meta"]["floor"]
    rows.append(["real vs real (floor)", DASH, DASH, DASH, f"{floor['kid']:.4f}", f"{floor['fid']:.0f}", DASH])
    return _table(["configuration", "training minutes", "kimg", "img/s", "KID of the final G", "FID", "best KID"],
                  rows)


def _gpu(result: dict) -> str:
    """", H200" from a result's provenance (img/s depend on the card; KID per kimg does not), or from its _meta
    note where runs trained on a GPU machine were judged elsewhere (colour.py --note), or ""."""
    gpus = result["provenance"].get("device", {}).get("gpus") or [result["_meta"].get("note", "")]
    names = {word.strip("(),;") for gpu in gpus for word in gpu.split()
             if word[:1] in "HAL" and word.strip("(),;")[1:].isdigit()}
    return f", {'/'.join(sorted(names))}" if names else ""


def colour_at_minutes(*results: dict) -> str:
    """Each configuration as it stood after the first result's training minutes: a peer's final generator (peers
    keep no checkpoints; trained for its own minutes), a duelo run's last judged checkpoint within those minutes
    at its measured img/s. Equal training time where a peer cannot train as long as duelo's runs did."""
    mark = results[0]["_meta"]["minutes"]
    rows = []
    for result in results:
        for name in result["_meta"]["configs"]:
            run = result.get(name, {})
            if not run.get("trajectory"):
                continue
            where = f"{result['provenance']['date'][:10]}{_gpu(result)}"
            if "judged_generator" in run:
                point, minutes = run["trajectory"][-1], result["_meta"]["minutes"]
                label = f"{EQUAL_TIME_LABELS.get(name, name)} ({run['judged_generator']} G)"
            else:
                reached = [p for p in run["trajectory"] if p["kimg"] * 1000 / run["img_per_s"] <= mark * 60 + 1]
                if not reached:
                    continue
                point = reached[-1]
                minutes = point["kimg"] * 1000 / run["img_per_s"] / 60
                label = EQUAL_TIME_LABELS.get(name, name)
            rows.append([label, f"{result['_meta']['minutes']:g} min, {where}", f"{minutes:.1f}",
                         f"{point['kimg']:,.1f}", f"{float(run['img_per_s']):,.0f}",
                         f"**{point['kid']:.3f}** ± {point['kid_std']:.3f}", f"{point['fid']:.0f}"])
    floor = results[0]["_meta"]["floor"]
    rows.append(["real vs real (floor)", DASH, DASH, DASH, DASH, f"{floor['kid']:.4f}", f"{floor['fid']:.0f}"])
    return _table(["configuration", "run", f"training minutes (at most {mark:g})", "kimg", "img/s", "KID", "FID"],
                  rows)


def colour_per_kimg(*results: dict) -> str:
    """KID / FID of every configuration of one or more colour.py results at the same kimg (the marks that at least
    two configurations reached): how fast each learns per image, whatever its speed per second."""
    runs = [(name, result[name], f"{result['_meta']['minutes']:g} min, {result['provenance']['date'][:10]}"
             + _gpu(result)) for result in results for name in result["_meta"]["configs"]
            if result.get(name, {}).get("trajectory")]
    counts: dict[float, int] = {}
    for _, run, _ in runs:
        for point in run["trajectory"]:
            counts[point["kimg"]] = counts.get(point["kimg"], 0) + 1
    marks = sorted(k for k, n in counts.items() if n >= 2 and float(k).is_integer() and k % 100 == 0)
    rows = []
    for name, run, label in runs:
        points = {p["kimg"]: p for p in run["trajectory"]}
        if any(k in points for k in marks):                           # a run too short for any mark says nothing
            rows.append([EQUAL_TIME_LABELS.get(name, name), label, f"{float(run['img_per_s']):,.0f}",
                         *[f"{points[k]['kid']:.3f} / {points[k]['fid']:.0f}" if k in points else DASH
                           for k in marks]])
    return _table(["configuration", "run", "img/s", *[f"KID / FID at {k:g} kimg" for k in marks]], rows)


PROBE_MODES = (("shared", "one fixed noise map shared by every sample (duelo before 2026-12-06)"),
               ("seeded", "each sample its own noise, drawn from its seed (`duelo sample`)"),
               ("none", "no noise"))


def colour_probe(*results: dict) -> str:
    """benchmarks/colour_probe.py: one trained G sampled three ways (KID / FID), the noise input it leans on most
    against the rest, and ADA's largest p."""
    rows = []
    for result in results:
        strengths = sorted(result["noise_strengths"].items(), key=lambda item: -abs(item[1]))
        lean = (f"{strengths[0][0]} {strengths[0][1]:+.3f}; the others within ±{abs(strengths[1][1]):.3f}"
                if len(strengths) > 1 else DASH)
        p = result.get("augment", {}).get("max_p")
        for mode, words in PROBE_MODES:
            score = result["scores"][mode]
            rows.append([f"{result['run']}, {result['kimg']:g} kimg", words,
                         f"{score['kid']:.3f} ± {score['kid_std']:.3f}", f"{score['fid']:.0f}", lean,
                         DASH if p is None else f"{p:.2f}"])
    return _table(["generator", "sampled with", "KID", "FID", "largest noise strength", "ADA's largest p"], rows)


def generate_speed(result: dict) -> str:
    """Drawing latents, generate() end to end, then G's forward by batch and number format (img/s)."""
    rows = [[row["what"], f"{row['seconds']:.2f} s", DASH] for row in result["rows"] if "seconds" in row]
    rows += [[row["what"], DASH, f"{row['img_per_s']:,.0f}"] for row in result["rows"] if "img_per_s" in row]
    return _table(["step", "time", "images/s"], rows)


def colour_flops(flops: dict, *results: dict) -> str:
    """colour_speed.py flops: each configuration's forward arithmetic per image and the step's estimate, beside the
    img/s a colour.py result measured for it alone (the first result that has it) and the arithmetic rate that
    makes."""
    rows = []
    for name, row in flops["flops"].items():
        if "error" in row:
            continue
        measured = next(((result[name], _gpu(result)) for result in results
                         if result.get(name, {}).get("img_per_s")), None)
        speed = DASH if measured is None else f"{float(measured[0]['img_per_s']):,.0f}{measured[1].replace(',', ' on')}"
        rate = DASH if measured is None else f"{float(measured[0]['img_per_s']) * row['step_gflop'] / 1000:.0f}"
        params = f"{row['g_params'] / 1e6:.2f} M / {row['d_params'] / 1e6:.2f} M"
        rows.append([EQUAL_TIME_LABELS.get(name, name), params, f"{row['g_gflop']:.2f}", f"{row['d_gflop']:.2f}",
                     f"{row['step_gflop']:.1f}", speed, rate])
    return _table(["configuration", "parameters G / D", "G GFLOP per image", "D GFLOP per image",
                   f"training step GFLOP per image ({flops['step_formula']})", "img/s measured",
                   "TFLOP/s that makes"], rows)


RENDERERS = {"generate_speed": generate_speed, "colour_flops": colour_flops,
             "colour_trajectory": colour_trajectory, "colour_equal_time": colour_equal_time,
             "colour_at_minutes": colour_at_minutes,
             "colour_per_kimg": colour_per_kimg, "colour_probe": colour_probe, "startup": startup,
             "r3gan_regularisation": r3gan_regularisation, "stylegan2_peers": stylegan2_peers}
