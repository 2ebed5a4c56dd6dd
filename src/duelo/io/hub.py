"""Hub folders: any task's saved model in the layout a Hugging Face Hub user expects, and loading one back.

    FOLDER/
      config.json        the model folder's own description, byte for byte (a table model's model.json is kept
                         too, and config.json is its copy: the Hub and its download counter look for config.json)
      model.safetensors  the weights, byte for byte: their sha256 is the `duelo:model_sha256` of every output
      README.md          the model card (duelo.io.model_card), generated from the run's files
      samples.png ...    the run's own samples of these weights (picture, sound, lines or rows) where it wrote any
      task.json, model-reverse/, model.onnx   what else belongs to the model (translators, CycleGAN, an export)

A Hub folder is still a saved-model folder, so every duelo command that takes a model folder takes it (`duelo
sample FOLDER`, `duelo tabular sample FOLDER`). It is written whole (duelo.io.folders.commit_folder). Formats
are looked up in HUB_FORMATS (duelo.io.hub_formats), where each task registers its own: nothing here knows a task.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from duelo.errors import CheckpointError, ConfigError
from duelo.io.card_facts import gather_facts, verify_file
from duelo.io.folders import commit_folder
from duelo.io.hashing import file_digest
from duelo.io.hub_formats import (CONFIG_NAME, WEIGHTS_NAME, HubFormat, ModelSource, find_model, handler_for,
                                  read_header)
from duelo.io.json_files import read_json
from duelo.io.model_card import CardInputs, render_card
from duelo.io.outputs import duelo_folder_kind, managing_folder

README_NAME = "README.md"
SAMPLE_LINES = 12                   # lines of a text or table sample shown on the card
CARD_DIGEST = re.compile(r'^\s*model_sha256:\s*"?([0-9a-f]{64})"?\s*$', re.MULTILINE)


@dataclass
class PretrainedModel:
    """A loaded saved model: `model` is what `duelo sample` loads for its format (a generator module, a fitted
    TabularGAN, ...), `extras` what the format's loader returns besides it (a vocabulary, the folder's config)."""

    folder:  Path
    format:  str
    config:  dict[str, Any]
    model:   Any
    extras:  dict[str, Any]
    handler: HubFormat

    @property
    def card(self) -> str | None:
        """The model card's text, when the folder has one."""
        path = self.folder / README_NAME
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def model_sha256(self) -> str:
        """sha256 of the weights: the `duelo:model_sha256` its outputs carry."""
        return file_digest(self.folder / WEIGHTS_NAME)

    def sample(self, n: int, seed: int = 0) -> Any:
        """n outputs as `duelo sample` draws them for `seed` (images: seeds seed..seed+n-1, classes in turn for a
        conditional model; tables: a DataFrame; sequences: the task's tensors or lines). Identical for the same
        seed, from a run folder or its Hub folder."""
        if self.handler.sample is None:
            raise ConfigError(f"{self.folder} holds an {self.handler.what}, which takes an input rather than a "
                              f"seed; use {self.handler.how_to_sample.format(folder=self.folder)}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ConfigError(f"sample: n must be a positive integer, got {n!r}")
        return self.handler.sample(self, n, seed)


# ---- loading -------------------------------------------------------------------------------------------------
def load_folder(folder: Path, device: str = "cpu") -> PretrainedModel:
    """Load a Hub folder, a saved-model folder or a run folder (its model/)."""
    source = find_model(Path(folder))
    _check_description_copy(source.folder, source.handler)
    try:
        model, extras = source.handler.load(source.folder, device)
    except CheckpointError as error:                 # one error class for a folder that does not load
        raise ConfigError(str(error)) from None
    return PretrainedModel(source.folder, source.header.format, source.header.config, model, extras, source.handler)


def _check_description_copy(folder: Path, handler: HubFormat) -> None:
    """Where config.json copies the folder's own description (tables' model.json), the two must agree."""
    if handler.config_name == CONFIG_NAME:
        return
    own, copy = folder / handler.config_name, folder / CONFIG_NAME
    if own.is_file() and copy.is_file() and own.read_bytes() != copy.read_bytes():
        raise ConfigError(f"{copy} differs from {own}, which it should copy; the folder was edited or damaged: "
                          f"save it again with `duelo hub save`")


# ---- saving --------------------------------------------------------------------------------------------------
def _check_output(out: Path, source: ModelSource, force: bool) -> None:
    """A new or empty folder, or (with force) an older Hub folder; never inside a run or a saved model."""
    managed = managing_folder(out.resolve().parent)
    if managed is not None:
        noun = "run folder" if managed[1] == "run" else "saved model"
        raise ConfigError(f"-o {out} is inside the {noun} {managed[0]}; write the Hub folder elsewhere, e.g. "
                          f"-o {managed[0].name}-hub")
    if out.resolve() in {source.folder.resolve(), *([source.run.resolve()] if source.run else [])}:
        raise ConfigError(f"-o {out} is the model's own folder; write the Hub folder elsewhere")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"-o {out} is a file; give a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / README_NAME).is_file() or duelo_folder_kind(out) != "model":
            raise ConfigError(f"-o {out} holds other files; give a new or empty folder")
        if not force:
            raise ConfigError(f"-o {out} holds a Hub folder already; pass --force to replace it")


def _recorded_files(run: Path) -> dict[str, str]:
    """{relative path: sha256} of the files the latest snapshot wrote (snapshot.json), {} if unreadable."""
    try:
        record = read_json(run / "snapshot.json", "the snapshot record", error=ConfigError, remedy="")
    except ConfigError:
        return {}
    files = record.get("files") if isinstance(record, dict) else None
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(files, dict) \
        else {}


def pick_previews(run: Path | None, handler: HubFormat) -> tuple[list[Path], bool]:
    """The run's sample files that show these weights, one per pattern of the format, and whether snapshot.json
    vouches for all of them (else the newest file of each pattern is taken)."""
    if run is None:
        return [], True
    recorded, chosen, verified = _recorded_files(run), [], True
    for pattern in handler.previews:
        matches = sorted(run / name for name, digest in recorded.items()
                         if fnmatch.fnmatch(name, pattern) and verify_file(run / name, digest))
        if not matches:
            matches = sorted(p for p in run.glob(pattern) if p.is_file())
            verified = verified and not matches
        if matches:
            chosen.append(matches[-1])
    return chosen, verified


def _onnx_digest(path: Path) -> str | None:
    """The `duelo:model_sha256` an ONNX export carries, or None (no such field, or onnx is not installed)."""
    try:
        import onnx
    except ImportError:
        return None
    try:
        graph = onnx.load(str(path), load_external_data=False)
    except Exception:                 # a damaged export of any kind: left out, never fatal to the save
        return None
    return next((p.value for p in graph.metadata_props if p.key == "duelo:model_sha256"), None)


def _onnx(folder: Path, digest: str) -> tuple[Path | None, str]:
    path = folder / "model.onnx"
    if not path.is_file():
        return None, ""
    found = _onnx_digest(path)
    if found == digest:
        return path, "`model.onnx` (from `duelo export`) carries `duelo:model_sha256` equal to these weights' sha256."
    if found is None:
        return None, ("An exported `model.onnx` was left out: its provenance could not be read (install "
                      "`duelo[export]` to check it), so it may come from other weights.")
    return None, f"An exported `model.onnx` was left out: it was exported from other weights (sha256 `{found}`)."


def _copy_preview(path: Path, target: Path, digest: str) -> None:
    """Copy a sample file; a PNG is re-encoded with the weights' sha256 in a `duelo:model_sha256` text chunk."""
    if path.suffix.lower() != ".png":
        shutil.copyfile(path, target)
        return
    from PIL import Image

    from duelo.io.images import png_bytes

    with Image.open(path) as image:
        image.load()
        text = {**{k: str(v) for k, v in (getattr(image, "text", {}) or {}).items()}, "duelo:model_sha256": digest}
        target.write_bytes(png_bytes(image, text))


def _head(path: Path) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return "".join(line if len(line) < 200 else line[:199] + "…\n"
                       for _, line in zip(range(SAMPLE_LINES), handle))


def save_pretrained(source: str | Path, out_dir: str | Path, *, audit: str | Path | None = None, licence: str = "",
                    dataset_ids: Sequence[str] = (), reference: str | None = None, force: bool = False) -> Path:
    """Write the Hub folder of `source` (a run folder, its model/ folder or a saved-model folder) to `out_dir`.

    audit: a `duelo audit --out` file whose figures go on the card (default: RUN/audit.json if there is one);
    licence: the Hub licence id of the model (default: from the data's licence where duelo knows it);
    dataset_ids: Hub dataset ids for the card's `datasets`; reference: the repo id the card's usage lines name
    (default: the folder's name). The model is loaded once first, so a folder that does not load is refused
    before anything is written."""
    source = find_model(Path(source))
    out = Path(out_dir)
    handler = source.handler
    _check_output(out, source, force)
    load_folder(source.folder)                                     # refuses a model that does not load
    digest = file_digest(source.folder / WEIGHTS_NAME)
    facts = gather_facts(source, digest, None if audit is None else Path(audit), handler.dataset_licence)
    previews, verified = pick_previews(source.run, handler)
    onnx_path, onnx_note = _onnx(source.folder, digest)
    names = [f"samples{p.suffix.lower()}" for p in previews]
    if len(set(names)) != len(names):
        raise ConfigError(f"{handler.what}: two sample patterns give the same file type ({names}); a format "
                          "registration error")

    def fill(folder: Path) -> None:
        own = [handler.config_name, WEIGHTS_NAME, *handler.model_files, *(["model.onnx"] if onnx_path else [])]
        for name in own:
            if (source.folder / name).is_file():
                shutil.copyfile(source.folder / name, folder / name)
        if handler.config_name != CONFIG_NAME:
            shutil.copyfile(source.folder / handler.config_name, folder / CONFIG_NAME)
        for companion in handler.companions if source.run else ():
            if (source.run / companion).is_dir():
                (folder / companion).mkdir()
                for file in sorted((source.run / companion).iterdir()):
                    if file.is_file() and not file.name.startswith("."):
                        shutil.copyfile(file, folder / companion / file.name)
        for path, name in zip(previews, names):
            _copy_preview(path, folder / name, digest)
        text = "".join(_head(folder / n) for n in names if n.endswith((".txt", ".csv")))
        files = [(p.relative_to(folder).as_posix(), p.stat().st_size, file_digest(p))
                 for p in sorted(folder.rglob("*")) if p.is_file()]
        card = CardInputs(facts, files, names, text, onnx_note, reference or out.resolve().name, licence,
                          tuple(dataset_ids), verified)
        (folder / README_NAME).write_text(render_card(card), encoding="utf-8")

    return commit_folder(out, fill)


# ---- checking before an upload -------------------------------------------------------------------------------
def hub_folder_files(folder: str | Path) -> list[str]:
    """The files `push_to_hub` uploads (relative paths, sorted), after checking the folder is a whole Hub folder:
    card, description and weights present, a known format, and a card that describes these very weights."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder; write one with `duelo hub save RUN -o {folder}`")
    for name in (README_NAME, CONFIG_NAME, WEIGHTS_NAME):
        if not (folder / name).is_file():
            raise ConfigError(f"{folder / name} is missing: {folder} is not a Hub folder; write one with "
                              f"`duelo hub save RUN -o FOLDER`")
    header = read_header(folder)
    _check_description_copy(folder, handler_for(header))
    found = CARD_DIGEST.search((folder / README_NAME).read_text(encoding="utf-8", errors="replace"))
    digest = file_digest(folder / WEIGHTS_NAME)
    if found is None or found.group(1) != digest:
        raise ConfigError(f"{folder / README_NAME} does not describe {folder / WEIGHTS_NAME} (its model_sha256 "
                          f"{'is missing' if found is None else 'differs'}); save the folder again")
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))
