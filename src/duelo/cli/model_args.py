"""What the commands that use a trained generator share: finding the model folder, loading the generator,
and checking a class label against it, each with the same clear errors."""

from __future__ import annotations

from pathlib import Path

from duelo.errors import ConfigError


def cached_or_local(run_or_model: Path) -> Path:
    """The path itself, or, for an OWNER/NAME that is no folder here, that Hub repo's snapshot in the Hugging Face
    cache (`duelo hub download` puts it there; nothing is downloaded here). Without huggingface_hub, or for a
    path that cannot be a repo id, the path is returned and the command's own error names it."""
    from duelo.io.hub_remote import looks_like_repo_id

    text = str(run_or_model)
    if run_or_model.exists() or "/" not in text or not looks_like_repo_id(text):
        return run_or_model
    try:
        import huggingface_hub  # noqa: F401
    except ImportError:
        return run_or_model
    from duelo.hub import resolve_pretrained

    return resolve_pretrained(text, local_files_only=True)


def load_generator(run_or_model: Path, device: str, purpose: str):
    """(generator in eval mode on `device`, its model folder); `purpose` completes the error for a folder
    that holds a discriminator, e.g. "sample from" -> "... holds a discriminator; sample from a generator's"."""
    from duelo.io.pretrained import load_pretrained, read_config, resolve_model_dir
    from duelo.training.runtime import Runtime

    runtime = Runtime.create(device, "fp32")              # validates the device with a clear message
    model_dir = resolve_model_dir(run_or_model)
    kind = read_config(model_dir).get("kind")
    if kind == "translator":
        raise ConfigError(f"{model_dir} holds an image-to-image model (it takes an image, not a latent); use "
                          f"duelo translate, duelo inpaint or duelo restore")
    if kind != "generator":
        raise ConfigError(f"{model_dir} holds a {kind}; {purpose} a generator's folder")
    return load_pretrained(model_dir, map_location=runtime.device), model_dir


def check_label(G, model_dir: Path, label: int | None, which: str = "") -> None:
    """One class for a conditional generator (required, in range) and none for an unconditional one.
    `which` names the label in the request, e.g. "the image's " -> "give the image's --label 0..9"."""
    if G.c_dim == 0:
        if label is not None:
            raise ConfigError(f"{model_dir} is unconditional; drop --label")
        return
    if label is None:
        raise ConfigError(f"{model_dir} is class-conditional ({G.c_dim} classes): give {which}--label "
                          f"0..{G.c_dim - 1}")
    if not 0 <= label < G.c_dim:
        raise ConfigError(f"label {label} is out of range: this model has classes 0..{G.c_dim - 1}")
