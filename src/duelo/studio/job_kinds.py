"""The studio's job kinds (jobs.py): the main CLI jobs, each as the `duelo` command a person would type.

Run jobs (a form on a run's page) keep what they write inside the run: RUN/eval.json, RUN/audit.json,
RUN/augment-gain.json, RUN/hub/ (the Hub folder), the model folder's model.onnx. The others write under the
studio's first --runs folder: a new run (ROOT/NAME), a cleaning report (ROOT/clean-NAME/), a study
(ROOT/NAME.sqlite and its trials).
"""

from __future__ import annotations

import dataclasses


from duelo.registry import Registry
from duelo.studio.job_types import Field, JobKind

DEVICE = Field("device", "device", "choice", "--device", ("cpu", "cuda"), "cpu")
KIMG = Field("kimg", "kimg", "number", "--kimg", help="training length in thousands of samples shown to D")
MINUTES = Field("minutes", "minutes", "number", "--minutes", help="stop (and finish normally) after this long")
SETTINGS = Field("set", "other settings", "lines", "--set", help="one SECTION.FIELD=VALUE per line (docs/config.md)")


def _tasks() -> tuple[str, ...]:
    from duelo.tasks import TASKS

    return tuple(TASKS.names())


def _presets() -> tuple[str, ...]:
    from duelo.tasks.presets import preset_names

    return ("", *preset_names())


def _inside(name: str):
    """Options writing the job's result to RUN/name."""
    return lambda values, run, root: ["--out", str(run / name)]


def register(registry: Registry[JobKind]) -> None:
    class InOrder:                                   # each kind's form is placed where it is registered here
        def add(self, key: str, kind: JobKind) -> None:
            registry.add(key, dataclasses.replace(kind, order=len(registry)))

    jobs, tasks = InOrder(), _tasks()
    jobs.add("train", JobKind(
        "train a new run", ("train",),
        (Field("name", "run name", "name", "--name", required=True, help="the run's folder under the first --runs"),
         Field("task", "task", "choice", "--task", ("", *tasks), "", help="default: image-gan, or the preset's"),
         Field("preset", "preset", "choice", "--preset", _presets()),
         Field("dataset", "dataset", "text", "--dataset",
               help="a named dataset (duelo datasets) or a path on this machine"),
         Field("conditional", "class-conditional", "flag", "--conditional"), KIMG, MINUTES,
         Field("device", "device", "choice", "--device", ("", "cpu", "cuda")), SETTINGS),
        fixed=lambda values, run, root: ["--out", str(root)],
        run_of=lambda values, run, root: root / values["name"],
        about="duelo train --out RUNS --name NAME ...: re-running it (resume, below) continues it"))
    jobs.add("resume", JobKind(
        "resume", ("train", "--resume"), (KIMG, MINUTES), on_run=True,
        about="duelo train --resume RUN: continues from the latest checkpoint; a longer kimg or time extends it"))
    jobs.add("eval", JobKind(
        "evaluate", ("eval",), (Field("num_samples", "samples", "integer", "--num-samples", default="2000"), DEVICE),
        on_run=True, about="duelo eval RUN: the scores of the final model, written to RUN/eval.json"))
    jobs.add("export", JobKind(
        "export to ONNX", ("export", "--onnx"), (Field("force", "replace an earlier export", "flag", "--force"),),
        on_run=True, about="duelo export RUN --onnx: model.onnx in the run's model folder, checked against PyTorch"))
    jobs.add("hub", JobKind(
        "Hub folder", ("hub", "save"),
        (Field("licence", "licence", "text", "--licence", help="a Hub licence id: mit, apache-2.0, cc-by-4.0..."),
         Field("repo_id", "repo id", "text", "--repo-id"),
         Field("force", "replace an earlier folder", "flag", "--force")),
        on_run=True, fixed=_inside("hub"),
        about="duelo hub save RUN --out RUN/hub: the folder and model card to upload (duelo hub push)"))
    jobs.add("audit", JobKind(
        "privacy audit", ("audit",),
        (Field("samples", "generated samples", "integer", "--samples", default="2000"),
         Field("max_records", "records per side", "integer", "--max-records", default="1000"),
         Field("members", "members table", "text", "--members", help="table models: the table fitted on"),
         Field("nonmembers", "non-members", "text", "--nonmembers",
               help="table models: a holdout table; image runs: default the run's held-out split"), DEVICE),
        on_run=True, fixed=_inside("audit.json"),
        about="duelo audit RUN: membership-inference attacks on the records the run trained on"))
    jobs.add("augment-gain", JobKind(
        "gain from synthetic data", ("augment-gain",),
        (Field("real", "small real set", "text", "--real", required=True),
         Field("test", "real test set", "text", "--test", required=True),
         Field("per_class", "synthetic per class", "integer", "--per-class"),
         Field("filter", "keep if the real classifier agrees (probability)", "number", "--filter",
               help="images: 0.9 keeps synthetic images a classifier of the real set names as asked"),
         Field("balance", "repeat the real images to half the set", "flag", "--balance"),
         Field("repeats", "repeats", "integer", "--repeats", default="3")),
        on_run=True, fixed=_inside("augment-gain.json"),
        about="duelo augment-gain RUN: a classifier on the real set alone and with the run's samples added"))
    jobs.add("clean", JobKind(
        "clean a dataset", ("clean",),
        (Field("data", "data", "text", required=True,
               help="a named dataset (images, series, sounds, text or music), a folder, .zip, .npz, .txt or table"),
         Field("name", "report name", "name", required=True, help="the report goes to RUNS/clean-NAME",
               passed=False)),
        fixed=lambda values, run, root: ["--out", str(root / f"clean-{values['name']}")],
        about="duelo clean DATA: duplicates, outliers, likely mislabelled and unreadable items; a report and a "
              "cleaned copy (the data itself is never changed)"))
    jobs.add("tune", JobKind(
        "tune hyper-parameters", ("tune",),
        (Field("name", "study name", "name", required=True, passed=False,
               help="the study is RUNS/NAME.sqlite: the same name continues it"),
         Field("task", "task", "choice", "--task", ("", *tasks)),
         Field("preset", "preset", "choice", "--preset", _presets()),
         Field("dataset", "dataset", "text", "--dataset"),
         Field("trials", "trials", "integer", "--trials", default="20"),
         Field("rungs", "rungs (kimg)", "text", "--rungs", default="5,10,20"),
         Field("minutes", "minutes", "number", "--minutes", help="start no trial after this long"), SETTINGS),
        fixed=lambda values, run, root: ["--study", str(root / f"{values['name']}.sqlite")],
        about="duelo tune: Optuna search on a cheap proxy score; the best settings are printed at the end"))
    jobs.add("fetch", JobKind(
        "fetch a dataset", ("datasets", "fetch"),
        (Field("dataset", "dataset", "text", required=True, help="a name `duelo datasets` lists"),),
        about="duelo datasets fetch NAME: get a named dataset onto this machine once"))
