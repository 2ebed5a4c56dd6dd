"""The renderer of docs/benchmarks.md's image-to-image table (issue 6): benchmarks/image2image.py results, every task
against its trivial baselines."""

from __future__ import annotations

from table_format import bold, half_up, markdown

# task -> [(task label on the first row, metric label, metric path in the scores, higher is better)]; "a/b" puts two
# metrics in one cell (PSNR / SSIM, ranked by the first); "FID-N" becomes FID-10k or FID-500 by the images scored
I2I_ROWS = {
    "mnist-to-fashion": [("MNIST → Fashion (cyclegan)", "FID-N to Fashion test", "a_to_b.fid", False),
                         ("", "fd_domain to Fashion test", "a_to_b.fd_domain", False),
                         ("Fashion → MNIST (cyclegan)", "FID-N to MNIST test", "b_to_a.fid", False)],
    "edges-to-digits": [("edges → digits (pix2pix)", "FID-N", "fid", False), ("", "PSNR / SSIM", "psnr/ssim", True)],
    "fashion-inpaint": [("Fashion inpainting (boxes)", "PSNR / SSIM", "psnr/ssim", True),
                        ("", "PSNR in the holes", "psnr_holes", True), ("", "FID-N", "fid", False)],
    "fashion-superres": [("Fashion ×2 super-resolution", "PSNR / SSIM", "psnr/ssim", True),
                         ("", "FID-N", "fid", False)],
    "photo-denoise": [("photo denoising (σ ≤ 0.2)", "PSNR / SSIM", "psnr/ssim", True), ("", "FID-N", "fid", False)],
    "photo-inpaint": [("photo inpainting (strokes)", "PSNR / SSIM", "psnr/ssim", True),
                      ("", "PSNR in the holes", "psnr_holes", True), ("", "FID-N", "fid", False)],
}
DIRECT_TASKS = {"photo-denoise"}          # tasks whose preset predicts the image directly (not image2image.residual)
BASELINE_NAMES = {"gaussian-blur": "Gaussian blur"}
BASELINE_FIRST_NAMES = {("edges-to-digits", "identity"): "identity (the edge map)"}


def _get(scores: dict, path: str):
    for key in path.split("."):
        scores = scores.get(key) if isinstance(scores, dict) else None
    return scores


def _score(scores: dict, path: str) -> tuple[float, str] | None:
    """(the value that ranks, its text) of one metric path ("psnr/ssim": ranked by PSNR)."""
    values = [_get(scores, p) for p in path.split("/")]
    if any(v is None for v in values):
        return None
    texts = [half_up(v, 3 if p.endswith("ssim") else 2 if p.endswith(("psnr", "psnr_holes")) or v < 10 else 1)
             for p, v in zip(path.split("/"), values)]
    return values[0], " / ".join(texts)


def image2image(residual: dict, direct: dict | None = None) -> str:
    """Every task from the first file (the run with the presets' image2image.residual and hole_fill), except the
    tasks in DIRECT_TASKS, taken from the second file (the run that predicted images directly) when given."""
    body, named = [], set()
    for task, rows in I2I_ROWS.items():
        record = direct if task in DIRECT_TASKS and direct else residual
        result = record["tasks"][task]
        evaluation = {**result["summary"], **result.get("evaluation", {})}
        images = evaluation["eval_images"]
        images = images.get("b", 0) if isinstance(images, dict) else images
        for label, metric, path, higher in rows:
            model = _score(evaluation["metrics"], path)
            bases = sorted(((name, _score(scores, path)) for name, scores in evaluation["baselines"].items()
                            if _score(scores, path)), key=lambda item: -item[1][0] if higher else item[1][0])
            better = (lambda a, b: a > b) if higher else (lambda a, b: a < b)
            wins = better(model[0], bases[0][1][0])

            def name(base: str) -> str:
                first = BASELINE_FIRST_NAMES.get((task, base)) if (task, base) not in named else None
                named.add((task, base))
                return first or BASELINE_NAMES.get(base, base)

            best = bold(f"{name(bases[0][0])} {bases[0][1][1]}", not wins)
            others = ", ".join(f"{name(b)} {s[1]}" for b, s in bases[1:])
            verdict = "yes" if wins else bold("no")
            if path == "psnr/ssim" and bases[0][0] != "identity":
                gain = model[0] - bases[0][1][0]
                verdict += f", {'+' if gain >= 0 else '−'}{half_up(abs(gain), 1)} dB"
            metric = metric.replace("FID-N", f"FID-{images // 1000}k" if images >= 1000 else f"FID-{images}")
            body.append([label, metric, bold(model[1], wins), best, others, verdict])
        if task == "mnist-to-fashion":
            m = evaluation["metrics"]
            body.append(["", "cycle PSNR A→B→A / B→A→B", f"{half_up(m['cycle_psnr_a'], 1)} / "
                         f"{half_up(m['cycle_psnr_b'], 1)} dB", "", "",
                         f"(cycle L1 {half_up(m['cycle_l1_a'], 3)} / {half_up(m['cycle_l1_b'], 3)})"])
    return markdown(["task", "metric", "model", "best trivial baseline", "others", "beats it?"], body)


RENDERERS = {"image2image": image2image}
