"""A text run's snapshots and summary:

    model/                  config.json + model.safetensors of the averaged generator (model_io.py)
    best/                   the same, at the lowest held-out NLL so far (maximum likelihood only: early stopping
                            without stopping — sample or evaluate RUN/best)
    samples/text-*.txt      40 generated lines from a fixed seed (conditional: `label<TAB>line`)
    summary.json            the scores of generated lines against the held-out ones (scoring.py)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from duelo.tasks.snapshots import Snapshots, run_summary

SAMPLE_SEED = 1_000_000
SHOWN = 40


class TextSnapshots(Snapshots):
    lowest: tuple[float, int] | None = None      # the lowest held-out NLL seen in this session, and its nimg

    def lines(self, n: int) -> tuple[list[str], Any]:
        from duelo.tasks.text.model_io import generate_ids, labels_like

        session, trainer = self.session, self.session.trainer
        G, device = trainer.ema["G"], trainer.runtime.device
        labels = labels_like(G, n, session.data.train.labels, SAMPLE_SEED, device)
        ids = generate_ids(G, n, labels, session.config.text.temperature, SAMPLE_SEED, device)
        vocab = session.data.vocab
        return [vocab.decode(row) for row in ids], None if labels is None else labels.cpu()

    def write_files(self, trainer) -> list[Path]:
        from duelo.io.atomic import atomic_write_bytes

        session = self.session
        data = session.data
        model = self._save(trainer, session.run_dir.model)
        lines, labels = self.lines(SHOWN)
        if labels is not None:
            lines = [f"{data.class_names[k]}\t{line}" for k, line in zip(labels.tolist(), lines)]
        path = session.run_dir.samples / f"text-{trainer.counters.nimg:09d}.txt"
        atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())
        best = self.watch_heldout(trainer)
        return [model, path, *best]

    def watch_heldout(self, trainer) -> list[Path]:
        """Log the held-out NLL; say so when it has risen well above the lowest seen: maximum likelihood is then
        learning its training lines by heart (measured on names: novelty fell to 3 %), a GAN is dropping modes
        (measured on names: relgan after 460 kimg wrote two-letter names). A maximum-likelihood model at a new
        lowest is kept in RUN/best (written here: the files written)."""
        from duelo.tasks.text.model_io import BEST, best_heldout_nll
        from duelo.tasks.text.parts import TEXT_MODELS
        from duelo.tasks.text.scoring import heldout_nll

        nimg = trainer.counters.nimg
        nll = heldout_nll(trainer.ema["G"], self.session.data, trainer.runtime.device)
        message = f"held-out NLL {nll:.3f} nats per token"
        written = []
        keeps_best = not TEXT_MODELS.get(self.session.config.text.model).adversarial
        if keeps_best:
            before = best_heldout_nll(self.session.run_dir.path)
            if before is None or nll < before:
                written.append(self._save(trainer, self.session.run_dir.path / BEST,
                                          {"heldout_nll": nll, "kimg": round(nimg / 1000, 3)}))
                message += " (the lowest yet: saved to best/)"
        if self.lowest is None or nll < self.lowest[0]:
            self.lowest = (nll, nimg)
        elif nll > self.lowest[0] * 1.02:
            message += f", up from {self.lowest[0]:.3f} at {self.lowest[1] / 1000:g} kimg: "
            message += ("the generator is memorising its training lines (see novelty in the summary); best/ keeps "
                        "the model at the lowest" if keeps_best else
                        "the game is pulling the generator away from the data, towards the few lines D accepts "
                        "(mode dropping: read the samples, and train for fewer kimg or with a lower beta_max)")
        self.session.log(message)
        return written

    def _save(self, trainer, folder: Path, extra: dict | None = None) -> Path:
        from duelo.io.folders import commit_folder
        from duelo.tasks.text.model_io import save_text_model
        from duelo.tasks.text.parts import generator_kwargs

        session = self.session
        return commit_folder(folder, lambda tmp: save_text_model(tmp, trainer.ema["G"],
                                                                 generator_kwargs(session.config, session.data),
                                                                 session.data.vocab, session.data.class_names,
                                                                 session.config, extra),
                             keep_other_files=True)

    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]:
        from duelo.tasks.text.scoring import score_lines

        session = self.session
        started = time.perf_counter()
        lines, labels = self.lines(session.config.text.eval_samples)
        scores = score_lines(session.data, lines, labels, session.trainer.ema["G"], session.trainer.runtime.device)
        session.log("scores: " + ", ".join(f"{k} {v:g}" for k, v in scores.items()
                                           if isinstance(v, float) and not k.endswith("_real")))
        return run_summary(session, last_metrics, {"scores": scores}, started)
