"""The model card (README.md) of a Hub folder, written from Facts (duelo.io.card_facts): YAML front matter the
Hugging Face Hub reads (library, licence, tags, pipeline, datasets, and duelo's own block with the weights' sha256)
and the sections a reader needs to judge the model — model, data, training, every score with where it came from,
samples, use and limits, responsible use, provenance. What the run did not record is said to be unrecorded.

The card is tied to what the model makes: its `duelo.model_sha256` is the sha256 of model.safetensors, which
`duelo sample` writes into every PNG (text chunk `duelo:model_sha256`), `duelo export` into the ONNX metadata
(`duelo:model_sha256`) and the run into summary.json; the card's samples picture carries it too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from duelo import __version__
from duelo.io.card_facts import Facts, data_fingerprint, data_size, redact, shorten_path

CARD_VERSION = 1
NOT_RECORDED = "not recorded by the run"
# the Hub's licence identifiers for the licences dataset sources state (their text starts with the key)
HUB_LICENCES = {"MIT": "mit", "Apache-2.0": "apache-2.0", "CC-BY-4.0": "cc-by-4.0", "CC-BY-3.0": "cc-by-3.0",
                "GPL-2+": "gpl", "GPL-2": "gpl-2.0", "GPL-3": "gpl-3.0", "BSD": "bsd"}
# what each kind of model is for and where it stops; keyed by HubFormat.modality
USES = {
    "image": ("making new images like the training images (research, teaching, data augmentation, testing image "
              "pipelines)", "It draws only what its training images showed, at their resolution; it cannot be "
              "steered beyond its classes, and it repeats the biases and gaps of its data."),
    "image-to-image": ("turning an input image into the output its training pairs taught (restoration, "
                       "translation)", "Outputs are plausible, not true: a restored detail is invented, so never "
                       "use them as evidence or for measurement."),
    "tabular": ("synthetic rows that keep the columns' distributions and pair trends, for development, testing "
                "and sharing where the real table cannot go", "Rare categories and long tails are reproduced "
                "poorly; synthetic rows are no privacy guarantee unless the model was trained with "
                "differential privacy (see below)."),
    "time-series": ("synthetic windows of the training series for development, augmentation and testing",
                    "It learns windows of a fixed length and the channels it saw; long-range behaviour beyond a "
                    "window is not modelled."),
    "text": ("lines like the training lines (names, short texts) for research and teaching",
             "A small character- or word-level model: it has no knowledge, makes no true statements and may "
             "repeat training lines."),
    "video": ("short clips like the training clips for research and teaching",
              "Few frames at a low resolution; motion beyond what the data showed is not modelled."),
    "music": ("short pieces in the style of the training pieces for research, teaching and sketching",
              "Piano rolls on a fixed grid: no dynamics or expression; it can echo phrases of its corpus."),
    "audio": ("one-second sounds like the training sounds for research, sound design and teaching",
              "Short clips at a low sample rate; speech models make word-like sounds, not controllable speech."),
    "points": ("2-D points for studying GAN training (mode coverage)", "A toy: it models a known mixture only."),
}
MISUSE = {
    "image": "Generated images can be mistaken for photographs or used to impersonate people (deepfakes).",
    "image-to-image": "Edited or restored images can be passed off as originals (deepfakes, forged evidence).",
    "video": "Generated clips can be mistaken for recordings (deepfakes).",
    "audio": "Generated sounds, and voices above all, can be mistaken for recordings or used to impersonate.",
    "text": "Generated text can be passed off as written by a person or used to mislead.",
    "tabular": "Synthetic records can be passed off as real ones (fabricated data).",
}


@dataclass(frozen=True)
class CardInputs:
    """What the card needs besides the facts: the Hub folder's contents and how to refer to it."""

    facts:      Facts
    files:      list[tuple[str, int, str]]       # (name, bytes, sha256) of every file the folder holds but README
    samples:    list[str]                        # sample files in the folder (samples.png, samples.wav, ...)
    sample_text: str = ""                        # the first lines of a text/CSV sample, shown inline
    onnx_note:  str = ""                         # what became of an exported model.onnx
    reference:  str = "FOLDER"                   # how the usage lines name the model (a repo id or a folder)
    licence:    str = ""                         # a Hub licence id given by the user; "" = from the data
    dataset_ids: tuple[str, ...] = ()            # Hub dataset ids given by the user
    samples_verified: bool = True                # snapshot.json names the sample files with their digests


def _number(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_number(v) for v in value) + "]"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"


def _cell(text: str) -> str:
    """Text that stays inside one cell of a Markdown table."""
    return text.replace("|", "\\|").replace("\n", " ")


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)):
        return NOT_RECORDED
    if seconds < 120:
        return f"{seconds:g} s"
    minutes = seconds / 60
    return f"{minutes:.1f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def hub_licence(given: str, data_licence: str) -> str:
    """The front matter's `license`: the user's, else the Hub id of the data's licence, else "unknown"."""
    if given:
        return given
    for prefix, hub_id in HUB_LICENCES.items():
        if data_licence.lower().startswith(prefix.lower()):
            return hub_id
    return "other" if data_licence else "unknown"


def architecture(config: dict[str, Any]) -> str:
    """The registered name of the network, as the folder's description gives it."""
    for value in (config.get("name"), config.get("model"), (config.get("kwargs") or {}).get("model")):
        if isinstance(value, str) and value:
            return value
    return ""


def front_matter(inputs: CardInputs) -> str:
    facts = inputs.facts
    handler = facts.source.handler
    task = (facts.config or {}).get("task") or (facts.summary or {}).get("task")
    tags = ["duelo", "gan", "generative-adversarial-network", handler.modality, task,
            architecture(facts.source.header.config)]
    lines = ["---", "library_name: duelo", f"license: {hub_licence(inputs.licence, facts.licence)}", "tags:"]
    lines += [f"- {json.dumps(tag)}" for tag in dict.fromkeys(t for t in tags if t)]
    if handler.pipeline_tag:
        lines.append(f"pipeline_tag: {handler.pipeline_tag}")
    if inputs.dataset_ids:
        lines += ["datasets:", *[f"- {json.dumps(d)}" for d in inputs.dataset_ids]]
    lines += ["duelo:", f"  format: {json.dumps(facts.source.header.format)}", f"  task: {json.dumps(task or '')}",
              f"  model_sha256: {json.dumps(facts.model_sha256)}", f"  card_version: {CARD_VERSION}",
              f"  written_by: {json.dumps('duelo ' + __version__)}", "---", ""]
    return "\n".join(lines)


def _model_section(inputs: CardInputs) -> list[str]:
    facts = inputs.facts
    header = facts.source.header
    kwargs = header.config.get("kwargs") if isinstance(header.config.get("kwargs"), dict) else None
    lines = ["## Model", "", f"- kind: {facts.source.handler.what} (`{header.format}`, "
                              f"version {header.config.get('format_version', '?')})",
             f"- architecture: `{architecture(header.config) or 'see config.json'}`"]
    if kwargs:
        lines.append("- arguments: " + ", ".join(f"`{k}={json.dumps(v)}`" for k, v in sorted(kwargs.items())
                                                 if not isinstance(v, (dict, list)) or len(json.dumps(v)) < 60))
    lines.append(f"- weights: `model.safetensors`, sha256 `{facts.model_sha256}`")
    lines += ["", "| file | bytes | sha256 |", "|---|---|---|"]
    lines += [f"| `{name}` | {size:,} | `{digest[:16]}…` |" for name, size, digest in inputs.files]
    return lines + [""]


def _data_section(facts: Facts) -> list[str]:
    size, found = data_size(facts.feed), data_fingerprint(facts.feed, facts.summary)
    where = f" (the data feed's state in checkpoint `{facts.checkpoint}`)" if facts.checkpoint else ""
    if (facts.summary or {}).get("privacy"):
        fingerprint = "withheld: a private run publishes nothing computed from its records outside the accountant"
    elif found:
        digest, what = found
        fingerprint = f"sha256 `{digest}` of {what}{where if what == 'the encoded records' else ' (summary.json)'}"
    else:
        fingerprint = NOT_RECORDED
    licence = facts.licence or ("not stated by duelo's dataset source: check the data's own terms"
                                if facts.dataset else NOT_RECORDED)
    return ["## Training data", "",
            f"- dataset: {f'`{facts.dataset}`' if facts.dataset else NOT_RECORDED}",
            f"- licence of the data: {licence}",
            f"- size: {size + where if size else NOT_RECORDED}",
            f"- fingerprint: {fingerprint}",
            ""]


def _training_section(facts: Facts) -> list[str]:
    if facts.config is None:
        return ["## Training", "", "Saved from a bare model folder: its run (configuration, time, hardware) is "
                "not part of it, so none of that is stated here.", ""]
    summary = facts.summary or {}
    train = facts.config.get("train") if isinstance(facts.config.get("train"), dict) else {}
    lines = ["## Training", "",
             f"- task: `{facts.config.get('task', '?')}`; seed {train.get('seed', '?')}",
             f"- length: {_number(summary.get('kimg', NOT_RECORDED))} kimg (thousands of training records "
             f"shown), {_number(summary.get('iterations', NOT_RECORDED))} iterations"
             + (f"; stopped by {summary['stopped_by']}" if summary.get("stopped_by") else ""),
             f"- training time: {_duration(summary.get('train_time_s'))} (start-up "
             f"{_duration(summary.get('startup_s'))})",
             f"- hardware: {summary.get('device', NOT_RECORDED)}; step: {summary.get('step', NOT_RECORDED)}",
             f"- software: duelo {summary.get('duelo_version', '?')}, torch {summary.get('torch_version', '?')}; "
             f"git commit: {summary.get('git_commit') or NOT_RECORDED}"]
    if isinstance(summary.get("final_metrics"), dict):
        lines.append("- last training metrics: " + ", ".join(f"{k} {_number(v)}" for k, v in
                                                          sorted(summary["final_metrics"].items())))
    config = json.dumps(redact(facts.config), indent=2, sort_keys=True)
    return lines + ["", "<details><summary>The run's configuration (config.json; local paths shortened)</summary>",
                    "", "```json", config, "```", "", "</details>", ""]


def _scores_section(facts: Facts) -> list[str]:
    lines = ["## Evaluation", ""]
    if facts.summary is None and facts.evaluation is None:
        return lines + ["Not measured: no summary.json or eval.json came with this model (a run that did not "
                        "finish, or a bare model folder).", ""]
    if facts.summary_matches is False:
        lines += [f"**Note:** summary.json describes weights with sha256 "
                  f"`{facts.summary.get('model_sha256')}`, not these; its scores are shown for reference only.", ""]
    if facts.eval_stale:
        lines += ["**Note:** eval.json is older than these weights: `duelo eval` scored an earlier snapshot.", ""]
    docs = facts.source.handler.docs
    defined = f"; duelo's `{docs}` defines them" if docs else ""
    lines += [f"Every figure the run recorded, as recorded{defined}. *Real data* is the same score computed on real "
              "records (the reference it should approach).", "",
              "| score | value | real data | computed on | source |", "|---|---|---|---|---|"]
    lines += [f"| `{_cell(s.name)}` | {_cell(_number(s.value))} | {'' if s.real is None else _cell(_number(s.real))} "
              f"| {_cell(s.basis) or '—'} | {s.source} |" for s in facts.scores]
    if not facts.scores:
        lines.append("| — | not measured | | | |")
    lines += [""] + [f"- {note}" for note in facts.notes] + ([""] if facts.notes else [])
    return lines


def _samples_section(inputs: CardInputs) -> list[str]:
    lines = ["## Samples", ""]
    if not inputs.samples:
        return lines + ["No samples: the model was saved without its run's sample files. Draw some with the "
                        "commands below.", ""]
    checkpoint = inputs.facts.checkpoint
    origin = (f"written by the run's snapshot at checkpoint `{checkpoint}`" if checkpoint and inputs.samples_verified
              else "the run's newest sample files; snapshot.json does not vouch that they show these weights")
    for name in inputs.samples:
        if name.endswith((".png", ".gif")):
            lines.append(f"![samples {origin}]({name})")
        elif name.endswith(".wav"):
            lines.append(f'<audio controls src="{name}"></audio>')
    if inputs.sample_text:
        lines += ["", "```", inputs.sample_text.rstrip("\n"), "```"]
    return lines + ["", f"Files: {', '.join(f'`{n}`' for n in inputs.samples)} ({origin}).", ""]


def _usage_section(inputs: CardInputs) -> list[str]:
    handler = inputs.facts.source.handler
    command = handler.how_to_sample.format(folder=inputs.reference)
    use = ("outputs = model.sample(8, seed=0)      # the same outputs for the same seed, on any machine's CPU"
           if handler.sample is not None else "translator = model.model   # a torch module: image in, image out")
    return ["## How to use", "", "```bash", "pip install 'duelo[hub]'", *([command] if command else []), "```", "",
            "```python", "from duelo.hub import from_pretrained", "",
            f"model = from_pretrained({json.dumps(inputs.reference)})   # a local folder or a Hub repo id", use,
            "```", ""]


def _uses_section(facts: Facts) -> list[str]:
    use, limits = USES.get(facts.source.handler.modality, ("research and teaching", ""))
    return ["## Intended use and limits", "", f"Intended for {use}.", "", limits, "",
            "Scores above come from the sample counts stated beside them; small counts give rough figures.", ""]


def _attack_rows(audit: dict[str, Any]) -> list[str]:
    rows = ["| attack | AUC | TPR at 1 % FPR | TPR at 10 % FPR | empirical ε ≥ |", "|---|---|---|---|---|"]
    for name, a in sorted(audit["attacks"].items()):
        a = a if isinstance(a, dict) else {}
        rows.append(f"| {name} | {_number(a.get('auc', '—'))} | {_number(a.get('tpr_at_fpr_0.01', '—'))} | "
                    f"{_number(a.get('tpr_at_fpr_0.1', '—'))} | {_number(a.get('epsilon_lower', '—'))} |")
    return rows


def _responsible_section(facts: Facts) -> list[str]:
    modality = facts.source.handler.modality
    lines = ["## Responsible use", "", MISUSE.get(modality, "Generated data can be passed off as real.") +
             " Label generated outputs as synthetic, keep the provenance duelo writes into them, and do not use "
             "the model to deceive, impersonate or harass.", "", "**Privacy.**"]
    privacy = (facts.summary or {}).get("privacy")
    if isinstance(privacy, dict) and privacy.get("epsilon_spent") is not None:
        lines.append(f"Trained with differential privacy: ε spent {_number(privacy.get('epsilon_spent'))} of "
                     f"{_number(privacy.get('epsilon_target'))}, δ {_number(privacy.get('delta'))}, over "
                     f"{_number(privacy.get('records', '?'))} records ({privacy.get('accountant', 'accountant')}; "
                     "summary.json).")
    else:
        lines.append("Not trained with differential privacy" + ("" if facts.summary else " (as far as recorded)")
                     + ": the model may reveal facts about individual training records.")
    lines += ["", "**Membership audit.**"]
    if facts.audit is None:
        lines.append("Not measured (run `duelo audit RUN --out audit.json`, then `duelo hub save RUN --audit "
                     "audit.json`).")
    else:
        audit = facts.audit
        match = {True: "the checkpoint this model derives from", False: "another checkpoint than this model's",
                 None: "a checkpoint not compared with this model's"}[facts.audit_matches]
        lines += [f"From {facts.audit_source} (`duelo audit`): {_number(audit.get('members', '?'))} members against "
                  f"{_number(audit.get('nonmembers', '?'))} non-members, {_number(audit.get('generated', '?'))} "
                  f"generated, δ {_number(audit.get('delta', '?'))}; it attacked {match} "
                  f"(`{shorten_path(str(audit.get('checkpoint', '?')))}`). AUC 0.5 and ε ≥ 0 mean the attack found "
                  "nothing.", "",
                  *_attack_rows(audit)]
    lines += ["", "**Memorisation.**"]
    figures = facts.memorisation
    if figures:
        lines += ["Figures about copying training records (also in the table above):", ""]
        lines += [f"- `{s.name}` = {_number(s.value)}" + (f" (real data {_number(s.real)})" if s.real is not None
                                                          else "") + f" ({s.source})"
                  for s in figures if not isinstance(s.value, (list, str))]
    else:
        lines.append("Not measured by this run.")
    return lines + [""]


def _provenance_section(inputs: CardInputs) -> list[str]:
    facts = inputs.facts
    digest = facts.model_sha256
    lines = ["## Provenance", "",
             f"This card describes the weights with sha256 `{digest}`. The same value is written by duelo into "
             "every PNG `duelo sample` makes from them (text chunk `duelo:model_sha256`), into the metadata of an "
             "ONNX export (`duelo:model_sha256`), into the run's summary.json, and into this folder's sample "
             "picture: an output carrying another value did not come from this model."]
    if facts.summary_matches is not None:
        lines.append(f"summary.json's model_sha256 {'matches' if facts.summary_matches else 'does NOT match'} "
                     "these weights.")
    if facts.checkpoint:
        lines.append(f"The weights derive from the run's checkpoint `{facts.checkpoint}` (snapshot.json).")
    if inputs.onnx_note:
        lines.append(inputs.onnx_note)
    return lines + [""]


def render_card(inputs: CardInputs) -> str:
    """README.md text for a Hub folder."""
    facts = inputs.facts
    name = (facts.summary or {}).get("run") or facts.source.folder.resolve().name
    parts = [front_matter(inputs), f"# {name}: a duelo {facts.source.handler.what}", "",
             "Trained with duelo, a PyTorch GAN toolkit. This card was generated from the files the run wrote; "
             "what they do not record is stated as not recorded.", ""]
    for section in (_model_section(inputs), _data_section(facts), _training_section(facts), _scores_section(facts),
                    _samples_section(inputs), _usage_section(inputs), _uses_section(facts),
                    _responsible_section(facts), _provenance_section(inputs)):
        parts += section
    return "\n".join(parts).rstrip("\n") + "\n"
