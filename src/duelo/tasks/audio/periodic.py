"""Hook: score the averaged generator every `audio.score_kimg` and keep the best one by Fréchet distance in best/.

The scores are the summary's (snapshots.AudioSnapshots.scores: the classifier trained on the real training
clips judges generated clips against held-out ones), one line per scoring in eval.jsonl, so a run shows how its
scores move between snapshots rather than only where it stopped. The clips come from fixed latents and labels and
the classifier from its own seed, trained and loaded inside a fork of the global random state (scorer.py):
scoring never changes what training does next, and a resumed run forgets the lines logged after its
checkpoint and writes them again.

The best model is chosen on the held-out clips its scores are measured on, so its figures are the best of several
looks: quote the last snapshot's summary beside them.
"""

from __future__ import annotations

import math

from duelo.tasks.audio.scoring import REFERENCES

RANKED_BY = "fd"            # lower is better


class PeriodicScores:
    def __init__(self, session):
        from duelo.tasks.audio.snapshots import AudioSnapshots

        self.session = session
        self.period_nimg = int(round(session.config.audio.score_kimg * 1000))
        self.scorer = AudioSnapshots(session)
        self.best: float | None = session.run_dir.best_value()

    def __call__(self, trainer) -> None:
        from duelo.faults import fault_point
        from duelo.io.folders import commit_folder
        from duelo.tasks.audio.model_io import save_audio_model
        from duelo.tasks.audio.parts import generator_kwargs
        from duelo.training.signals import interruptible

        session, nimg = self.session, trainer.counters.nimg
        with interruptible():                 # a Ctrl-C/SIGTERM stops a scoring at once, not after it
            fault_point("evaluation")
            scores = self.scorer.scores()
        record = {"nimg": nimg, "kimg": round(nimg / 1000, 3),
                  **{k: v for k, v in scores.items() if isinstance(v, (int, float)) and not k.endswith(REFERENCES)}}
        session.run_dir.append_jsonl(session.run_dir.eval_log_path, record)
        value = scores.get(RANKED_BY)
        if value is None or not math.isfinite(value):
            return
        improved = self.best is None or value < self.best
        if improved:
            self.best = value
            run_dir = session.run_dir

            def fill(folder):
                save_audio_model(folder, trainer.ema["G"], generator_kwargs(session.config, session.data),
                                 session.data)
                (folder / run_dir.BEST_RECORD).write_text(run_dir.best_record(RANKED_BY, value, nimg))

            commit_folder(session.run_dir.best, fill)
        shown = ", ".join(f"{k} {v:g}" for k, v in record.items() if k not in ("nimg", "kimg"))
        session.log(f"scores at {record['kimg']:.1f} kimg: {shown}"
                    f"{' (best FD so far, saved to best/)' if improved else f' (best FD {self.best:g})'}")

    def restart(self, nimg: int) -> None:
        """On resume, forget scorings logged after the checkpoint (they are repeated identically)."""
        self.session.run_dir.truncate_jsonl(self.session.run_dir.eval_log_path, nimg)
