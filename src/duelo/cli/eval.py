"""`duelo eval`: judge a trained generator against its real data and write eval.json."""

from __future__ import annotations

import time
from pathlib import Path

import click

from duelo.errors import ConfigError

DEFAULT_METRICS = "auto"


@click.command("eval", context_settings={"show_default": True})
@click.argument("run_or_model", type=click.Path(path_type=Path))
@click.option("--metrics", "metric_names", default=DEFAULT_METRICS,
              help="Comma-separated metric names, or auto (fd_domain, prdc_domain and class_accuracy on "
                   "labelled data; fid and kid too on CUDA or for unlabelled data).")
@click.option("--dataset", default=None, help="Real data to compare with; default: the run's own dataset.")
@click.option("--heldout", default=None, metavar="DATASET[:SPLIT]",
              help="Real images the model never trained on, for memorisation (e.g. mnist:test).")
@click.option("--num-samples", type=int, default=10_000, help="Generated samples (fixed seeds).")
@click.option("--max-real", type=int, default=50_000, help="Real images used as the reference.")
@click.option("--device", default="cpu", help="cpu, cuda or cuda:N (generator and feature extractors).")
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=None,
              help="Where to write the JSON (a plot goes beside it, same name .png). [default: RUN/eval.json, or "
                   "./eval.json for a model folder]")
@click.option("--force", is_flag=True, help="Replace existing output files (a run's own eval.json is replaced "
                                             "anyway; nothing else of a run or model folder ever is).")
def eval_command(run_or_model: Path, metric_names: str, dataset: str | None, heldout: str | None,
                 num_samples: int, max_real: int, device: str, out_path: Path | None, force: bool) -> None:
    """Evaluate a run folder (or a saved generator with --dataset) and write eval.json.

    Samples come from fixed seeds, so evaluating the same model twice gives the same numbers.

    \b
    Examples:
      duelo eval runs/demo
      duelo eval runs/demo --metrics fid,kid --device cuda --num-samples 50000
      duelo eval my_model/ --dataset fashion-mnist --metrics fd_domain
    """
    from duelo.io.pretrained import resolve_model_dir
    from duelo.data import load_dataset
    from duelo.evaluation.features import find_inception_weights
    from duelo.evaluation.metrics import METRICS, EvalContext, evaluate
    from duelo.io.atomic import atomic_write_json
    from duelo.io.json_files import read_json, text
    from duelo.io.outputs import output_files
    from duelo.io.pretrained import load_pretrained
    from duelo.training.runtime import Runtime

    if num_samples < 2 or max_real < 2:
        raise ConfigError("--num-samples and --max-real must be at least 2 (FID needs >= 2,049 for a full-rank "
                          "covariance of 2048-d features; 10,000 or more is the usual choice)")
    from duelo.cli.eval_tasks import TASK_EVALUATIONS, task_of

    task = task_of(run_or_model)
    if task is not None:                    # scored by its task's own scores, against its own held-out data
        context = click.get_current_context()
        given = [flag for flag, name in (("--metrics", "metric_names"), ("--dataset", "dataset"),
                                         ("--heldout", "heldout"), ("--max-real", "max_real"))
                 if context.get_parameter_source(name).name != "DEFAULT"]
        if given:
            raise ConfigError(f"{', '.join(given)}: for image runs; this {task} run is scored with its task's own "
                              f"scores against its own held-out data (docs/{task}.md): drop {' and '.join(given)}")
        evaluation = TASK_EVALUATIONS.get(task)
        own = evaluation.own_count and context.get_parameter_source("num_samples").name == "DEFAULT"
        result, target = evaluation.evaluate(run_or_model, None if own else num_samples, device, out_path, force)
        click.echo("\n".join(f"{name} {value:g}" for name, value in result["scores"].items()
                              if isinstance(value, float)))
        click.echo(f"wrote {target}")
        return
    runtime = Runtime.create(device, "fp32")
    model_dir = resolve_model_dir(run_or_model)
    from duelo.io.pretrained import read_config

    if read_config(model_dir).get("kind") == "translator":
        raise ConfigError(f"{model_dir} holds an image-to-image model: its evaluation (PSNR, SSIM, FID against "
                          f"its baselines) is in the run's summary.json (docs/image2image.md)")
    G = load_pretrained(model_dir, map_location=runtime.device)
    run_config = run_or_model / "config.json" if model_dir != run_or_model else None
    # where the results go, checked before any work: nothing is computed only to be refused at the end
    target = out_path or ((run_or_model if run_config else Path(".")) / "eval.json")
    target, picture_path = output_files([target, Path(target).with_suffix(".png")], force=force,
                                        owned=("eval.json", "eval.png"))
    # an RGBA model (trained with alpha "keep") is compared with RGBA data; otherwise the run's alpha choice
    size = getattr(G, "image_size", (G.resolution, G.resolution))          # (H, W) of the model's images
    data_options = {"resolution": size, "channels": None if G.channels == 4 else G.channels,
                    "alpha": "keep" if G.channels == 4 else "white"}
    if dataset is None:
        if run_config is None or not run_config.exists():
            raise ConfigError(f"{run_or_model} is a saved model, not a run folder: say which real data to compare "
                              f"with, e.g. --dataset mnist-5k")
        data = read_json(run_config, "the run's configuration", {"data": {"dataset": text()}}, error=ConfigError,
                         remedy="pass --dataset to say which real data to compare with")["data"]
        dataset = data["dataset"]
        data_options["resize"] = data.get("resize", "auto")
        if G.channels != 4 and isinstance(data.get("alpha"), str):
            data_options["alpha"] = data["alpha"]
        converted = data.get("channels") is not None         # the run itself converted the channels
    else:
        converted = False
    native = load_dataset(dataset, alpha=data_options["alpha"])
    if native.channels != G.channels and not converted:
        raise ConfigError(f"the model makes {G.channels}-channel images but {dataset} holds {native.channels}-"
                          f"channel ones; evaluate on the kind of data the model was trained on")
    real = load_dataset(dataset, **data_options)
    if G.c_dim and real.labels is not None and int(real.labels.max()) >= G.c_dim:
        raise ConfigError(f"{dataset} has {int(real.labels.max()) + 1} classes but the model knows {G.c_dim}; "
                          f"evaluate on the data the model was trained on")
    if native.size != size:
        click.echo(f"note: {dataset} is {native.size[1]}x{native.size[0]}; brought to the model's "
                   f"{size[1]}x{size[0]} as training does ({data_options.get('resize', 'auto')})", err=True)
    heldout_images = None
    if heldout is not None:
        from duelo.data import SOURCES

        name, _, split = heldout.partition(":")
        # a named dataset's held-out part is its test split unless another is named; a path has only "train"
        split = split or ("test" if name in SOURCES and "test" in SOURCES.get(name).splits else "train")
        heldout_images = load_dataset(name, split=split, **data_options).images
    if metric_names == DEFAULT_METRICS:
        names = ["fd_domain", "prdc_domain", "class_accuracy"] if real.labels is not None else []
        if runtime.device.type == "cuda" or not names:
            find_inception_weights()                             # a clear error when they are missing
            names = ["fid", "kid", *names]
        else:
            click.echo("note: fid/kid left out on the CPU (Inception-v3 at 299x299 runs ~10 images/s here); "
                       "use --device cuda, or --metrics fid,kid to wait for them", err=True)
    else:
        names = [n.strip() for n in metric_names.split(",") if n.strip()]
        if not names:
            raise ConfigError("--metrics is empty; give metric names (see `duelo eval --help`) or auto")
        for name in names:
            METRICS.get(name)                                    # unknown names fail before any work
    context = EvalContext(G=G, images=real.images, labels=real.labels, fingerprint=real.fingerprint(),
                          num_samples=num_samples, max_real=max_real, device=str(runtime.device),
                          heldout=heldout_images,
                          log=lambda text: click.echo(text, err=True))
    started = time.perf_counter()
    results = evaluate(context, names)
    record = {"model": str(model_dir), "dataset": dataset, "heldout": heldout, "metrics": names,
              "num_samples": num_samples, "max_real": max_real, "device": str(runtime.device),
              "extractors": {k.split(":", 1)[1]: v.preprocess_id for k, v in context.cache.items()
                             if k.startswith("extractor:")},
              "seconds": round(time.perf_counter() - started, 1), **results}
    atomic_write_json(target, record)
    from duelo.evaluation.plot import plot_evaluation

    history = run_or_model / "eval.jsonl" if run_config else None
    picture = plot_evaluation(results, picture_path, history)
    for key, value in results.items():
        if not isinstance(value, list):
            click.echo(f"{key:28s} {value}")
    click.echo(f"wrote {target}" + (f" and {picture}" if picture else ""))
