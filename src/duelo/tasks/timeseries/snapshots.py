"""A time-series run's snapshots and summary:

    model/                  config.json + model.safetensors of the averaged generator (model_io.py)
    samples/series-*.png    generated windows next to real ones, channel by channel, and a PCA map of both
    summary.json            the field's scores of generated windows against held-out real ones
                            (duelo.evaluation.sequences): discriminative and predictive scores (TimeGAN's
                            protocol), context-FID, autocorrelation, cross-correlation and marginal distances,
                            memorisation (nearest training window)
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import torch

from duelo.tasks.snapshots import Snapshots, privacy_figures, run_summary

SAMPLE_SEED = 1_000_000
SHOWN = 4            # windows drawn per side in the plot


class SeriesSnapshots(Snapshots):

    def windows(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """n generated windows (n, T, C) in [-1, 1] from the averaged G, fixed latents; labels drawn like the
        training data's; their lengths when the data has windows of different lengths (else None)."""
        trainer = self.session.trainer
        G = self.sampler()
        device = trainer.runtime.device
        generator = torch.Generator(device=device).manual_seed(SAMPLE_SEED)
        labels = None
        if G.c_dim:
            pool = self.session.data.label_pool().to(device)
            labels = pool[torch.randint(0, len(pool), (n,), generator=generator, device=device)]
        with torch.no_grad():
            fake = G(G.sample_latents(n, generator), labels).float().cpu()
        labels = None if labels is None else labels.cpu()
        if not self.session.data.masked:
            return fake, labels, None
        from duelo.tasks.timeseries.masking import split_mask_channel

        values, lengths = split_mask_channel(fake, self.session.data.min_length)
        return values, labels, lengths

    def sampler(self):
        """The module that draws windows from the trainer's averaged weights (the model's registry entry)."""
        from duelo.tasks.timeseries.parts import SERIES_MODELS

        return SERIES_MODELS.get(self.session.config.series.model).sampler(self.session.trainer)

    def write_files(self, trainer) -> list[Path]:
        from duelo.io.folders import commit_folder
        from duelo.tasks.timeseries.model_io import save_series_model
        from duelo.tasks.timeseries.parts import SERIES_MODELS

        session = self.session
        name = session.config.series.model
        kwargs = SERIES_MODELS.get(name).kwargs(session.config, session.data)
        model = commit_folder(session.run_dir.model,
                              lambda folder: save_series_model(folder, self.sampler(), kwargs, session.data, name),
                              keep_other_files=True)
        plot = session.run_dir.samples / f"series-{trainer.counters.nimg:09d}.png"
        self.plot(plot)
        return [model, plot]

    def plot(self, path: Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot

        from duelo.io.atomic import atomic_write_bytes

        held = self.session.data.heldout          # in time order for sliding windows: draw at random
        order = torch.randperm(len(held), generator=torch.Generator().manual_seed(SAMPLE_SEED))
        real = _past_length_as_nan(held.windows, held.lengths)[order]
        fake, _, lengths = self.windows(max(SHOWN, min(500, len(real))))
        fake_shown = _past_length_as_nan(fake, lengths)
        channels = min(real.shape[2], 3)
        figure, axes = pyplot.subplots(channels + 1, 2, figsize=(8, 2.2 * (channels + 1)), dpi=90, squeeze=False)
        for side, (name, data) in enumerate((("real (held out)", real), ("generated", fake_shown))):
            for c in range(channels):
                axis = axes[c][side]
                axis.plot(data[:SHOWN, :, c].T.numpy(), linewidth=1)
                axis.set_ylim(-1.05, 1.05)
                axis.set_title(f"{name}: {self.session.data.train.columns[c]}", fontsize=8)
        both = torch.cat([real[:500].nan_to_num(0).flatten(1), fake.flatten(1)]).double()
        mean = both.mean(0)
        _, _, basis = torch.pca_lowrank(both - mean, q=2, center=False)
        projected = ((both - mean) @ basis).numpy()
        split = min(500, len(real))
        grid = pyplot.subplot2grid((channels + 1, 2), (channels, 0), colspan=2, fig=figure)
        axes[channels][0].remove()
        axes[channels][1].remove()
        grid.scatter(projected[:split, 0], projected[:split, 1], s=4, alpha=0.5, label="real (held out)")
        grid.scatter(projected[split:, 0], projected[split:, 1], s=4, alpha=0.5, label="generated")
        grid.set_title("PCA of whole windows", fontsize=8)
        grid.legend(fontsize=7)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        pyplot.close(figure)
        atomic_write_bytes(path, buffer.getvalue())

    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]:
        from duelo.tasks.timeseries.scoring import score_windows

        from duelo.evaluation.sequence_models import MIN_SPLIT_SAMPLES

        session = self.session
        started = time.perf_counter()
        scored, training_reference = session.data.scored()
        held = len(scored.heldout)
        if held < MIN_SPLIT_SAMPLES:
            note = (f"not scored: {held} held-out window(s), the scores need at least {MIN_SPLIT_SAMPLES} (the "
                    f"held-out split is 20 % of the data, so give at least {5 * MIN_SPLIT_SAMPLES} windows); the model "
                    f"is saved")
            session.log(f"scores: {note}")
            return run_summary(session, last_metrics, {"scores": {"skipped": note}}, started)
        fake, labels, lengths = self.windows(session.config.series.eval_samples)
        steps = session.config.series.score_steps
        session.log(f"scoring {len(fake):,} generated windows against {held:,} held-out ones: post-hoc networks of "
                    + (f"{steps:,} steps each" if steps else "TimeGAN's protocol (2,000 and 5,000 steps)")
                    + ("" if steps or session.trainer.runtime.device.type == "cuda" else
                       "; minutes on a CPU for long windows: --set series.score_steps=200 is quicker and rougher"))
        scores = score_windows(scored, fake, session.config.series.score_steps, session.config.train.seed,
                               str(session.trainer.runtime.device), labels, lengths, training_reference,
                               session.config.series.discriminative_on)
        session.log("scores: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items() if isinstance(v, float)))
        return run_summary(session, last_metrics, {"scores": scores, **privacy_figures(session)}, started)


def _past_length_as_nan(windows: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """Steps past each window's length as NaN, so that a plot stops where the window ends."""
    if lengths is None:
        return windows
    valid = torch.arange(windows.shape[1])[None, :] < lengths[:, None]
    return windows.masked_fill(~valid[..., None], float("nan"))
