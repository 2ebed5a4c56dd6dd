"""A toy run's snapshots and summary:

    model/               config.json + model.safetensors of the averaged generator (PointGenerator)
    samples/points-*.png the averaged generator's points (fixed latents) over the mixture's centres
    summary.json         modes covered, high-quality share and KL to uniform (VEEGAN/PacGAN protocol)
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch

from duelo.tasks.snapshots import Snapshots, run_summary
from duelo.tasks.toy.model_io import FORMAT, FORMAT_VERSION

SAMPLE_SEED = 1_000_000


class ToySnapshots(Snapshots):

    def points(self, n: int) -> torch.Tensor:
        trainer = self.session.trainer
        G = trainer.ema["G"]
        generator = torch.Generator(device=trainer.runtime.device).manual_seed(SAMPLE_SEED)
        with torch.no_grad():
            return G(G.sample_latents(n, generator)).float().cpu()           # (n, 2)

    def write_files(self, trainer) -> list[Path]:
        from safetensors.torch import save_file

        from duelo.io.folders import commit_folder

        toy = self.session.config.toy
        state = {k: v.detach().cpu().contiguous() for k, v in trainer.ema["G"].state_dict().items()}
        config = {"format": FORMAT, "format_version": FORMAT_VERSION, "z_dim": toy.z_dim, "width": toy.width,
                  "depth": toy.depth, "mixture": toy.mixture, "std": toy.std}

        def fill(folder: Path) -> None:
            save_file(state, str(folder / "model.safetensors"))
            (folder / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")

        model = commit_folder(self.session.run_dir.model, fill, keep_other_files=True)
        plot = self.session.run_dir.samples / f"points-{trainer.counters.nimg:09d}.png"
        self.plot(plot)
        return [model, plot]

    def plot(self, path) -> None:
        import io

        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot

        from duelo.io.atomic import atomic_write_bytes

        points, centres = self.points(self.session.config.toy.eval_samples), self.session.data["centres"]
        figure, axes = pyplot.subplots(figsize=(4, 4), dpi=100)
        axes.scatter(points[:, 0], points[:, 1], s=2, alpha=0.5, label="generated")
        axes.scatter(centres[:, 0], centres[:, 1], s=30, marker="x", color="red", label="modes")
        axes.set_aspect("equal")
        axes.legend(loc="upper right", fontsize=7)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight")
        pyplot.close(figure)
        atomic_write_bytes(path, buffer.getvalue())

    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]:
        from duelo.evaluation.toy_modes import mode_coverage

        session = self.session
        started = time.perf_counter()
        coverage = mode_coverage(self.points(session.config.toy.eval_samples), session.data["centres"],
                                 session.config.toy.std)
        figures = {"modes_covered": coverage["modes_covered"], "num_modes": coverage["num_modes"],
                   "high_quality_fraction": round(coverage["high_quality_fraction"], 4),
                   "kl_to_uniform": round(coverage["kl_to_uniform"], 4),
                   "per_mode_counts": coverage["per_mode_counts"]}
        session.log(f"modes covered {figures['modes_covered']} of {figures['num_modes']}, high-quality samples "
                    f"{figures['high_quality_fraction']:.1%}, KL to uniform {figures['kl_to_uniform']:.3f}")
        return run_summary(session, last_metrics, figures, started)
